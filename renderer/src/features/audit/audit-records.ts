import type { EventPayload, OpInput, OpResult } from '@contract'

/**
 * Pure helpers of the Audit tab: filter mapping, merging pages, and loading older records (the
 * contract pages forward with `since` and has no "before" cursor; see fetchOlder).
 */

export type AuditRecord = EventPayload<'audit.appended'>
export type AuditQuery = OpInput<'audit.query'>
export type AuditOutcome = AuditRecord['outcome']

export type AuditDoor = AuditRecord['door']
export const OUTCOMES: readonly AuditOutcome[] = ['ok', 'failed', 'partial', 'refused']
/** The doors an act can come through, with what each means to a trader. */
export const DOORS: ReadonlyArray<{ value: AuditDoor; label: string }> = [
  { value: 'ipc', label: 'desktop window (ipc)' },
  { value: 'ws', label: 'browser or attached window (ws)' },
  { value: 'http', label: 'HTTP API and CLI (http)' },
  { value: 'scheduler', label: 'trading-window scheduler' },
  { value: 'supervisor', label: 'supervision' },
  { value: 'system', label: 'Stackdeck itself (system)' },
]
export const PAGE_SIZE = 100
export const MAX_LIMIT = 500

/** Filters as the form holds them; empty strings mean "any". Dates are ISO strings. */
export interface AuditFilters {
  action: string
  who: string
  outcome: '' | AuditOutcome
  door: '' | AuditDoor
  from: string
  to: string
}

export const NO_FILTERS: AuditFilters = { action: '', who: '', outcome: '', door: '', from: '', to: '' }

export const hasFilters = (f: AuditFilters): boolean =>
  f.action !== '' || f.who.trim() !== '' || f.outcome !== '' || f.door !== '' || f.from !== '' || f.to !== ''

/** The server-side part of a query: only the filters that are set. */
export function filtersToQuery(f: AuditFilters): AuditQuery {
  const q: AuditQuery = {}
  if (f.action) q.action = f.action
  const who = f.who.trim()
  if (who) q.who = who
  if (f.outcome) q.outcome = f.outcome
  if (f.door) q.door = f.door
  if (f.from) q.from = f.from
  if (f.to) q.to = f.to
  return q
}

/** Newest first, one row per seq; `incoming` wins over what was held (same seq = same record). */
export function mergeRecords(held: readonly AuditRecord[], incoming: readonly AuditRecord[]): AuditRecord[] {
  const bySeq = new Map<number, AuditRecord>()
  for (const r of held) bySeq.set(r.seq, r)
  for (const r of incoming) bySeq.set(r.seq, r)
  return [...bySeq.values()].sort((a, b) => b.seq - a.seq)
}

export type AuditPage = OpResult<'audit.query'>

/**
 * The newest `pageSize` matching records older than `beforeSeq` (ascending), and whether older ones
 * may exist. The contract only pages forward (`since` = "after this seq"), so this looks in a seq
 * window just below `beforeSeq`, walks it forward, keeps the newest matches, and widens the window
 * (x4) until the page is full or the start of the log is reached. Seq, not time, bounds it: wall-clock
 * stamps can repeat or step back, seq cannot. Without filters the first window is exact (one query).
 */
export async function fetchOlder(
  query: (q: AuditQuery) => Promise<AuditPage>,
  beforeSeq: number,
  filters: AuditFilters,
  pageSize = PAGE_SIZE,
): Promise<{ records: AuditRecord[]; more: boolean }> {
  const base = filtersToQuery(filters)
  let collected: AuditRecord[] = []
  let hi = beforeSeq
  let width = pageSize + 1
  while (hi > 1) {
    const lo = Math.max(0, hi - width)
    const need = pageSize - collected.length
    let inWindow: AuditRecord[] = []
    let extra = false
    for (let cursor = lo; ; ) {
      // Seqs strictly increase, so the window holds at most hi - cursor - 1 records: never ask for more.
      const limit = Math.max(1, Math.min(MAX_LIMIT, hi - cursor - 1))
      const page = await query({ ...base, since: cursor, limit })
      for (const r of page.records) if (r.seq < hi) inWindow.push(r)
      if (inWindow.length > need) {
        extra = true
        inWindow = inWindow.slice(-need)
      }
      const last = page.records[page.records.length - 1]
      if (!page.more || !last || last.seq >= hi - 1 || page.nextCursor <= cursor) break
      cursor = page.nextCursor
    }
    collected = [...inWindow, ...collected]
    if (collected.length >= pageSize) return { records: collected, more: extra || lo > 0 }
    if (lo === 0) return { records: collected, more: false }
    hi = lo + 1
    width *= 4
  }
  return { records: collected, more: false }
}

/**
 * Options of the action filter from the actions seen so far: each action plus its dot prefixes
 * (the server matches a prefix at a dot boundary, so `stack` selects every stack.* record).
 */
export function actionOptions(seen: Iterable<string>, selected = ''): { value: string; label: string }[] {
  const exact = new Set<string>()
  const prefixes = new Set<string>()
  for (const a of seen) {
    exact.add(a)
    const parts = a.split('.')
    for (let i = 1; i < parts.length; i++) prefixes.add(parts.slice(0, i).join('.'))
  }
  if (selected && !exact.has(selected) && !prefixes.has(selected)) exact.add(selected)
  const values = [...new Set([...exact, ...prefixes])].sort()
  return values.map((v) => ({ value: v, label: prefixes.has(v) && !exact.has(v) ? `${v}.* (all)` : v }))
}

/** The short form shown in the table; the drawer shows the full hash. */
export function shortHash(hash: string | undefined): string {
  if (!hash) return ''
  const bare = hash.replace(/^sha256:/i, '')
  return bare.slice(0, 10)
}

const pad = (n: number) => String(n).padStart(2, '0')

/** Local date and time to the second, sortable and unambiguous at a glance. */
export function formatStamp(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** `<input type="datetime-local">` value (local time) to an ISO instant; '' stays ''. */
export function localInputToIso(value: string, endOfMinute = false): string {
  if (!value) return ''
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) return ''
  // "To 12:30" reads as "through 12:30" to a person, so a bound without seconds covers the minute.
  if (endOfMinute && /T\d{2}:\d{2}$/.test(value)) d.setSeconds(59, 999)
  return d.toISOString()
}

/** ISO instant to the local value an `<input type="datetime-local">` shows. */
export function isoToLocalInput(iso: string): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
  return d.getSeconds() === 0 || (d.getSeconds() === 59 && d.getMilliseconds() === 999) ? base : `${base}:${pad(d.getSeconds())}`
}

/** The detail JSON as the drawer prints it. */
export function prettyDetail(detail: unknown): string {
  if (detail === undefined) return '(no detail)'
  try {
    // Records come off JSON lines, so stringify always yields text; the fallbacks are for safety.
    return JSON.stringify(detail, null, 2) ?? '(detail cannot be shown)'
  } catch {
    return '(detail cannot be shown)'
  }
}
