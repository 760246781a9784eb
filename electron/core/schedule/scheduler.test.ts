import { describe, expect, it } from 'vitest'
import { FakeClock } from '../shared/clock'
import { MemoryOverrideStore } from './override-store'
import { Scheduler, type ScheduleTransitionEvent, type SchedulerOptions } from './scheduler'
import { parseScheduleRules, type ScheduleRules } from './schedule-rules'
import { MemoryTradingFlag, type FlagState, type FlagWrite, type TradingFlag } from './trading-flag'
import { isTradingWindow } from './trading-window'

const NY = 'America/New_York'
const nyRules = parseScheduleRules({ start: '09:30', stop: '16:00', timezone: NY, holidays: ['2026-03-13'] })

function setup(
  start: string,
  opts: Partial<SchedulerOptions> & { rules?: ScheduleRules | null; flag?: TradingFlag } = {},
) {
  const clock = new FakeClock(start)
  const flag = (opts.flag as MemoryTradingFlag | undefined) ?? new MemoryTradingFlag(null, () => clock.now())
  const events: ScheduleTransitionEvent[] = []
  let rules: ScheduleRules | null = opts.rules === undefined ? nyRules : opts.rules
  const sched = new Scheduler({
    clock,
    getRules: () => rules,
    flag,
    onTransition: (e) => events.push(e),
    ...opts,
  })
  return {
    clock,
    flag,
    events,
    sched,
    setRules: (r: ScheduleRules | null) => {
      rules = r
    },
  }
}

describe('Scheduler', () => {
  it('asserts the state at start-up: mid-window means enabled at once', async () => {
    const { sched, flag, events } = setup('2026-03-10T15:00:00Z', { flag: new MemoryTradingFlag(false) })
    await sched.start()
    expect((await flag.get())?.value).toBe(true)
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'start',
        enabled: true,
        source: 'schedule',
        trigger: 'startup',
        who: 'schedule',
        version: 2,
        at: '2026-03-10T15:00:00.000Z',
      }),
    ])
    expect(events[0]?.next).toMatchObject({
      kind: 'stop',
      at: '2026-03-10T20:00:00.000Z',
      local: '2026-03-10 16:00',
    })
  })

  it('does not rewrite a flag that already holds the desired state', async () => {
    const { sched, flag, events } = setup('2026-03-10T15:00:00Z', { flag: new MemoryTradingFlag(true) })
    await sched.start()
    expect(flag.writes).toEqual([])
    expect(events).toEqual([])
    expect(sched.status()).toMatchObject({ desired: true, lastAsserted: true, source: 'schedule' })
  })

  it('flips the flag exactly at each transition and arms timers no longer than the cap', async () => {
    const { sched, flag, events, clock } = setup('2026-03-10T12:00:00Z')
    await sched.start()
    expect((await flag.get())?.value).toBe(false)
    expect(clock.nextTimerIn()).toBe(60_000)
    await clock.advanceTo('2026-03-12T12:00:00Z')
    expect(events.slice(1).map((e) => `${e.kind} ${e.at}`)).toEqual([
      'start 2026-03-10T13:30:00.000Z',
      'stop 2026-03-10T20:00:00.000Z',
      'start 2026-03-11T13:30:00.000Z',
      'stop 2026-03-11T20:00:00.000Z',
    ])
    expect(flag.writes.map((w) => w.version)).toEqual([1, 2, 3, 4, 5])
    sched.stop()
    expect(clock.pending).toBe(0)
  })

  it('skips holidays and weekends', async () => {
    const { sched, events, clock } = setup('2026-03-12T21:00:00Z') // Thursday after the close
    await sched.start()
    await clock.advanceTo('2026-03-16T14:00:00Z')
    // Friday 13th is a holiday; the next start is Monday.
    expect(events.slice(1).map((e) => `${e.kind} ${e.at}`)).toEqual(['start 2026-03-16T13:30:00.000Z'])
  })

  it('after a clock jump or sleep recomputes from now and does not replay missed transitions', async () => {
    const { sched, events, clock, flag } = setup('2026-03-10T15:00:00Z')
    await sched.start()
    expect(events).toHaveLength(1)
    // Sleep from Tuesday 11:00 to Wednesday 10:00: Tuesday's stop and Wednesday's start are missed.
    clock.jump(23 * 3_600_000)
    await clock.advance(60_000)
    expect(events).toHaveLength(1)
    expect((await flag.get())?.value).toBe(true)
    // Sleep from Wednesday 10:01 across the close: one stop, written on wake, not at 16:00.
    clock.jump(8 * 3_600_000)
    await clock.advance(60_000)
    expect(events.slice(1)).toEqual([
      expect.objectContaining({ kind: 'stop', trigger: 'timer', at: '2026-03-11T22:02:00.000Z' }),
    ])
  })

  it('handles the clock stepping backwards', async () => {
    const { sched, events, clock } = setup('2026-03-10T20:00:30Z') // just after the close
    await sched.start()
    clock.jump(-60 * 60_000) // back into the window
    await clock.advance(60_000)
    expect(events.map((e) => `${e.kind} ${e.at}`)).toEqual([
      'stop 2026-03-10T20:00:30.000Z',
      'start 2026-03-10T19:01:30.000Z',
    ])
  })

  it('override until the next transition holds, then the schedule resumes', async () => {
    const store = new MemoryOverrideStore()
    const { sched, events, clock, flag } = setup('2026-03-10T15:00:00Z', { overrides: store })
    await sched.start()
    const st = await sched.override({ value: false, until: 'next-transition', why: 'news' }, 'alice')
    expect(st).toMatchObject({
      source: 'override',
      desired: false,
      override: { value: false, who: 'alice', why: 'news', expiresAt: '2026-03-10T20:00:00.000Z' },
    })
    expect(await store.get()).toMatchObject({ value: false, until: 'next-transition' })
    expect(events.at(-1)).toMatchObject({
      kind: 'stop',
      source: 'override',
      who: 'alice',
      trigger: 'override',
    })
    expect(await flag.get()).toMatchObject({ value: false, who: 'alice', why: 'override by alice: news' })
    // The stop at 16:00 ends the override; trading stays off (the schedule says off too) ...
    await clock.advanceTo('2026-03-10T20:00:00Z')
    expect(sched.status().override).toBeNull()
    expect(await store.get()).toBeNull()
    // ... and the next morning the schedule starts trading as usual.
    await clock.advanceTo('2026-03-11T13:30:00Z')
    expect(events.at(-1)).toMatchObject({ kind: 'start', source: 'schedule', at: '2026-03-11T13:30:00.000Z' })
  })

  it('override until cleared survives transitions and restarts; clearing hands back to the schedule', async () => {
    const store = new MemoryOverrideStore()
    const a = setup('2026-03-10T12:00:00Z', { overrides: store })
    await a.sched.start()
    await a.sched.override({ value: true, until: 'cleared' }, 'bob')
    expect((await a.flag.get())?.value).toBe(true)
    await a.clock.advanceTo('2026-03-10T21:00:00Z') // past the scheduled stop
    expect((await a.flag.get())?.value).toBe(true)
    a.sched.stop()

    // A restart reads the persisted override.
    const b = setup('2026-03-10T22:00:00Z', { overrides: store, flag: a.flag })
    await b.sched.start()
    expect(b.sched.status()).toMatchObject({ source: 'override', desired: true, override: { who: 'bob' } })
    expect(b.events).toEqual([])
    await b.sched.clearOverride('carol')
    expect(b.events).toEqual([expect.objectContaining({ kind: 'stop', source: 'schedule', who: 'carol' })])
    expect((await b.flag.get())?.value).toBe(false)
  })

  it('retries a failed flag write on a short timer', async () => {
    let down = true
    const inner = new MemoryTradingFlag(false)
    const flaky: TradingFlag = {
      get: () => (down ? Promise.reject(new Error('redis down')) : inner.get()),
      set: (v: boolean, m: FlagWrite): Promise<FlagState> =>
        down ? Promise.reject(new Error('redis down')) : inner.set(v, m),
    }
    const errors: string[] = []
    const { sched, clock, events } = setup('2026-03-10T15:00:00Z', {
      flag: flaky,
      retryMs: 5000,
      onError: (e) => errors.push(String(e)),
    })
    await sched.start()
    expect(errors).toEqual(['Error: redis down'])
    expect(sched.status().lastError).toMatch(/redis down/)
    expect(clock.nextTimerIn()).toBe(5000)
    down = false
    await clock.advance(5000)
    expect((await inner.get())?.value).toBe(true)
    expect(events).toHaveLength(1)
    expect(sched.status().lastError).toBeNull()
  })

  it('does not enable while vetoed, and enables once the veto lifts', async () => {
    let veto: string | null = 'killswitch engaged'
    const { sched, clock, flag } = setup('2026-03-10T15:00:00Z', {
      flag: new MemoryTradingFlag(false),
      vetoEnable: () => veto,
    })
    await sched.start()
    expect((await flag.get())?.value).toBe(false)
    expect(sched.status().vetoed).toBe('killswitch engaged')
    veto = null
    await sched.resync()
    expect((await flag.get())?.value).toBe(true)
    // A stop is never vetoed.
    veto = 'still engaged'
    await clock.advanceTo('2026-03-10T20:00:00Z')
    expect((await flag.get())?.value).toBe(false)
  })

  it('does not fight another writer between wakes, but refresh brings the flag back in line', async () => {
    let veto: string | null = null
    const { sched, clock, flag, events } = setup('2026-03-10T15:00:00Z', { vetoEnable: () => veto })
    await sched.start()
    // The killswitch turns trading off mid-window through the same flag.
    veto = 'killswitch engaged'
    await flag.set(false, { who: 'killswitch', why: 'risk', source: 'killswitch' })
    await clock.advance(10 * 60_000)
    expect((await flag.get())?.value).toBe(false)
    await sched.refresh()
    expect((await flag.get())?.value).toBe(false)
    // Released but latched: refreshes, reconnects and timers keep it off while the veto holds.
    veto = 'the killswitch was released; trading stays disabled until someone runs Resume trading'
    await sched.resync()
    await clock.advance(10 * 60_000)
    expect((await flag.get())?.value).toBe(false)
    // Resumed (the latch is lifted): the refresh that trading.resume triggers re-enables trading.
    veto = null
    await sched.refresh()
    expect(await flag.get()).toMatchObject({ value: true, who: 'schedule' })
    expect(events.map((e) => `${e.kind}:${e.trigger}`)).toEqual(['start:startup', 'start:refresh'])
  })

  it('leaves the flag alone with no rules, and follows new rules on refresh', async () => {
    const { sched, flag, setRules, events } = setup('2026-03-10T15:00:00Z', {
      rules: null,
      flag: new MemoryTradingFlag(false),
    })
    await sched.start()
    expect(flag.writes).toEqual([])
    expect(sched.status()).toMatchObject({ desired: null, source: 'none' })
    setRules(nyRules)
    await sched.refresh()
    expect(events).toEqual([expect.objectContaining({ kind: 'start', trigger: 'refresh' })])
    expect(sched.describe().window).toEqual(isTradingWindow(nyRules, new Date('2026-03-10T15:00:00Z')))
  })
})
