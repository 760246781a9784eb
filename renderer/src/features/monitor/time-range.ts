import type { OpInput, OpResult } from '@contract'
import type { EventFilter } from './event-filter'

/**
 * The event list's time range: Live (the in-memory ring, as before) or a stored range read from
 * the history store. Pure, so the range arithmetic and the query mapping are unit-tested.
 */

export type RangeChoice = 'live' | '15m' | '1h' | 'today' | 'custom'

export const RANGE_LABELS: Record<RangeChoice, string> = {
  live: 'Live',
  '15m': 'Last 15 min',
  '1h': 'Last hour',
  today: 'Today',
  custom: 'Custom range',
}

/** A resolved stored range: [from, to) as ISO instants, fixed when it was chosen (Refresh moves it). */
export interface StoredRange {
  choice: Exclude<RangeChoice, 'live'>
  from: string
  to: string
  /** Set when the range came from a link (e.g. the Audit tab's "events around this"). */
  label: string | null
}

export type StoredEvent = OpResult<'history.events'>['events'][number]
export type HistoryStatus = OpResult<'history.status'>
export type AgentTransition = OpResult<'history.agent'>['transitions'][number]
type EventsQuery = OpInput<'history.events'>

/** Events per stored page; big enough that a busy minute takes few round trips. */
export const STORED_PAGE = 500
/** Rows the stored list holds at most (virtualized, but memory and "Load older" need an end). */
export const STORED_VIEW_CAP = 20_000
/** Events a whole-range export pages through at most; the UI states it. */
export const EXPORT_CAP = 100_000

/**
 * [from, to) for a relative choice at `now`. "Today" is local midnight (the trader's day, as every
 * clock on screen is local) to now. `to` is a millisecond past now so an event received in this very
 * millisecond is inside the half-open range.
 */
export function resolveRange(choice: Exclude<RangeChoice, 'live' | 'custom'>, now: Date): StoredRange {
  const to = new Date(now.getTime() + 1)
  let from: Date
  if (choice === '15m') from = new Date(now.getTime() - 15 * 60_000)
  else if (choice === '1h') from = new Date(now.getTime() - 60 * 60_000)
  else {
    from = new Date(now)
    from.setHours(0, 0, 0, 0)
  }
  return { choice, from: from.toISOString(), to: to.toISOString(), label: null }
}

/** A custom range from two `datetime-local` values, or the reason it is not one. */
export function customRange(fromLocal: string, toLocal: string, label: string | null = null): StoredRange | { error: string } {
  const from = localInputToDate(fromLocal)
  const to = localInputToDate(toLocal)
  if (!from) return { error: 'Set a valid "from" time.' }
  if (!to) return { error: 'Set a valid "to" time.' }
  if (from.getTime() >= to.getTime()) return { error: '"From" must be before "to".' }
  return { choice: 'custom', from: from.toISOString(), to: to.toISOString(), label }
}

/** `<input type="datetime-local">` value (local time, minutes or seconds) to a Date; null when invalid. */
export function localInputToDate(value: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(value)) return null
  const d = new Date(value) // no zone in the string: read as local time, as the input shows it
  return Number.isNaN(d.getTime()) ? null : d
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** ISO instant to the local value a `datetime-local` input shows (to the second). */
export function isoToLocalInput(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

const sameDay = (a: Date, b: Date) => a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate()

/** Local date-time to the second; the date is left out when `iso` is on `today`'s date (null: always dated). */
export function stamp(iso: string, today: Date | null = new Date()): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  const t = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  return today && sameDay(d, today) ? t : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${t}`
}

/** Whether a range reaches outside today, so its rows need their date. */
export function spansOtherDays(r: Pick<StoredRange, 'from' | 'to'>, today: Date = new Date()): boolean {
  return !sameDay(new Date(r.from), today) || !sameDay(new Date(Date.parse(r.to) - 1), today)
}

/** "Last 15 min: 09:12:03 → 09:27:03", what the stored view's indicator says. */
export function describeRange(r: StoredRange, today: Date = new Date()): string {
  const name = r.label ?? RANGE_LABELS[r.choice]
  return `${name}: ${stamp(r.from, today)} → ${stamp(r.to, today)}`
}

/**
 * The live list's filter as a history query. The live type filter is a channel prefix at a dot
 * boundary (`data.market` matches `data.market.quotes`, not `data.marketing`); the store takes one
 * channel glob, so `data.market*` is asked and `matchesStoredType` drops the rest here. `*` and `?`
 * typed in the filter act as globs in the stored view (the store's own syntax).
 */
export function historyQuery(range: StoredRange, filter: EventFilter, page: { before?: number; after?: number; order?: 'asc' | 'desc'; limit?: number } = {}): EventsQuery {
  const type = filter.type.trim()
  const source = filter.source.trim()
  const q: EventsQuery = { from: range.from, to: range.to, order: page.order ?? 'desc', limit: page.limit ?? STORED_PAGE }
  if (type) q.channel = hasGlob(type) ? type : `${type}*`
  if (source) q.source = source
  if (page.before !== undefined) q.before = page.before
  if (page.after !== undefined) q.after = page.after
  return q
}

const hasGlob = (s: string) => /[*?]/.test(s)

/** The dot-boundary half of the type filter, which the store's glob cannot say. */
export function matchesStoredType(e: Pick<StoredEvent, 'channel' | 'type'>, filter: EventFilter): boolean {
  const type = filter.type.trim()
  if (!type || hasGlob(type)) return true
  return e.channel === type || e.channel.startsWith(`${type}.`) || e.type === type
}

export interface HistoryAvailability {
  /** Stored ranges can be asked for. */
  readable: boolean
  /** Short state as the status line shows it: "writing", "paused", "off", "unknown", … */
  state: string
  /** Why it cannot be read, or what to keep in mind (paused: events after `since` are not stored yet). */
  reason: string | null
  tone: 'ok' | 'warn' | 'bad' | 'muted'
}

/**
 * What history.status means for the screen. Unknown (no answer yet, or the call failed) is never
 * shown as available; paused stays readable (the rows already stored can be read) but says so.
 */
export function historyAvailability(status: HistoryStatus | null, error: string | null): HistoryAvailability {
  if (!status) return error ? { readable: false, state: 'unknown', reason: error, tone: 'bad' } : { readable: false, state: 'loading', reason: 'waiting for history.status', tone: 'muted' }
  const why = status.reason ?? null
  switch (status.state) {
    case 'writing':
      return { readable: true, state: 'writing', reason: null, tone: 'ok' }
    case 'paused':
      return { readable: true, state: 'paused', reason: `${why ?? 'the store cannot be written now'}${status.since ? ` (since ${stamp(status.since)}; later events are not stored yet)` : ''}`, tone: 'warn' }
    case 'off':
      return { readable: false, state: 'off', reason: why ?? 'store.enabled is false in the settings', tone: 'muted' }
    case 'opening':
      return { readable: false, state: 'opening', reason: why ?? 'the store is still opening', tone: 'warn' }
    case 'unavailable':
      return { readable: false, state: 'unavailable', reason: why ?? 'the database cannot be opened', tone: 'bad' }
    case 'stopped':
      return { readable: false, state: 'stopped', reason: why ?? 'the store was stopped', tone: 'bad' }
  }
}
