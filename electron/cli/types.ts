/**
 * Result types the formatters read, taken from the contract as types only (erased at build), so
 * the CLI bundle carries no contract code and a renamed field fails the typecheck here.
 */
import type { Static } from 'typebox'
import type { AppInfo, appOperations } from '@core/api/contract/app'
import type { AuditPage } from '@core/api/contract/audit'
import type {
  Agent,
  AgentTotals,
  BusEvent,
  EventsPage,
  KillswitchResult,
  KillswitchState,
} from '@core/api/contract/bus'
import type { ConfigViewsReportT as ConfigViewsReportSchema } from '@core/api/contract/config-views'
import type { ScheduleView } from '@core/api/contract/schedule'
import type { StackActionResult, StackStatus } from '@core/api/contract/stack'
import type { RunReport } from '@core/api/contract/workflow'

export type AppInfoT = Static<typeof AppInfo>
export type HealthT = Static<(typeof appOperations)['app.health']['result']>
export type AuditPageT = Static<typeof AuditPage>
export type AgentsT = {
  agents: Array<Static<typeof Agent>>
  totals: Static<typeof AgentTotals>
  connection: string
  timeoutMs: number
}
export type BusEventT = Static<typeof BusEvent>
export type EventsPageT = Static<typeof EventsPage>
export type KillswitchStateT = Static<typeof KillswitchState>
export type KillswitchResultT = Static<typeof KillswitchResult>
export type ScheduleViewT = Static<typeof ScheduleView>
export type StackActionResultT = Static<typeof StackActionResult>
export type StackStatusT = Static<typeof StackStatus>
export type RunReportT = Static<typeof RunReport>
export type ConfigViewsReportT = Static<typeof ConfigViewsReportSchema>
