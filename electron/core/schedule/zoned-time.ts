/**
 * Wall-clock arithmetic in an IANA zone using only `Intl` (no tz library).
 *
 * A "wall" value is a local date-time encoded as if it were UTC milliseconds: 2026-03-08 02:30 local is
 * `Date.UTC(2026, 2, 8, 2, 30)`. Rules are evaluated on walls (where "09:30 every weekday" is plain
 * arithmetic, with no DST) and turned into instants only at the end by `resolveWall`, which is where
 * every DST decision lives.
 */

export const HOUR_MS = 3_600_000
export const DAY_MS = 86_400_000

export const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const
export type DayName = (typeof DAY_NAMES)[number]

/** How a wall time became an instant. */
export type WallResolution = 'exact' | 'gap' | 'repeated'

export interface ResolvedWall {
  at: number
  /** `gap`: the wall time does not exist (spring forward) and `at` is the first instant after the gap.
   *  `repeated`: it exists twice (fall back) and `at` is the first occurrence. */
  kind: WallResolution
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    })
    formatters.set(zone, f)
  }
  return f
}

/** Canonical zone name, or null when Intl does not know the zone. */
export function canonicalZone(zone: string): string | null {
  if (typeof zone !== 'string' || zone.trim() === '') return null
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone
  } catch {
    return null
  }
}

export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
}

/** Offset (wall - instant) at one whole second, straight from Intl. */
function rawOffset(zone: string, secondMs: number): number {
  let y = 0
  let mo = 0
  let d = 0
  let h = 0
  let mi = 0
  let s = 0
  let bc = false
  for (const p of formatter(zone).formatToParts(secondMs)) {
    switch (p.type) {
      case 'year':
        y = Number(p.value)
        break
      case 'month':
        mo = Number(p.value)
        break
      case 'day':
        d = Number(p.value)
        break
      case 'hour':
        h = Number(p.value)
        break
      case 'minute':
        mi = Number(p.value)
        break
      case 'second':
        s = Number(p.value)
        break
      case 'era':
        bc = p.value.startsWith('B')
        break
    }
  }
  const wall = new Date(0)
  wall.setUTCFullYear(bc ? 1 - y : y, mo - 1, d)
  wall.setUTCHours(h, mi, s, 0)
  return wall.getTime() - secondMs
}

const CACHE_LIMIT = 200_000
/** Per zone: offset for each UTC day / hour in which it is constant (NaN when a transition falls inside). */
const dayOffsets = new Map<string, Map<number, number>>()
const hourOffsets = new Map<string, Map<number, number>>()
const resolved = new Map<string, Map<number, ResolvedWall>>()

function cacheFor<V>(all: Map<string, Map<number, V>>, zone: string): Map<number, V> {
  let m = all.get(zone)
  if (!m) {
    m = new Map()
    all.set(zone, m)
  }
  if (m.size > CACHE_LIMIT) m.clear()
  return m
}

/** The offset over a whole bucket when its first and last second agree, else NaN. */
function bucketOffset(all: Map<string, Map<number, number>>, zone: string, size: number, t: number): number {
  const key = Math.floor(t / size)
  const cache = cacheFor(all, zone)
  let o = cache.get(key)
  if (o === undefined) {
    const a = rawOffset(zone, key * size)
    const b = rawOffset(zone, (key + 1) * size - 1000)
    o = a === b ? a : Number.NaN
    cache.set(key, o)
  }
  return o
}

/**
 * Offset in ms (wall - instant) in `zone` at instant `t`. Intl is slow, so offsets are cached per UTC
 * day, then per hour, where the first and last second agree: this assumes no zone changes its offset
 * and back again within one day, which holds for every zone in the tz database.
 */
export function offsetAt(zone: string, t: number): number {
  const day = bucketOffset(dayOffsets, zone, DAY_MS, t)
  if (!Number.isNaN(day)) return day
  const hour = bucketOffset(hourOffsets, zone, HOUR_MS, t)
  return Number.isNaN(hour) ? rawOffset(zone, Math.floor(t / 1000) * 1000) : hour
}

/** Local wall time (encoded as UTC ms) of instant `t` in `zone`. */
export function wallOf(zone: string, t: number): number {
  return t + offsetAt(zone, t)
}

/**
 * The instant of a wall time. Documented DST behaviour:
 * - a wall time inside a skipped hour maps to the first valid instant after the gap (02:30 -> 03:00);
 * - a wall time inside a repeated hour maps to its first occurrence only.
 */
export function resolveWall(zone: string, wall: number): ResolvedWall {
  const cache = cacheFor(resolved, zone)
  const hit = cache.get(wall)
  if (hit) return hit
  const before = offsetAt(zone, wall - DAY_MS)
  const after = offsetAt(zone, wall + DAY_MS)
  const candidates = [...new Set([wall - before, wall - after])].sort((x, y) => x - y)
  const valid = candidates.filter((c) => wallOf(zone, c) === wall)
  let r: ResolvedWall
  const first = valid[0]
  if (first !== undefined) {
    r = { at: first, kind: valid.length > 1 ? 'repeated' : 'exact' }
  } else {
    r = { at: gapEnd(zone, wall, candidates), kind: 'gap' }
  }
  cache.set(wall, r)
  return r
}

/** First instant whose wall time is past `wall`: where the clock lands after skipping over it. */
function gapEnd(zone: string, wall: number, candidates: number[]): number {
  let lo = Math.min(...candidates)
  let hi = Math.max(...candidates)
  if (wallOf(zone, lo) > wall || wallOf(zone, hi) <= wall) return hi
  // Invariant: wallOf(lo) <= wall < wallOf(hi). Offsets change on whole seconds.
  lo = Math.floor(lo / 1000) * 1000
  hi = Math.ceil(hi / 1000) * 1000
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000
    if (wallOf(zone, mid) > wall) hi = mid
    else lo = mid
  }
  return hi
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** 'YYYY-MM-DD' of a wall value. */
export function wallDate(wall: number): string {
  const d = new Date(wall)
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
}

/** 'HH:MM', or 'HH:MM:SS' when the seconds are not zero. */
export function wallClock(wall: number): string {
  const d = new Date(wall)
  const base = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
  return d.getUTCSeconds() === 0 ? base : `${base}:${pad(d.getUTCSeconds())}`
}

/** 'YYYY-MM-DD HH:MM' (seconds appended only when not zero). */
export function formatWall(wall: number): string {
  return `${wallDate(wall)} ${wallClock(wall)}`
}

export function wallDay(wall: number): DayName {
  return DAY_NAMES[new Date(wall).getUTCDay()] as DayName
}

/** Wall value of local midnight for a 'YYYY-MM-DD' date, or null when the date is not a real one. */
export function dateToWall(date: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (!m) return null
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const wall = Date.UTC(y, mo - 1, d)
  return wallDate(wall) === date ? wall : null
}

/** 'YYYY-MM-DD HH:MM' of an instant in `zone`. */
export function formatInstant(zone: string, t: number): string {
  return formatWall(wallOf(zone, t))
}
