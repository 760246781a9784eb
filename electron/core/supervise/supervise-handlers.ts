import type { CallContext } from '../api/call-context'
import type { InputOf, ResultOf } from '../api/define'
import type { superviseOperations } from '../api/contract/supervise'
import type { Supervisor } from './supervisor'

type Ops = typeof superviseOperations
export type SuperviseHandlers = {
  [N in keyof Ops]: (input: InputOf<Ops[N]>, ctx: CallContext) => Promise<ResultOf<Ops[N]>>
}

/** Contract handlers over a Supervisor. */
export function createSuperviseHandlers(supervisor: Supervisor): SuperviseHandlers {
  return {
    'supervise.status': async () => supervisor.status(),
    'supervise.reset': async (input, ctx) => supervisor.reset(input.service, ctx),
    'supervise.restart': async (input, ctx) => supervisor.restart(input, ctx),
  }
}
