import type { CallContext } from '../api/call-context'
import type { InputOf, ResultOf } from '../api/define'
import type { stackOperations } from '../api/contract/stack'
import type { StackService } from './stack-service'

type Ops = typeof stackOperations
export type StackHandlers = {
  [N in keyof Ops]: (input: InputOf<Ops[N]>, ctx: CallContext) => Promise<ResultOf<Ops[N]>>
}

/** Contract handlers over a StackService; `stack.resume` is the contract's name for unpause. */
export function createStackHandlers(stack: StackService): StackHandlers {
  const opts = (input: { target?: { service?: string; container?: string }; reason?: string }) => ({
    ...(input.target ? { target: input.target } : {}),
    ...(input.reason !== undefined ? { reason: input.reason } : {}),
  })
  return {
    'stack.list': async () => stack.list(),
    'stack.status': async () => stack.status(),
    'stack.pause': async (input, ctx) => stack.pause(ctx, opts(input)),
    'stack.resume': async (input, ctx) => stack.unpause(ctx, opts(input)),
    'stack.restart': async (input, ctx) => stack.restart(ctx, opts(input)),
    'stack.signal': async (input, ctx) => stack.signal(ctx, input.signal, opts(input)),
  }
}
