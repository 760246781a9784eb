/** The shape `window.stackdeck` has. Types only: the renderer and preload share it, nothing runs here. */
import type { Envelope, EventName, EventPayload, OperationName, OpInput, OpResult } from '../core/api/contract'

export interface StackdeckBridge {
  ops: { [N in OperationName]: (input: OpInput<N>) => Promise<Envelope<OpResult<N>>> }
  on: { [E in EventName]: (listener: (payload: EventPayload<E>) => void) => () => void }
}
