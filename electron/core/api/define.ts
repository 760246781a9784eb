import type { Static, TSchema } from 'typebox'
import type { CallContext } from './call-context'

/**
 * Token scopes, ordered: `admin` includes `operate`, which includes `read`.
 * Every operation names the least scope that may call it.
 */
export type Scope = 'read' | 'operate' | 'admin'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'

export interface HttpRoute {
  method: HttpMethod
  /**
   * The route's path. A segment `{name}` is a path parameter: the host decodes it and passes it as
   * the input property of that name (the input schema must declare it), so `/runs/{id}` and the
   * RPC call `{ "id": ... }` reach the same handler with the same validation.
   */
  path: string
  /**
   * The status of a success, when not 200: a number (201 for a create), or a boolean result field
   * that picks one of two (an upsert answers 201 when it created, 204 when it updated). A 204
   * answers no body, whatever the result holds.
   */
  status?: number | { field: string; whenTrue: number; whenFalse: number }
  /** Answer 204 with no body when this result field is null (e.g. no command is waiting). */
  noContentWhenNull?: string
  /**
   * A body cap below `api.maxBodyBytes` for this operation, on every door that reads a body
   * (REST and RPC); bigger bodies answer 413 before they are parsed.
   */
  maxBodyBytes?: number
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
