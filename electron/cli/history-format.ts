/** Output of the `history` commands: human tables, and the columns of their CSV. Pure. */
import type { OpResult } from '../core/api/contract'
import { EXIT, type ExitCode } from './exit-codes'
import { clip, table } from './format'
import type { Column } from './tabular'
import { formatBytes, formatMs } from './time-args'

export type HistoryStatusT = OpResult<'history.status'>
export type StoredEventT = OpResult<'history.events'>['events'][number]
export type TransitionT = OpResult<'history.agent'>['transitions'][number]
export type StateRecordT = OpResult<'history.state'>['records'][number]
export type CountT = OpResult<'history.counts'>['counts'][number]

const n = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v.toLocaleString('en-US') : '-')

/** 0 writing; 5 paused, unavailable, opening or stopped (the host is up, history is not being written); 1 off. */
export function historyStatusExit(s: Pick<HistoryStatusT, 'state' | 'enabled'>): ExitCode {
  if (s.state === 'writing') return EXIT.ok
  if (s.state === 'off' || s.enabled === false) return EXIT.failed
  return EXIT.partial
}

export function formatHistoryStatus(s: HistoryStatusT): string {
  const rows: string[][] = []
  const state = s.state.toUpperCase()
  rows.push(['history', `${state} (${s.engine})${s.reason ? `: ${s.reason}` : ''}`])
  if (s.state === 'off') return table(['', ''], rows).split('\n').slice(1).join('\n')
  if (s.since && s.state !== 'writing') rows.push(['since', s.since])
  rows.push(['written', `${n(s.written)} events since start; last write ${s.lastWriteAt ?? 'never'}`])
  rows.push(['lag', `${formatMs(s.lagMs)} (${n(s.buffered)} buffered, not stored yet)`])
  const dropped = s.dropped.evicted + s.dropped.overflow
  rows.push([
    'dropped',
    `${n(dropped)}${dropped > 0 ? '  NOT STORED' : ''} (${n(s.dropped.evicted)} evicted from the ring before the writer read them, ${n(s.dropped.overflow)} buffer overflow)`,
  ])
  rows.push([
    'disk',
    `${formatBytes(s.disk.bytes)} of ${formatBytes(s.disk.limit)}${s.disk.percent === null ? '' : ` (${s.disk.percent} %)`}`,
  ])
  rows.push(['stored', `${n(s.events)} events${s.oldest ? `, oldest ${s.oldest}` : ''}`])
  rows.push(['retention', `${n(s.retentionDropped)} events removed since start`])
  return table(['', ''], rows).split('\n').slice(1).join('\n')
}

export const EVENT_COLUMNS: readonly Column<StoredEventT>[] = [
  { header: 'cursor', value: (e) => e.cursor },
  { header: 'receivedAt', value: (e) => e.receivedAt },
  { header: 'channel', value: (e) => e.channel },
  { header: 'type', value: (e) => e.type },
  { header: 'source', value: (e) => e.source },
  { header: 'agent', value: (e) => e.agent },
  { header: 'host', value: (e) => e.host },
  { header: 'payload', value: (e) => e.payload },
]

/** One line per event; a payload with line breaks stays on its line (they are shown as \n). */
const oneLine = (s: string) => s.replace(/\r?\n|\r/g, '\\n')

export function eventRows(events: readonly StoredEventT[]): string[][] {
  return events.map((e) => [
    String(e.cursor),
    e.receivedAt,
    e.channel,
    e.source ?? '',
    e.agent ?? '',
    clip(oneLine(e.payload), 120),
  ])
}

export const EVENT_HEADERS = ['CURSOR', 'RECEIVED', 'CHANNEL', 'SOURCE', 'AGENT', 'PAYLOAD']

export function formatStoredEvents(events: readonly StoredEventT[]): string {
  return events.length === 0 ? 'no stored events match' : table(EVENT_HEADERS, eventRows(events))
}

const detailText = (d: unknown): string => {
  if (d === null || d === undefined) return ''
  if (typeof d === 'string') return d
  try {
    return JSON.stringify(d) ?? ''
  } catch {
    return '?'
  }
}

export const TRANSITION_COLUMNS: readonly Column<TransitionT>[] = [
  { header: 'at', value: (t) => t.at },
  { header: 'from', value: (t) => t.from },
  { header: 'to', value: (t) => t.to },
  { header: 'detail', value: (t) => (t.detail === null || t.detail === undefined ? null : detailText(t.detail)) },
]

export function formatAgentTimeline(agent: string, ts: readonly TransitionT[]): string {
  if (ts.length === 0) return `no status changes recorded for ${agent}`
  const rows = ts.map((t) => [t.at, t.from ?? '-', t.to, clip(oneLine(detailText(t.detail)), 100)])
  return `${agent}: ${ts.length} status change${ts.length === 1 ? '' : 's'}\n${table(['AT', 'FROM', 'TO', 'DETAIL'], rows)}`
}

export const STATE_COLUMNS: readonly Column<StateRecordT>[] = [
  { header: 'at', value: (r) => r.at },
  { header: 'kind', value: (r) => r.kind },
  { header: 'who', value: (r) => r.who },
  { header: 'why', value: (r) => r.why },
  { header: 'host', value: (r) => r.host },
  { header: 'detail', value: (r) => (r.detail === null || r.detail === undefined ? null : detailText(r.detail)) },
]

export function formatStateHistory(records: readonly StateRecordT[]): string {
  if (records.length === 0) return 'no state changes recorded'
  const rows = records.map((r) => [
    r.at,
    r.kind,
    r.who ?? '-',
    clip(oneLine(r.why ?? ''), 60),
    clip(oneLine(detailText(r.detail)), 80),
  ])
  return table(['AT', 'KIND', 'WHO', 'WHY', 'DETAIL'], rows)
}

export const COUNT_COLUMNS: readonly Column<CountT>[] = [
  { header: 'minute', value: (c) => c.minute },
  { header: 'channel', value: (c) => c.channel },
  { header: 'count', value: (c) => c.count },
]

export function formatCounts(counts: readonly CountT[], range: { from: string; to?: string | undefined }): string {
  const total = counts.reduce((a, c) => a + c.count, 0)
  const minutes = new Set(counts.map((c) => c.minute)).size
  const channels = new Set(counts.map((c) => c.channel)).size
  const head = `${n(total)} events on ${channels} channel${channels === 1 ? '' : 's'} in ${minutes} minute${minutes === 1 ? '' : 's'} (${range.from} -> ${range.to ?? 'now'})`
  if (counts.length === 0) return `no stored events from ${range.from} to ${range.to ?? 'now'}`
  return `${head}\n${table(['MINUTE', 'CHANNEL', 'COUNT'], counts.map((c) => [c.minute, c.channel, String(c.count)]))}`
}
