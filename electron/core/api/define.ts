import type { Static, TSchema } from 'typebox'
import type { CallContext } from './call-context'

/**
 * Token scopes, ordered: `admin` includes `operate`, which includes `read`.
 * Every operation names the least scope that may call it.
 */
export type Scope = 'read' | 'operate' | 'admin'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'

/**
 * The status of an ok REST answer when it is not 200 (RPC answers 200 for every ok envelope):
 * - `created`: 201 with the result.
 * - `no-content`: 204, no body (the result is in the audit log and on RPC).
 * - `created-or-no-content`: 201 with the result when `result.created` is true, else 204 (an upsert).
 */
export type HttpSuccess = 'created' | 'no-content' | 'created-or-no-content'

export interface HttpRoute {
  method: HttpMethod
  /** `{param}` segments are filled into the input by name (e.g. `/services/{name}` gives `name`). */
  path: string
  success?: HttpSuccess
}

export interface OperationDef<I extends TSchema = TSchema, R extends TSchema = TSchema> {
  summary: string
  scope: Scope
  input: I
  result: R
  /** Optional REST route; the HTTP adapter derives its route table from these. */
  http?: HttpRoute
  /**
   * Who writes the audit record of a call. Every operation that changes something (scope `operate`
   * or `admin`) must say; read-only operations are not audited.
   * - `true`: the handler wrapper records who, door, reason and outcome, whichever door it came through.
   * - `'domain'`: the domain records it itself, because only it sees what happened (the killswitch's
   *   acknowledgements and the containers it paused; a supervised restart's intent before and outcome
   *   after, per container). A wrapper record on top would count one action twice.
   */
  audit?: true | 'domain'
}

export interface EventDef<P extends TSchema = TSchema> {
  summary: string
  payload: P
}

/** Identity helpers: they only pin the generic types so `Static<>` works on each row. */
export const op = <I extends TSchema, R extends TSchema>(def: OperationDef<I, R>): OperationDef<I, R> => def
export const ev = <P extends TSchema>(def: EventDef<P>): EventDef<P> => def

export type InputOf<D> = D extends OperationDef<infer I, TSchema> ? Static<I> : never
export type ResultOf<D> = D extends OperationDef<TSchema, infer R> ? Static<R> : never
export type PayloadOf<D> = D extends EventDef<infer P> ? Static<P> : never

/** The handlers of a table of operations: one function per row, typed by its input and result schemas. */
export type HandlersFor<Ops> = {
  [N in keyof Ops]: (input: InputOf<Ops[N]>, ctx: CallContext) => Promise<ResultOf<Ops[N]>>
}
