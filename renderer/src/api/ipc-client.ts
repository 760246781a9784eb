import type { Envelope, EventName, EventPayload, OperationName, OpInput, OpResult, StackdeckClient } from '@contract'
import type { StackdeckBridge } from '../../../electron/preload/api-shape'
import { CallError } from './call-error'

export function createIpcClient(bridge: StackdeckBridge): StackdeckClient {
  return {
    door: 'ipc',
    async call<N extends OperationName>(name: N, input: OpInput<N>): Promise<OpResult<N>> {
      const fn = bridge.ops[name] as unknown as ((i: unknown) => Promise<Envelope<OpResult<N>>>) | undefined
      if (!fn) throw new CallError({ code: 'not_found', message: `The app does not offer ${name}` })
      const env = await fn(input)
      if (env.ok) return env.result
      throw new CallError(env.error)
    },
    on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void {
      const sub = bridge.on[name] as unknown as ((l: (p: EventPayload<E>) => void) => () => void) | undefined
      return sub ? sub(listener) : () => undefined
    },
  }
}
