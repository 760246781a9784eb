/**
 * Times and durations on the command line, pure (no clock of its own: `now` is passed in).
 *
 * - a duration: `90s`, `15m`, `2h`, `1d`, `1w`, `500ms`, or compounds such as `1h30m`;
 * - a time: ISO 8601 (`2026-12-02T08:00:00Z`, `2026-12-02T09:00+01:00`, `2026-12-02 08:00`,
 *   `2026-12-02`), taken as UTC when it has no offset; `now`; or a duration meaning "that long ago".
 */
import { usageError } from './exit-codes'

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
}

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/

/** Milliseconds in a duration such as `15m` or `1h30m`, or null when `text` is not one. */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase()
  if (!WHOLE.test(t)) return null
  let ms = 0
  for (const m of t.matchAll(PART)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number)
  return Number.isFinite(ms) ? Math.round(ms) : null
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/

/** Epoch milliseconds of an ISO 8601 time (UTC when it has no offset), or null. */
export function parseIsoTime(text: string): number | null {
  const m = ISO.exec(text.trim())
  if (!m) return null
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m
  const month = Number(mo)
  const day = Number(d)
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null
  let offset = 'Z'
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = zone.replace(':', '')
    offset = `${z.slice(0, 3)}:${z.slice(3, 5) || '00'}`
  }
  const ms = frac ? `.${frac.slice(1, 4).padEnd(3, '0')}` : ''
  const t = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${ms}${offset}`)
  if (!Number.isFinite(t)) return null
  // Date.parse rolls 2026-02-31 over to March; refuse a day the month does not have.
  if (new Date(Date.UTC(Number(y), month - 1, day)).getUTCDate() !== day) return null
  return t
}

const TIME_HINT = 'give ISO 8601 (2026-12-02T08:00:00Z; UTC when no offset), "now", or how long ago (15m, 2h, 1d)'
const DURATION_HINT = 'give a duration such as 90s, 15m, 2h, 1d or 1h30m'

/** A `--from`/`--to` value as epoch ms; a usage error naming the flag when it is not a time. */
export function parseTimeOption(flag: string, text: string, now: number): number {
  const t = text.trim()
  if (t.toLowerCase() === 'now') return now
  const ago = parseDuration(t)
  if (ago !== null) return now - ago
  const at = parseIsoTime(t)
  if (at === null) throw usageError(`--${flag}: "${text}" is not a time; ${TIME_HINT}`)
  return at
}

export interface TimeRange {
  from?: string
  to?: string
}

/**
 * `--from`, `--to` and `--since` as the ISO strings the history operations take. `--since D` is
 * `--from` D ago and cannot be combined with `--from`. `defaultSince` fills in `--since` when no
 * start was given (history counts needs one).
 */
export function timeRange(
  opts: { from?: string | undefined; to?: string | undefined; since?: string | undefined },
  now: number,
  defaultSince?: string,
): TimeRange {
  if (opts.since !== undefined && opts.from !== undefined) throw usageError('give --since or --from, not both')
  let from: number | undefined
  const since = opts.since ?? (opts.from === undefined ? defaultSince : undefined)
  if (since !== undefined) {
    const ms = parseDuration(since)
    if (ms === null) throw usageError(`--since: "${since}" is not a duration; ${DURATION_HINT}`)
    if (ms <= 0) throw usageError(`--since: "${since}" must be longer than zero`)
    from = now - ms
  } else if (opts.from !== undefined) {
    from = parseTimeOption('from', opts.from, now)
  }
  const to = opts.to === undefined ? undefined : parseTimeOption('to', opts.to, now)
  if (from !== undefined && to !== undefined && from >= to)
    throw usageError(`--from (${new Date(from).toISOString()}) is not before --to (${new Date(to).toISOString()})`)
  const out: TimeRange = {}
  if (from !== undefined) out.from = new Date(from).toISOString()
  if (to !== undefined) out.to = new Date(to).toISOString()
  return out
}

/** Milliseconds for people: `850 ms`, `4.2 s`, `3m05s`, `2h10m`, `3d4h`. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-'
  const v = Math.max(0, ms)
  if (v < 1000) return `${Math.round(v)} ms`
  if (v < 60_000) return `${(Math.round(v / 100) / 10).toFixed(1)} s`
  const s = Math.round(v / 1000)
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`
}

/** Bytes for people in binary units: `512 B`, `1.5 KiB`, `2.0 GiB`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '-'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = Math.max(0, bytes)
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return i === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[i]}`
}
