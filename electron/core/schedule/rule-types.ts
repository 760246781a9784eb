import type { DayName } from './zoned-time'

/**
 * The `[schedule]` section of config.toml, validated and normalised. Plain data (no class instances),
 * so it can be returned over the contract as it is; evaluation compiles it lazily (compile-rules.ts).
 */
export type TimeSpec =
  /** A local time of day; `ms` is milliseconds after local midnight. */
  | { kind: 'clock'; text: string; ms: number }
  /** A 5-field cron expression read as local wall time in the rules' zone. */
  | { kind: 'cron'; text: string }

export interface EarlyClose {
  date: string
  stop: string
  ms: number
}

export interface ScheduleRules {
  start: TimeSpec
  stop: TimeSpec
  /** Canonical IANA zone. */
  timezone: string
  /** True when `timezone` was not configured and the machine's zone was used. */
  timezoneDefaulted: boolean
  /** Days a window may start on. null: a cron `start` carries the days in its day-of-week field. */
  days: DayName[] | null
  daysDefaulted: boolean
  holidays: string[]
  earlyCloses: EarlyClose[]
  /** Both times are clock times and stop <= start: the window runs past midnight. */
  overnight: boolean
}
