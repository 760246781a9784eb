import { Cron } from 'croner'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CronSeries, DailySeries, FilteredSeries, ListSeries, MergedSeries } from './event-series'

const W = (iso: string) => Date.parse(`${iso}Z`)

describe('wall series', () => {
  it('DailySeries is strict in both directions', () => {
    const s = new DailySeries(9.5 * 3_600_000)
    expect(s.next(W('2026-03-09T09:30:00'))).toBe(W('2026-03-10T09:30:00'))
    expect(s.next(W('2026-03-09T09:29:59.999'))).toBe(W('2026-03-09T09:30:00'))
    expect(s.prev(W('2026-03-09T09:30:00'))).toBe(W('2026-03-08T09:30:00'))
    expect(s.prev(W('2026-03-09T09:30:00.001'))).toBe(W('2026-03-09T09:30:00'))
  })

  it('CronSeries answers like croner itself, whatever the order of lookups (its cache is invisible)', () => {
    const patterns = ['30 9 * * 1-5', '0 9,13 * * 1-5', '*/20 9-10 * * *', '0 16 L * *', '15 2 29 2 *']
    const lo = W('2026-01-01T00:00:00')
    fc.assert(
      fc.property(
        fc.constantFrom(...patterns),
        fc.array(
          fc.record({
            forward: fc.boolean(),
            // Absolute, or close to the previous answer: the window engine's lookups cluster like this.
            near: fc.boolean(),
            sec: fc.integer({ min: 0, max: 400 * 86_400 }),
            delta: fc.integer({ min: -7200, max: 7200 }),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        (pattern, queries) => {
          const series = new CronSeries(pattern)
          const ref = new Cron(pattern, { timezone: 'UTC', mode: '5-part' })
          let last = lo
          for (const q of queries) {
            const t = q.near ? last + q.delta * 1000 : lo + q.sec * 1000
            const expected = q.forward
              ? ref.nextRun(new Date(t))?.getTime()
              : ref.previousRuns(1, new Date(t))[0]?.getTime()
            const got = q.forward ? series.next(t) : series.prev(t)
            expect(got).toBe(expected ?? null)
            if (got !== null) last = got
          }
        },
      ),
      { numRuns: 60 },
    )
  })

  it('FilteredSeries skips rejected elements and gives up on an impossible filter', () => {
    const daily = new DailySeries(0)
    const weekdays = new FilteredSeries(daily, (w) => new Date(w).getUTCDay() % 6 !== 0)
    expect(weekdays.next(W('2026-03-06T12:00:00'))).toBe(W('2026-03-09T00:00:00'))
    expect(weekdays.prev(W('2026-03-09T00:00:00'))).toBe(W('2026-03-06T00:00:00'))
    expect(new FilteredSeries(daily, () => false).next(0)).toBeNull()
  })

  it('ListSeries and MergedSeries', () => {
    const list = new ListSeries([30, 10, 20, 20])
    expect([list.next(5), list.next(10), list.next(30), list.prev(10), list.prev(11)]).toEqual([
      10,
      20,
      null,
      null,
      10,
    ])
    const merged = new MergedSeries([list, new ListSeries([15, 40])])
    expect([merged.next(10), merged.next(30), merged.prev(16), merged.prev(10)]).toEqual([15, 40, 15, null])
  })
})
