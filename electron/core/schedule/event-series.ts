import { Cron } from 'croner'
import { DAY_MS } from './zoned-time'

/**
 * An endless, ordered series of wall times (local date-times encoded as UTC ms, see zoned-time.ts).
 * Both lookups are strict: `next(w) > w`, `prev(w) < w`; null when the series has no such element
 * (or the search gave up: filtered series stop after `FILTER_SCAN_LIMIT` rejected elements).
 */
export interface WallSeries {
  next(after: number): number | null
  prev(before: number): number | null
}

/** About ten years of daily elements: a filter that rejects more than this in a row is treated as exhausted. */
export const FILTER_SCAN_LIMIT = 3700

/** The same time of day, every day. */
export class DailySeries implements WallSeries {
  constructor(private readonly timeOfDayMs: number) {}

  next(after: number): number {
    const c = Math.floor(after / DAY_MS) * DAY_MS + this.timeOfDayMs
    return c > after ? c : c + DAY_MS
  }

  prev(before: number): number {
    const c = Math.floor(before / DAY_MS) * DAY_MS + this.timeOfDayMs
    return c < before ? c : c - DAY_MS
  }
}

/** A 5-field cron expression enumerated on walls: croner runs in UTC so it never applies DST itself. */
export class CronSeries implements WallSeries {
  private readonly cron: Cron
  /** All runs r with lo <= r <= hi are in `runs` (sorted): croner is slow, and lookups cluster. */
  private seg: { lo: number; hi: number; runs: number[] } | null = null

  constructor(pattern: string) {
    this.cron = new Cron(pattern, { timezone: 'UTC', mode: '5-part' })
  }

  next(after: number): number | null {
    const s = this.seg
    if (s && after >= s.lo && after <= s.hi) {
      const i = upperBound(s.runs, after)
      const known = s.runs[i]
      if (known !== undefined) return known
      const r = this.cronNext(s.hi)
      if (r === null) return null
      s.runs.push(r)
      s.hi = r
      this.trim()
      return r
    }
    const r = this.cronNext(after)
    if (r === null) return null
    this.seg = { lo: after + 1, hi: r, runs: [r] }
    return r
  }

  prev(before: number): number | null {
    const s = this.seg
    if (s && before >= s.lo && before <= s.hi + 1) {
      const i = lowerBound(s.runs, before) - 1
      const known = s.runs[i]
      if (known !== undefined) return known
      const r = this.cronPrev(s.lo)
      if (r === null) return null
      s.runs.unshift(r)
      s.lo = r
      this.trim()
      return r
    }
    const r = this.cronPrev(before)
    if (r === null) return null
    this.seg = { lo: r, hi: before - 1, runs: [r] }
    return r
  }

  private cronNext(after: number): number | null {
    return this.cron.nextRun(new Date(after))?.getTime() ?? null
  }

  private cronPrev(before: number): number | null {
    return this.cron.previousRuns(1, new Date(before))[0]?.getTime() ?? null
  }

  private trim(): void {
    if (this.seg && this.seg.runs.length > 5000) this.seg = null
  }
}

/** Elements of `inner` that pass `accept` (trading days, not holidays). */
export class FilteredSeries implements WallSeries {
  constructor(
    private readonly inner: WallSeries,
    private readonly accept: (wall: number) => boolean,
  ) {}

  next(after: number): number | null {
    let w = this.inner.next(after)
    for (let i = 0; w !== null && !this.accept(w); i++) {
      if (i >= FILTER_SCAN_LIMIT) return null
      w = this.inner.next(w)
    }
    return w
  }

  prev(before: number): number | null {
    let w = this.inner.prev(before)
    for (let i = 0; w !== null && !this.accept(w); i++) {
      if (i >= FILTER_SCAN_LIMIT) return null
      w = this.inner.prev(w)
    }
    return w
  }
}

/** A finite sorted list (early closes). */
export class ListSeries implements WallSeries {
  private readonly walls: number[]

  constructor(walls: Iterable<number>) {
    this.walls = [...new Set(walls)].sort((a, b) => a - b)
  }

  next(after: number): number | null {
    return this.walls[upperBound(this.walls, after)] ?? null
  }

  prev(before: number): number | null {
    return this.walls[lowerBound(this.walls, before) - 1] ?? null
  }
}

/** The union of several series. */
export class MergedSeries implements WallSeries {
  constructor(private readonly parts: WallSeries[]) {}

  next(after: number): number | null {
    let best: number | null = null
    for (const p of this.parts) {
      const w = p.next(after)
      if (w !== null && (best === null || w < best)) best = w
    }
    return best
  }

  prev(before: number): number | null {
    let best: number | null = null
    for (const p of this.parts) {
      const w = p.prev(before)
      if (w !== null && (best === null || w > best)) best = w
    }
    return best
  }
}

/** Index of the first element > x. */
function upperBound(a: number[], x: number): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((a[mid] as number) <= x) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Index of the first element >= x. */
function lowerBound(a: number[], x: number): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((a[mid] as number) < x) lo = mid + 1
    else hi = mid
  }
  return lo
}
