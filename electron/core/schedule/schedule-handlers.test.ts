import { describe, expect, it } from 'vitest'
import { createAjv } from '../api/ajv'
import type { CallContext } from '../api/call-context'
import { scheduleEvents, scheduleOperations } from '../api/contract/schedule'
import { FakeClock } from '../shared/clock'
import { createScheduleHandlers } from './schedule-handlers'
import { parseScheduleRules } from './schedule-rules'
import { Scheduler, type ScheduleTransitionEvent } from './scheduler'
import { MemoryTradingFlag } from './trading-flag'

const ajv = createAjv({ useDefaults: true })
const ctx: CallContext = { who: 'alice', door: 'http' }

function conforms(name: keyof typeof scheduleOperations, kind: 'input' | 'result', value: unknown) {
  const validate = ajv.compile(scheduleOperations[name][kind])
  const ok = validate(value)
  expect(validate.errors ?? [], `${name} ${kind}`).toEqual([])
  return ok
}

async function setup(now = '2026-03-10T15:00:00Z') {
  const clock = new FakeClock(now)
  const rules = parseScheduleRules({ start: '09:30', stop: '16:00', timezone: 'America/New_York' })
  const flag = new MemoryTradingFlag(null, () => clock.now())
  const events: ScheduleTransitionEvent[] = []
  const scheduler = new Scheduler({ clock, getRules: () => rules, flag, onTransition: (e) => events.push(e) })
  await scheduler.start()
  const h = createScheduleHandlers({
    scheduler,
    flag,
    now: () => clock.now(),
    machineTimezone: () => 'Europe/Paris',
  })
  return { clock, flag, scheduler, h, events }
}

describe('schedule handlers', () => {
  it('schedule.get shows rules with defaults, state, flag and upcoming transitions', async () => {
    const { h } = await setup()
    const v = await h['schedule.get']({}, ctx)
    conforms('schedule.get', 'result', v)
    expect(v.configured).toBe(true)
    expect(v.rules).toMatchObject({
      start: '09:30',
      stop: '16:00',
      timezone: 'America/New_York',
      timezoneDefaulted: false,
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      daysDefaulted: true,
    })
    expect(v.state).toMatchObject({
      enabled: true,
      source: 'schedule',
      code: 'in-window',
      override: null,
      windowEnd: '2026-03-10T20:00:00.000Z',
    })
    expect(v.flag).toMatchObject({ value: true, version: 1, who: 'schedule' })
    expect(v.next).toMatchObject({ kind: 'stop', at: '2026-03-10T20:00:00.000Z' })
    expect(v.upcoming.map((t) => t.local)).toEqual([
      '2026-03-10 16:00',
      '2026-03-11 09:30',
      '2026-03-11 16:00',
      '2026-03-12 09:30',
      '2026-03-12 16:00',
    ])
    expect(v.machineTimezone).toBe('Europe/Paris')
  })

  it('schedule.get reports a flag that cannot be read, and a schedule that is not configured', async () => {
    const h = createScheduleHandlers({
      scheduler: null,
      flag: { get: () => new Promise(() => undefined) },
      flagTimeoutMs: 20,
      rulesProblem: () => ({
        message: 'Invalid [schedule]: /schedule/start: bad',
        details: [{ path: '/schedule/start', message: 'bad' }],
      }),
    })
    const v = await h['schedule.get']({}, ctx)
    conforms('schedule.get', 'result', v)
    expect(v).toMatchObject({
      configured: false,
      rules: null,
      flag: null,
      flagError: 'Redis did not answer in time',
      next: null,
      upcoming: [],
    })
    expect(v.state).toMatchObject({
      enabled: null,
      source: 'none',
      reason: 'No valid schedule: Invalid [schedule]: /schedule/start: bad',
    })
    expect(v.rulesError?.details).toEqual([{ path: '/schedule/start', message: 'bad' }])
  })

  it('schedule.preview validates candidate rules without touching the running schedule', async () => {
    const { h, flag } = await setup()
    const input = {
      rules: { start: '02:30', stop: '16:00', timezone: 'America/New_York', days: ['sun'] },
      now: '2026-03-01T12:00:00Z',
      n: 3,
    }
    conforms('schedule.preview', 'input', input)
    const p = await h['schedule.preview'](input, ctx)
    conforms('schedule.preview', 'result', p)
    if (!p.ok) throw new Error('expected ok')
    // 07:00 local on a Sunday: inside Sunday's window.
    expect(p.enabled).toBe(true)
    expect(p.windowStart).toBe('2026-03-01T07:30:00.000Z')
    expect(p.transitions.map((t) => `${t.kind} ${t.local}`)).toEqual([
      'stop 2026-03-01 16:00',
      'start 2026-03-08 03:00',
      'stop 2026-03-08 16:00',
    ])
    expect(p.transitions[1]).toEqual({
      at: '2026-03-08T07:00:00.000Z',
      kind: 'start',
      local: '2026-03-08 03:00',
      zone: 'America/New_York',
      note: 'skipped-hour-shifted',
      scheduled: '2026-03-08 02:30',
    })
    expect((await flag.get())?.version).toBe(1)

    const bad = await h['schedule.preview'](
      { rules: { start: '9:30', stop: '16:00', timezone: 'Nowhere/City' } },
      ctx,
    )
    conforms('schedule.preview', 'result', bad)
    expect(bad).toEqual({
      ok: false,
      errors: [
        { path: '/schedule/start', message: expect.stringMatching(/not a time/) as string },
        { path: '/schedule/timezone', message: 'unknown time zone "Nowhere/City"' },
      ],
    })
    // The machine zone is the default for a preview too.
    const dflt = await h['schedule.preview'](
      { rules: { start: '09:00', stop: '17:00' }, now: '2026-03-02T12:00:00Z' },
      ctx,
    )
    expect(dflt.ok && dflt.rules.timezone).toBe('Europe/Paris')
    // The contract caps n at 20.
    expect(
      ajv.validate(scheduleOperations['schedule.preview'].input, {
        rules: { start: '09:00', stop: '17:00' },
        n: 21,
      }),
    ).toBe(false)
  })

  it('schedule.override forces the state, credits the caller, and null clears it', async () => {
    const { h, flag, events } = await setup()
    const input = { value: false, reason: 'FOMC' }
    conforms('schedule.override', 'input', input)
    const v = await h['schedule.override'](input, ctx)
    conforms('schedule.override', 'result', v)
    expect(v.state).toMatchObject({
      enabled: false,
      source: 'override',
      code: 'override',
      override: {
        value: false,
        until: 'next-transition',
        who: 'alice',
        why: 'FOMC',
        expiresAt: '2026-03-10T20:00:00.000Z',
      },
    })
    expect(v.state.reason).toMatch(/^Override by alice: trading off until 2026-03-10T20:00:00.000Z/)
    expect(await flag.get()).toMatchObject({ value: false, who: 'alice' })
    const payload = events.at(-1)
    expect(payload).toMatchObject({ kind: 'stop', source: 'override', who: 'alice' })
    expect(ajv.validate(scheduleEvents['schedule.transition'].payload, payload)).toBe(true)

    const cleared = await h['schedule.override']({ value: null }, { who: 'bob', door: 'ipc' })
    expect(cleared.state).toMatchObject({ enabled: true, source: 'schedule', override: null })
    expect(events.at(-1)).toMatchObject({ kind: 'start', source: 'schedule', who: 'bob' })
  })

  it('schedule.override is refused when the schedule is switched off', async () => {
    const h = createScheduleHandlers({ scheduler: null })
    await expect(h['schedule.override']({ value: true }, ctx)).rejects.toMatchObject({ code: 'unavailable' })
  })
})
