/**
 * Property test: a whole simulated year (2026) per zone, driving the real Scheduler with a FakeClock
 * through timer wakes, random in-between wakeups and random forward clock jumps, checked against an
 * independent oracle. The oracle knows each zone's 2026 offsets and DST instants as hard-coded facts
 * (cross-checked against Intl below) and builds the windows day by day, so it shares no code with
 * trading-window.ts.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../shared/clock'
import { Scheduler, type ScheduleTransitionEvent } from './scheduler'
import { parseScheduleRules, type ScheduleRules } from './schedule-rules'
import { MemoryTradingFlag } from './trading-flag'
import { isTradingWindow } from './trading-window'
import { offsetAt } from './zoned-time'

const H = 3_600_000
const M = 60_000
const D = 24 * H

interface ZoneFacts {
  zone: string
  std: number
  dst: number
  /** [start, end) of DST in UTC, covering late 2025 to early 2027. */
  dstSpans: Array<[number, number]>
  /** A wall time in the skipped hour of 2026, and one in the repeated hour. */
  gap: string
  repeated: string
  /** Wall times at or near the DST edges, favoured by the generator. */
  critical: string[]
}

const ZONES: ZoneFacts[] = [
  {
    zone: 'America/New_York',
    std: -5 * H,
    dst: -4 * H,
    dstSpans: [[Date.parse('2026-03-08T07:00:00Z'), Date.parse('2026-11-01T06:00:00Z')]],
    gap: '02:30',
    repeated: '01:30',
    critical: ['02:30', '02:00', '01:30', '01:00', '03:00'],
  },
  {
    zone: 'Europe/London',
    std: 0,
    dst: H,
    dstSpans: [[Date.parse('2026-03-29T01:00:00Z'), Date.parse('2026-10-25T01:00:00Z')]],
    gap: '01:30',
    repeated: '01:30',
    critical: ['01:30', '01:00', '02:00'],
  },
  {
    zone: 'Australia/Sydney',
    std: 10 * H,
    dst: 11 * H,
    dstSpans: [
      [Date.parse('2025-10-04T16:00:00Z'), Date.parse('2026-04-04T16:00:00Z')],
      [Date.parse('2026-10-03T16:00:00Z'), Date.parse('2027-04-03T16:00:00Z')],
    ],
    gap: '02:30',
    repeated: '02:30',
    critical: ['02:30', '02:00', '03:00'],
  },
]

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const
const YEAR_START = Date.parse('2026-01-01T00:00:00Z')
const YEAR_END = Date.parse('2027-01-01T00:00:00Z')

// ---------- the oracle ----------

const oracleOffset = (z: ZoneFacts, t: number) =>
  z.dstSpans.some(([a, b]) => t >= a && t < b) ? z.dst : z.std

/** Local wall (as UTC ms) -> instant, by the documented rule, from the hard-coded facts. */
function oracleResolve(z: ZoneFacts, wall: number): number {
  const valid = [wall - z.std, wall - z.dst]
    .filter((c) => c + oracleOffset(z, c) === wall)
    .sort((a, b) => a - b)
  if (valid[0] !== undefined) return valid[0]
  // In a gap: the spring-forward instant inside [wall - dst, wall - std].
  const edge = z.dstSpans.map(([a]) => a).find((a) => a >= wall - z.dst && a <= wall - z.std)
  if (edge === undefined) throw new Error(`oracle: no gap for ${new Date(wall).toISOString()}`)
  return edge
}

const clockMs = (hhmm: string) => (Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))) * M
const isoDate = (wall: number) => new Date(wall).toISOString().slice(0, 10)
const localDate = (z: ZoneFacts, t: number) => isoDate(t + oracleOffset(z, t))

interface Cfg {
  start: string
  stop: string
  days: Array<(typeof DAYS)[number]>
  holidays: string[]
  earlyCloses: Array<{ date: string; stop: string }>
}

interface Win {
  s: number
  e: number
}

function oracleWindows(z: ZoneFacts, c: Cfg): Win[] {
  const start = clockMs(c.start)
  const stop = clockMs(c.stop)
  const len = (stop - start + D) % D
  const out: Win[] = []
  // A final clock jump can carry the simulation a few days into 2027.
  for (let day = Date.UTC(2025, 11, 28); day <= Date.UTC(2027, 0, 15); day += D) {
    const date = isoDate(day)
    if (
      !c.days.includes(DAYS[new Date(day).getUTCDay()] as (typeof DAYS)[number]) ||
      c.holidays.includes(date)
    )
      continue
    let stopWall = day + start + len
    const ec = c.earlyCloses.find((e) => e.date === date)
    if (ec) stopWall = Math.min(stopWall, day + start + ((clockMs(ec.stop) - start + D) % D))
    const s = oracleResolve(z, day + start)
    const e = oracleResolve(z, stopWall)
    if (e <= s) continue
    const last = out[out.length - 1]
    if (last && last.e >= s) last.e = Math.max(last.e, e)
    else out.push({ s, e })
  }
  return out
}

const oracleState = (wins: Win[], t: number) => wins.some((w) => t >= w.s && t < w.e)

// ---------- generators ----------

const hhmm = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`)

function cfgArb(z: ZoneFacts): fc.Arbitrary<Cfg> {
  const time = fc.oneof(
    fc.constantFrom(...z.critical),
    fc.constantFrom('09:30', '16:00', '18:00', '23:30', '00:00', '12:00'),
    hhmm,
  )
  const all: Cfg['days'] = [...DAYS]
  const days: fc.Arbitrary<Cfg['days']> = fc.oneof(fc.constant(all), fc.subarray(all, { minLength: 1 }))
  const dates = fc.uniqueArray(
    fc.integer({ min: 0, max: 364 }).map((d) => isoDate(YEAR_START + d * D)),
    { maxLength: 15 },
  )
  return fc
    .record({
      start: time,
      stop: time,
      days,
      holidays: dates,
      ecDates: dates,
      ecFrac: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
    })
    .filter((r) => r.start !== r.stop)
    .map((r) => {
      const start = clockMs(r.start)
      const len = (clockMs(r.stop) - start + D) % D
      const earlyCloses = r.ecDates
        .filter(
          (d) =>
            !r.holidays.includes(d) &&
            r.days.includes(DAYS[new Date(`${d}T00:00:00Z`).getUTCDay()] as (typeof DAYS)[number]),
        )
        .slice(0, 5)
        .map((date) => {
          const off = Math.max(M, Math.min(len - M, Math.round((len * r.ecFrac) / M) * M))
          const t = (start + off) % D
          return {
            date,
            stop: `${String(Math.floor(t / H)).padStart(2, '0')}:${String((t % H) / M).padStart(2, '0')}`,
          }
        })
        .filter((e) => len > 2 * M && clockMs(e.stop) !== start)
      return { start: r.start, stop: r.stop, days: r.days, holidays: r.holidays, earlyCloses }
    })
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// ---------- the simulation ----------

const CAP = 4 * H

async function simulateYear(z: ZoneFacts, c: Cfg, seed: number): Promise<void> {
  const rules: ScheduleRules = parseScheduleRules({
    start: c.start,
    stop: c.stop,
    timezone: z.zone,
    days: c.days,
    holidays: c.holidays,
    early_closes: c.earlyCloses,
  })
  const wins = oracleWindows(z, c)
  const rnd = mulberry32(seed)
  const clock = new FakeClock(YEAR_START + Math.floor(rnd() * D))
  const flag = new MemoryTradingFlag(null, () => clock.now())
  const events: ScheduleTransitionEvent[] = []
  const sched = new Scheduler({
    clock,
    getRules: () => rules,
    flag,
    maxTimerMs: CAP,
    onTransition: (e) => {
      // The event and the pure function agree at the moment of writing.
      expect(e.enabled).toBe(isTradingWindow(rules, clock.now()).enabled)
      events.push(e)
    },
  })
  const t0 = clock.now().getTime()
  const dstDays = z.dstSpans.flat()
  await sched.start()
  /** Wall intervals in which transitions may be late (after a jump, until the capped timer wakes). */
  const blurred: Array<[number, number]> = []
  const check = async () => {
    const now = clock.now().getTime()
    const expected = oracleState(wins, now)
    expect(
      isTradingWindow(rules, clock.now()).enabled,
      `isTradingWindow at ${clock.now().toISOString()}`,
    ).toBe(expected)
    expect((await flag.get())?.value, `flag at ${clock.now().toISOString()}`).toBe(expected)
  }
  await check()
  while (clock.now().getTime() < YEAR_END) {
    const r = rnd()
    if (r < 0.78) {
      await clock.advance(clock.nextTimerIn() ?? CAP) // to the next transition (or capped wake)
    } else if (r < 0.98) {
      await clock.advance(1 + Math.floor(rnd() * 3 * H)) // a wakeup somewhere in between
    } else {
      const from = clock.now().getTime()
      const by = M + Math.floor(rnd() * (rnd() < 0.8 ? 6 * H : 3 * D))
      if (dstDays.some((d) => d > from - D && d < from + by + CAP + D)) {
        // Keep the DST days observable in every run: no jump blurs them.
        await clock.advance(clock.nextTimerIn() ?? CAP)
      } else {
        clock.jump(by) // sleep / clock step forward
        blurred.push([from, clock.now().getTime() + CAP])
        await clock.advance(CAP)
      }
    }
    await check()
  }
  sched.stop()
  const tEnd = clock.now().getTime()

  const isBlurred = (t: number) => blurred.some(([a, b]) => t > a && t <= b)
  const boundaries = wins.flatMap((w) => [
    { at: w.s, kind: 'start' as const },
    { at: w.e, kind: 'stop' as const },
  ])
  const byAt = new Map(events.map((e) => [Date.parse(e.at), e]))

  // Every transition the clock ticked through fires exactly once, at its instant.
  for (const b of boundaries) {
    if (b.at <= t0 || b.at > tEnd || isBlurred(b.at)) continue
    const hits = events.filter((e) => Date.parse(e.at) === b.at)
    expect(
      hits.map((e) => e.kind),
      `transition at ${new Date(b.at).toISOString()}`,
    ).toEqual([b.kind])
  }
  // Nothing else fires: only the start-up assertion and catch-ups after a jump (never a replay).
  const known = new Set(boundaries.map((b) => b.at))
  let prevAt = -Infinity
  let prevEnabled: boolean | null = null
  for (const e of events) {
    const t = Date.parse(e.at)
    expect(t).toBeGreaterThan(prevAt)
    if (prevEnabled !== null) expect(e.enabled).toBe(!prevEnabled)
    if (e.trigger !== 'startup' && !known.has(t)) expect(isBlurred(t), `unexpected event ${e.at}`).toBe(true)
    if (e.kind === 'start' && known.has(t)) {
      // Never on a holiday or a non-trading day.
      const date = localDate(z, t)
      expect(c.holidays).not.toContain(date)
      expect(c.days).toContain(DAYS[new Date(`${date}T00:00:00Z`).getUTCDay()])
    }
    prevAt = t
    prevEnabled = e.enabled
  }
  // A time in the repeated hour fires once: no two starts on one local date at the same local time.
  const seen = new Set<string>()
  for (const e of events.filter(
    (x) => x.kind === 'start' && byAt.has(Date.parse(x.at)) && known.has(Date.parse(x.at)),
  )) {
    const t = Date.parse(e.at)
    const key = `${localDate(z, t)} ${new Date(t + oracleOffset(z, t)).toISOString().slice(11, 16)}`
    expect(seen.has(key), `start fired twice at ${key}`).toBe(false)
    seen.add(key)
  }
}

describe('a simulated year of trading windows', () => {
  it('the oracle facts agree with Intl', () => {
    for (const z of ZONES) {
      for (
        let t = Date.parse('2025-12-01T00:00:00Z');
        t < Date.parse('2027-02-01T00:00:00Z');
        t += 97 * M + 13_000
      ) {
        if (offsetAt(z.zone, t) !== oracleOffset(z, t))
          throw new Error(`${z.zone} at ${new Date(t).toISOString()}`)
      }
    }
  })

  for (const z of ZONES) {
    it(`${z.zone}: every transition fires once, on trading days, and the flag always equals isTradingWindow`, async () => {
      const all = [...DAYS]
      // Fixed examples that put start and stop times in the skipped and the repeated hour.
      const ex = (start: string, stop: string, holidays: string[] = []): Cfg => ({
        start,
        stop,
        days: all,
        holidays,
        earlyCloses: [],
      })
      const examples: Array<[Cfg, number]> = [
        [ex(z.gap, '16:00'), 1],
        [ex('18:00', z.gap), 2],
        [ex(z.repeated, '12:00'), 3],
        [ex('18:00', z.repeated), 4],
        [ex(z.gap, z.critical[1] as string, ['2026-07-03']), 5],
      ]
      await fc.assert(
        fc.asyncProperty(cfgArb(z), fc.integer(), (c, seed) => simulateYear(z, c, seed)),
        // numRuns counts the examples too: these are 2 random years on top.
        { numRuns: examples.length + 2, examples },
      )
    }, 120_000)
  }
})
