import type { EarlyClose, ScheduleRules, TimeSpec } from './rule-types'
import {
  CronSeries,
  DailySeries,
  FilteredSeries,
  ListSeries,
  MergedSeries,
  type WallSeries,
} from './event-series'
import { DAY_MS, dateToWall, formatWall, wallDate, wallDay } from './zoned-time'

/**
 * Rules turned into two series of wall times:
 * - `starts`: every wall time a window may open, already filtered by `days` and `holidays`
 *   (a window belongs to the local date it starts on);
 * - `stops`: every regular stop (every day: a stop outside a window does nothing) plus early closes.
 * State at a time is then "the latest event wins" (see trading-window.ts).
 */
export interface CompiledRules {
  zone: string
  starts: WallSeries
  stops: WallSeries
  /** The early close that produced this stop wall, if any. */
  earlyAt(wall: number): EarlyClose | undefined
  isHoliday(date: string): boolean
  /** The weekday may start a window (always true when a cron start carries the days). */
  isTradingDay(wall: number): boolean
  /** Why an early close would not shorten a window, or null when it does. */
  checkEarlyClose(date: string, ms: number): string | null
  startsEver(): boolean
}

function seriesOf(spec: TimeSpec): WallSeries {
  return spec.kind === 'clock' ? new DailySeries(spec.ms) : new CronSeries(spec.text)
}

/** First wall with time-of-day `ms` strictly after `after`. */
function nextTimeOfDay(after: number, ms: number): number {
  const c = Math.floor(after / DAY_MS) * DAY_MS + ms
  return c > after ? c : c + DAY_MS
}

/** Uncached: use `compiled()` outside validation. */
export function compileRules(rules: ScheduleRules): CompiledRules {
  const holidays = new Set(rules.holidays)
  const days = rules.days === null ? null : new Set(rules.days)
  const isTradingDay = (wall: number) => days === null || days.has(wallDay(wall))
  const starts = new FilteredSeries(
    seriesOf(rules.start),
    (w) => isTradingDay(w) && !holidays.has(wallDate(w)),
  )
  const regularStops = seriesOf(rules.stop)

  /** The first start of the local date, or null when no window starts that day. */
  const firstStartOn = (date: string): number | null => {
    const day = dateToWall(date)
    if (day === null) return null
    const s = starts.next(day - 1)
    return s !== null && s < day + DAY_MS ? s : null
  }

  const early = new Map<number, EarlyClose>()
  for (const e of rules.earlyCloses) {
    const s = firstStartOn(e.date)
    if (s !== null) early.set(nextTimeOfDay(s, e.ms), e)
  }
  const stops =
    early.size === 0 ? regularStops : new MergedSeries([regularStops, new ListSeries(early.keys())])

  return {
    zone: rules.timezone,
    starts,
    stops,
    earlyAt: (wall) => early.get(wall),
    isHoliday: (date) => holidays.has(date),
    isTradingDay,
    checkEarlyClose(date, ms) {
      const s = firstStartOn(date)
      if (s === null) {
        return `no trading window starts on ${date} (a holiday or not a trading day), so there is nothing to close early`
      }
      const e = nextTimeOfDay(s, ms)
      const regular = regularStops.next(s)
      if (regular !== null && e >= regular) {
        return `the early close ${formatWall(e)} is not before the regular stop ${formatWall(regular)} of the window opening ${formatWall(s)}`
      }
      return null
    },
    startsEver: () => starts.next(Date.UTC(2000, 0, 1)) !== null,
  }
}

const cache = new WeakMap<ScheduleRules, CompiledRules>()

/** Compiled rules, cached per rules object (rules are treated as immutable once parsed). */
export function compiled(rules: ScheduleRules): CompiledRules {
  let c = cache.get(rules)
  if (!c) {
    c = compileRules(rules)
    cache.set(rules, c)
  }
  return c
}
