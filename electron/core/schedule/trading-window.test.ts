import { describe, expect, it } from 'vitest'
import { parseScheduleRules, type ScheduleRules } from './schedule-rules'
import { isTradingWindow, nextTransitions, type Transition } from './trading-window'

const NY = 'America/New_York'
const rules = (raw: Record<string, unknown>): ScheduleRules => parseScheduleRules({ timezone: NY, ...raw })
const at = (s: string) => new Date(s)
const brief = (ts: Transition[]) => ts.map((t) => `${t.kind} ${t.local}${t.note ? ` ${t.note}` : ''}`)

/** Every transition flips isTradingWindow exactly at its instant, and they alternate. */
function expectConsistent(r: ScheduleRules, from: Date, n: number): Transition[] {
  const ts = nextTransitions(r, from, n)
  let state = isTradingWindow(r, from).enabled
  let prev = from.getTime()
  for (const t of ts) {
    expect(t.at.getTime()).toBeGreaterThan(prev)
    expect(t.kind).toBe(state ? 'stop' : 'start')
    expect(isTradingWindow(r, new Date(t.at.getTime() - 1)).enabled).toBe(state)
    state = !state
    expect(isTradingWindow(r, t.at).enabled).toBe(state)
    prev = t.at.getTime()
  }
  // Starting the walk from any transition gives the rest of the list.
  const mid = ts[Math.floor(ts.length / 2)]
  if (mid) {
    const rest = ts.filter((t) => t.at > mid.at)
    expect(nextTransitions(r, mid.at, rest.length)).toEqual(rest)
  }
  return ts
}

describe('isTradingWindow', () => {
  const r = rules({ start: '09:30', stop: '16:00', holidays: ['2026-07-03'] })

  it('is enabled inside the window, with its bounds', () => {
    const st = isTradingWindow(r, at('2026-03-04T15:00:00Z'))
    expect(st).toMatchObject({ enabled: true, code: 'in-window', zone: NY, local: '2026-03-04 10:00' })
    expect(st.windowStart?.toISOString()).toBe('2026-03-04T14:30:00.000Z')
    expect(st.windowEnd?.toISOString()).toBe('2026-03-04T21:00:00.000Z')
    expect(st.reason).toBe(
      'Inside the trading window (opened 2026-03-04 09:30, closes 2026-03-04 16:00, America/New_York)',
    )
  })

  it('treats the window as [start, stop)', () => {
    expect(isTradingWindow(r, at('2026-03-04T14:29:59.999Z')).enabled).toBe(false)
    expect(isTradingWindow(r, at('2026-03-04T14:30:00Z')).enabled).toBe(true)
    expect(isTradingWindow(r, at('2026-03-04T20:59:59.999Z')).enabled).toBe(true)
    expect(isTradingWindow(r, at('2026-03-04T21:00:00Z')).enabled).toBe(false)
  })

  it('explains why it is disabled', () => {
    expect(isTradingWindow(r, at('2026-03-04T12:00:00Z'))).toMatchObject({
      enabled: false,
      code: 'outside-window',
      reason: 'Outside the trading window; next opens 2026-03-04 09:30 America/New_York',
    })
    expect(isTradingWindow(r, at('2026-03-07T15:00:00Z'))).toMatchObject({
      code: 'non-trading-day',
      reason: expect.stringContaining('(sat)') as string,
    })
    expect(isTradingWindow(r, at('2026-07-03T15:00:00Z'))).toMatchObject({
      enabled: false,
      code: 'holiday',
      reason: 'Holiday 2026-07-03: no trading window; next opens 2026-07-06 09:30 America/New_York',
    })
  })
})

describe('nextTransitions', () => {
  it('lists alternating starts and stops on trading days, strictly after now', () => {
    const r = rules({ start: '09:30', stop: '16:00' })
    const ts = expectConsistent(r, at('2026-03-06T14:30:00Z'), 5) // Friday 09:30 exactly: already open
    expect(brief(ts)).toEqual([
      'stop 2026-03-06 16:00',
      'start 2026-03-09 09:30',
      'stop 2026-03-09 16:00',
      'start 2026-03-10 09:30',
      'stop 2026-03-10 16:00',
    ])
    expect(ts[1]?.at.toISOString()).toBe('2026-03-09T13:30:00.000Z') // EDT after the weekend's change
    expect(nextTransitions(r, at('2026-03-06T14:30:00Z'), 0)).toEqual([])
  })

  it('skips holidays', () => {
    const r = rules({ start: '09:30', stop: '16:00', holidays: ['2026-12-25'] })
    expect(brief(expectConsistent(r, at('2026-12-24T22:00:00Z'), 2))).toEqual([
      'start 2026-12-28 09:30',
      'stop 2026-12-28 16:00',
    ])
  })

  it('ends an early-close day at the early stop', () => {
    const r = rules({ start: '09:30', stop: '16:00', early_closes: [{ date: '2026-11-27', stop: '13:00' }] })
    const ts = expectConsistent(r, at('2026-11-27T12:00:00Z'), 3)
    expect(brief(ts)).toEqual([
      'start 2026-11-27 09:30',
      'stop 2026-11-27 13:00 early-close',
      'start 2026-11-30 09:30',
    ])
    expect(isTradingWindow(r, at('2026-11-27T19:00:00Z'))).toMatchObject({
      enabled: false,
      code: 'early-close',
      reason: expect.stringMatching(/^Closed early at 13:00 \(early close 2026-11-27\)/) as string,
    })
    expect(isTradingWindow(r, at('2026-11-27T15:00:00Z')).reason).toMatch(
      /closes 2026-11-27 13:00 \(early close\)/,
    )
  })

  describe('overnight windows', () => {
    const r = rules({ start: '18:00', stop: '02:00', holidays: ['2026-03-11'] })

    it('belong to the day they start on', () => {
      const ts = expectConsistent(r, at('2026-03-06T12:00:00Z'), 8)
      // Friday's window runs into Saturday; nothing starts on Saturday or Sunday.
      expect(brief(ts).slice(0, 4)).toEqual([
        'start 2026-03-06 18:00',
        'stop 2026-03-07 02:00',
        'start 2026-03-09 18:00',
        'stop 2026-03-10 02:00',
      ])
      expect(isTradingWindow(r, at('2026-03-07T06:30:00Z'))).toMatchObject({
        enabled: true,
        local: '2026-03-07 01:30',
      })
    })

    it('do not start on a holiday, but a window from the day before still runs into it', () => {
      const ts = brief(nextTransitions(r, at('2026-03-10T12:00:00Z'), 4))
      expect(ts).toEqual([
        'start 2026-03-10 18:00',
        'stop 2026-03-11 02:00',
        'start 2026-03-12 18:00',
        'stop 2026-03-13 02:00',
      ])
      expect(isTradingWindow(r, at('2026-03-11T05:00:00Z')).enabled).toBe(true) // 01:00 on the holiday
      expect(isTradingWindow(r, at('2026-03-11T23:00:00Z')).code).toBe('holiday') // 19:00 on the holiday
    })

    it('take an early close at the first such time after the start', () => {
      const late = rules({
        start: '18:00',
        stop: '02:00',
        early_closes: [{ date: '2026-12-24', stop: '01:00' }],
      })
      expect(brief(nextTransitions(late, at('2026-12-24T12:00:00Z'), 2))).toEqual([
        'start 2026-12-24 18:00',
        'stop 2026-12-25 01:00 early-close',
      ])
      const early = rules({
        start: '18:00',
        stop: '02:00',
        early_closes: [{ date: '2026-12-24', stop: '22:00' }],
      })
      expect(brief(nextTransitions(early, at('2026-12-24T12:00:00Z'), 2))).toEqual([
        'start 2026-12-24 18:00',
        'stop 2026-12-24 22:00 early-close',
      ])
    })
  })

  describe('cron forms', () => {
    it('work like the clock form, with the days in the cron', () => {
      const r = rules({ start: '30 9 * * 1-5', stop: '0 16 * * 1-5', holidays: ['2026-03-09'] })
      const clock = rules({ start: '09:30', stop: '16:00', holidays: ['2026-03-09'] })
      expect(expectConsistent(r, at('2026-03-05T12:00:00Z'), 8)).toEqual(
        nextTransitions(clock, at('2026-03-05T12:00:00Z'), 8),
      )
    })

    it('support two sessions a day', () => {
      const r = parseScheduleRules({
        start: '0 9,13 * * 1-5',
        stop: '0 12,16 * * 1-5',
        timezone: 'Europe/London',
      })
      const ts = expectConsistent(r, at('2026-03-06T10:00:00Z'), 5)
      expect(brief(ts)).toEqual([
        'stop 2026-03-06 12:00',
        'start 2026-03-06 13:00',
        'stop 2026-03-06 16:00',
        'start 2026-03-09 09:00',
        'stop 2026-03-09 12:00',
      ])
    })

    it('merge sessions that touch: a start at the same instant as a stop keeps trading on', () => {
      const r = parseScheduleRules({
        start: '0 9,13 * * 1-5',
        stop: '0 13,16 * * 1-5',
        timezone: 'Europe/London',
      })
      expect(brief(expectConsistent(r, at('2026-03-06T10:00:00Z'), 2))).toEqual([
        'stop 2026-03-06 16:00',
        'start 2026-03-09 09:00',
      ])
      expect(isTradingWindow(r, at('2026-03-06T13:00:00Z')).enabled).toBe(true)
    })

    it('let a start with no matching stop keep the window open until the next stop', () => {
      // Opens every weekday, closes only on Fridays: one window Monday to Friday.
      const r = rules({ start: '30 9 * * 1-5', stop: '0 16 * * 5' })
      const ts = expectConsistent(r, at('2026-03-08T12:00:00Z'), 3)
      expect(brief(ts)).toEqual(['start 2026-03-09 09:30', 'stop 2026-03-13 16:00', 'start 2026-03-16 09:30'])
      const st = isTradingWindow(r, at('2026-03-11T20:00:00Z'))
      expect(st.windowStart?.toISOString()).toBe('2026-03-09T13:30:00.000Z')
      expect(st.windowEnd?.toISOString()).toBe('2026-03-13T20:00:00.000Z')
    })
  })

  describe('DST', () => {
    const everyDay = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']

    it('fires a start in the skipped hour at the first instant after the gap (NY 02:30 -> 03:00)', () => {
      const r = rules({ start: '02:30', stop: '16:00', days: everyDay })
      const ts = expectConsistent(r, at('2026-03-07T22:00:00Z'), 4)
      expect(ts[0]).toEqual({
        at: new Date('2026-03-08T07:00:00Z'),
        kind: 'start',
        local: '2026-03-08 03:00',
        zone: NY,
        note: 'skipped-hour-shifted',
        scheduled: '2026-03-08 02:30',
      })
      expect(brief(ts).slice(1)).toEqual([
        'stop 2026-03-08 16:00',
        'start 2026-03-09 02:30',
        'stop 2026-03-09 16:00',
      ])
    })

    it('fires a time in the repeated hour once, at the first occurrence (NY 01:30)', () => {
      const r = rules({ start: '01:30', stop: '12:00', days: everyDay })
      const ts = expectConsistent(r, at('2026-10-31T20:00:00Z'), 3)
      expect(ts.map((t) => t.at.toISOString())).toEqual([
        '2026-11-01T05:30:00.000Z',
        '2026-11-01T17:00:00.000Z',
        '2026-11-02T06:30:00.000Z',
      ])
      expect(ts[0]?.note).toBe('repeated-hour-first')
      // During the second 01:30 (EST) the window is already open: nothing fires again.
      expect(isTradingWindow(r, at('2026-11-01T06:30:00Z')).enabled).toBe(true)
      expect(nextTransitions(r, at('2026-11-01T06:00:00Z'), 1)[0]?.at.toISOString()).toBe(
        '2026-11-01T17:00:00.000Z',
      )
    })

    it('stops an overnight window at the first 01:30 of the fall-back night', () => {
      const r = rules({ start: '18:00', stop: '01:30', days: ['sat'] })
      const ts = nextTransitions(r, at('2026-10-31T12:00:00Z'), 2)
      expect(ts[1]).toMatchObject({
        kind: 'stop',
        local: '2026-11-01 01:30',
        note: 'repeated-hour-first',
        at: new Date('2026-11-01T05:30:00Z'),
      })
      expect(isTradingWindow(r, at('2026-11-01T06:15:00Z')).enabled).toBe(false) // second 01:15: closed
    })

    it('drops a window that falls entirely inside the skipped hour', () => {
      const r = rules({ start: '02:15', stop: '02:45', days: everyDay })
      const ts = expectConsistent(r, at('2026-03-07T12:00:00Z'), 4)
      expect(brief(ts)).toEqual([
        'start 2026-03-09 02:15',
        'stop 2026-03-09 02:45',
        'start 2026-03-10 02:15',
        'stop 2026-03-10 02:45',
      ])
      expect(isTradingWindow(r, at('2026-03-08T07:00:00Z')).enabled).toBe(false)
    })

    it('keeps trading on when a stop and the next start both land on the end of the gap', () => {
      const r = rules({ start: '02:30', stop: '02:00', days: everyDay })
      const ts = expectConsistent(r, at('2026-03-07T12:00:00Z'), 2)
      // Saturday's window would stop at 02:00 (-> 03:00) just as Sunday's opens at 02:30 (-> 03:00).
      expect(ts.map((t) => `${t.kind} ${t.at.toISOString()}`)).toEqual([
        'stop 2026-03-09T06:00:00.000Z',
        'start 2026-03-09T06:30:00.000Z',
      ])
      expect(isTradingWindow(r, at('2026-03-08T07:00:00Z')).enabled).toBe(true)
    })

    it.each([
      ['Europe/London', '01:30', '2026-03-28T17:00:00Z', '2026-03-29T01:00:00.000Z', 'skipped-hour-shifted'],
      ['Europe/London', '01:30', '2026-10-24T17:00:00Z', '2026-10-25T00:30:00.000Z', 'repeated-hour-first'],
      [
        'Australia/Sydney',
        '02:30',
        '2026-10-03T06:00:00Z',
        '2026-10-03T16:00:00.000Z',
        'skipped-hour-shifted',
      ],
      [
        'Australia/Sydney',
        '02:30',
        '2026-04-04T06:00:00Z',
        '2026-04-04T15:30:00.000Z',
        'repeated-hour-first',
      ],
    ])('%s start %s after %s fires at %s (%s)', (timezone, start, from, expected, note) => {
      const r = parseScheduleRules({ start, stop: '16:00', timezone, days: everyDay })
      const first = expectConsistent(r, at(from), 4).find((t) => t.kind === 'start')
      expect(first?.at.toISOString()).toBe(expected)
      expect(first?.note).toBe(note)
    })
  })
})
