/**
 * The single source of truth for what Stackdeck can do. Every door (IPC, HTTP, WebSocket, CLI)
 * derives its surface from these two tables; each domain contributes its rows from `contract/<domain>.ts`.
 */
import type { CallContext } from '../call-context'
import type { InputOf, PayloadOf, ResultOf } from '../define'
import type { ErrorCode, ErrorDetail } from '../../errors'
import { apiTokenOperations } from './api-token'
import { appEvents, appOperations } from './app'
import { auditEvents, auditOperations } from './audit'
import { busEvents, busOperations } from './bus'
import { configEvents, configOperations } from './config'
import { scheduleEvents, scheduleOperations } from './schedule'
import { stateEvents, stateOperations } from './state'
import { superviseEvents, superviseOperations } from './supervise'
import { stackEvents, stackOperations } from './stack'
import { workflowEvents, workflowOperations } from './workflow'
import { historyEvents, historyOperations } from './history'
import { servicesEvents, servicesOperations } from './services'
import { runsEvents, runsOperations } from './runs'

export const operations = {
  ...appOperations,
  ...apiTokenOperations,
  ...stackOperations,
  ...workflowOperations,
  ...busOperations,
  ...configOperations,
  ...scheduleOperations,
  ...stateOperations,
  ...superviseOperations,
  ...auditOperations,
  ...historyOperations,
  ...servicesOperations,
  ...runsOperations,
} as const

export const events = {
  ...appEvents,
  ...stackEvents,
  ...workflowEvents,
  ...busEvents,
  ...configEvents,
  ...scheduleEvents,
  ...stateEvents,
  ...superviseEvents,
  ...auditEvents,
  ...historyEvents,
  ...servicesEvents,
  ...runsEvents,
} as const

export type Operations = typeof operations
export type OperationName = Extract<keyof Operations, string>
export type OpInput<N extends OperationName> = InputOf<Operations[N]>
export type OpResult<N extends OperationName> = ResultOf<Operations[N]>

export type Events = typeof events
export type EventName = Extract<keyof Events, string>
export type EventPayload<N extends EventName> = PayloadOf<Events[N]>
export type EventMap = { [N in EventName]: EventPayload<N> }

export interface ContractError {
  code: ErrorCode
  message: string
  path?: string
  details?: ErrorDetail[]
}

export type Envelope<T> = { ok: true; result: T } | { ok: false; error: ContractError }

export type Handler<N extends OperationName> = (input: OpInput<N>, ctx: CallContext) => Promise<OpResult<N>>
export type Handlers = { [N in OperationName]: Handler<N> }

export const operationNames = Object.keys(operations) as OperationName[]
export const eventNames = Object.keys(events) as EventName[]

/** The operations the handler wrapper audits, read from the contract rows (`audit: true`). */
export const wrapperAuditedOperations: readonly OperationName[] = operationNames.filter(
  (n) => operations[n].audit === true,
)

/**
 * Calls an operation by name, typed by the table above: what every client of the contract offers,
 * whichever door it goes through (the renderer's IPC and WebSocket clients, the CLI over HTTP).
 */
export interface ContractCaller {
  call<N extends OperationName>(name: N, input: OpInput<N>): Promise<OpResult<N>>
}

/** What the renderer sees, whichever door it came through: calls, and every event. */
export interface StackdeckClient extends ContractCaller {
  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void
  readonly door: 'ipc' | 'ws'
}

/** One pushed event as it travels: its name and the payload the table gives that name. */
export type EventFrame = { [E in EventName]: { event: E; payload: EventPayload<E> } }[EventName]
