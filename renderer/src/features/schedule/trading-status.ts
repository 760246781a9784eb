import type { ScheduleViewData } from './use-schedule'

export type TradingSource = 'schedule' | 'override' | 'killswitch' | 'other' | 'none'

export interface TradingStatus {
  /** What the trading services obey: the flag in Redis, else what the schedule wants. null: unknown. */
  enabled: boolean | null
  source: TradingSource
  /** Human wording of the source, for the state line and the chip's tooltip. */
  sourceLabel: string
}

/**
 * The flag in Redis is the truth the services act on; the schedule's desired state explains it.
 * When they disagree, someone else wrote the flag (the killswitch, a script) and we say so.
 */
export function tradingStatus(v: ScheduleViewData): TradingStatus {
  // state.enabled is the flag when it could be read; state.desired is what the schedule wants.
  const desired = v.state.desired
  const enabled = v.flag?.value ?? v.state.enabled
  if (v.state.vetoed && enabled !== true) return { enabled, source: 'killswitch', sourceLabel: `held off: ${v.state.vetoed}` }
  if (v.state.source === 'killswitch') return { enabled, source: 'killswitch', sourceLabel: 'held off by the killswitch' }
  if (v.flag && desired !== null && v.flag.value !== desired) {
    const ks = /kill/i.test(`${v.flag.who} ${v.flag.why}`)
    return { enabled, source: ks ? 'killswitch' : 'other', sourceLabel: `set by ${v.flag.who}${v.flag.why ? ` (${v.flag.why})` : ''}` }
  }
  if (v.state.source === 'override') {
    const o = v.state.override
    return { enabled, source: 'override', sourceLabel: o ? `override by ${o.who}` : 'override' }
  }
  if (v.state.source === 'schedule') return { enabled, source: 'schedule', sourceLabel: 'schedule' }
  return { enabled, source: 'none', sourceLabel: v.flag ? `set by ${v.flag.who}` : 'no schedule' }
}

export const NOTE_LABELS: Record<string, string> = {
  'skipped-hour-shifted': 'DST gap: shifted',
  'repeated-hour-first': 'DST repeated hour: first one',
  'early-close': 'early close',
}
