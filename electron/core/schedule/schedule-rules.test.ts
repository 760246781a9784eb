import { describe, expect, it } from 'vitest'
import { CoreError } from '../errors'
import { parseScheduleRules, validateScheduleRules } from './schedule-rules'

const NY = 'America/New_York'

function errorsOf(raw: unknown) {
  const v = validateScheduleRules(raw, { machineTimezone: 'Europe/Paris' })
  if (v.ok) throw new Error('expected a validation failure')
  return v
}

describe('parseScheduleRules', () => {
  it('parses clock times and fills the documented defaults', () => {
    const r = parseScheduleRules({ start: '09:30', stop: '16:00:30' }, { machineTimezone: 'Europe/Paris' })
    expect(r.start).toEqual({ kind: 'clock', text: '09:30', ms: (9 * 60 + 30) * 60_000 })
    expect(r.stop).toEqual({ kind: 'clock', text: '16:00:30', ms: (16 * 3600 + 30) * 1000 })
    expect(r.timezone).toBe('Europe/Paris')
    expect(r.timezoneDefaulted).toBe(true)
    expect(r.days).toEqual(['mon', 'tue', 'wed', 'thu', 'fri'])
    expect(r.daysDefaulted).toBe(true)
    expect(r.holidays).toEqual([])
    expect(r.earlyCloses).toEqual([])
    expect(r.overnight).toBe(false)
  })

  it('defaults the zone to the machine zone when none is given', () => {
    const r = parseScheduleRules({ start: '09:30', stop: '16:00' })
    expect(r.timezone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone)
  })

  it('marks a stop earlier than start as an overnight window', () => {
    expect(parseScheduleRules({ start: '18:00', stop: '02:00', timezone: NY }).overnight).toBe(true)
  })

  it('accepts cron forms; a cron start carries its own days', () => {
    const r = parseScheduleRules({ start: '30 9 * * 1-5', stop: '0  16 * * MON-FRI', timezone: NY })
    expect(r.start).toEqual({ kind: 'cron', text: '30 9 * * 1-5' })
    expect(r.stop).toEqual({ kind: 'cron', text: '0 16 * * MON-FRI' })
    expect(r.days).toBeNull()
    // A clock start with a cron stop keeps days.
    expect(
      parseScheduleRules({ start: '09:30', stop: '0 16 * * *', timezone: NY, days: ['mon'] }).days,
    ).toEqual(['mon'])
  })

  it('normalises days, holidays and early closes', () => {
    const r = parseScheduleRules({
      start: '09:30',
      stop: '16:00',
      timezone: NY,
      days: ['Fri', 'mon', 'mon', 'THU'],
      holidays: ['2026-12-25', '2026-01-01'],
      early_closes: [
        { date: '2026-12-24', stop: '13:00' },
        { date: '2026-11-27', stop: '13:00' },
      ],
    })
    expect(r.days).toEqual(['mon', 'thu', 'fri'])
    expect(r.holidays).toEqual(['2026-01-01', '2026-12-25'])
    expect(r.earlyCloses.map((e) => e.date)).toEqual(['2026-11-27', '2026-12-24'])
  })

  it('throws CoreError with a JSON pointer per problem', () => {
    let err: unknown
    try {
      parseScheduleRules({ start: '25:00', stop: '16:00', timezone: 'Mars/Base' })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(CoreError)
    const ce = err as CoreError
    expect(ce.code).toBe('invalid_input')
    expect(ce.message).toMatch(/\/schedule\/start/)
    expect(ce.details).toEqual([
      { path: '/schedule/start', message: expect.stringMatching(/"25:00" is not a time/) as string },
      { path: '/schedule/timezone', message: 'unknown time zone "Mars/Base"' },
    ])
  })

  it.each([
    [{ start: '9:30', stop: '16:00' }, '/schedule/start', /not a time/],
    [{ start: '09:60', stop: '16:00' }, '/schedule/start', /not a time/],
    [
      { start: '61 9 * * 1-5', stop: '16:00' },
      '/schedule/start',
      /not a valid cron expression: Invalid value for minute: 61/,
    ],
    [{ start: '30 9 * * 1-8', stop: '16:00' }, '/schedule/start', /dayOfWeek/],
    [{ start: '30 9 * *', stop: '16:00' }, '/schedule/start', /has 4 fields/],
    [{ start: '0 30 9 * * 1-5', stop: '16:00' }, '/schedule/start', /has 6 fields/],
    [{ start: '09:30', stop: '09:30' }, '/schedule/stop', /stop must differ from start/],
    [{ start: '09:30', stop: '09:30:00' }, '/schedule/stop', /stop must differ from start/],
    [{ start: '30 9 * * 1-5', stop: '30  9 * * 1-5' }, '/schedule/stop', /stop must differ from start/],
    [{ start: '09:30', stop: '16:00', days: [] }, '/schedule/days', /at least one day/],
    [{ start: '09:30', stop: '16:00', days: ['mon', 'funday'] }, '/schedule/days/1', /unknown day "funday"/],
    [
      { start: '30 9 * * 1-5', stop: '16:00', days: ['mon'] },
      '/schedule/days',
      /cannot be combined with a cron start/,
    ],
    [{ start: '09:30', stop: '16:00', holidays: ['2026-02-30'] }, '/schedule/holidays/0', /not a date/],
    [
      { start: '09:30', stop: '16:00', early_closes: [{ date: '2026-12-24', stop: '1pm' }] },
      '/schedule/early_closes/0/stop',
      /not a time/,
    ],
    [{ start: '0 9 30 2 *', stop: '16:00' }, '/schedule/start', /never fires/],
  ])('rejects %j at %s', (raw, path, message) => {
    const v = errorsOf({ timezone: NY, ...raw })
    expect(v.code).toBe('invalid_input')
    expect(v.errors).toContainEqual({ path, message: expect.stringMatching(message) as string })
  })

  it('reports shape problems as schema_error', () => {
    expect(errorsOf(null).code).toBe('schema_error')
    expect(errorsOf(['09:30']).errors[0]).toEqual({
      path: '/schedule',
      message: 'expected a [schedule] table',
    })
    const v = errorsOf({ start: 930, stop: '16:00', timezone: NY, open: '09:30', holidays: '2026-12-25' })
    expect(v.code).toBe('schema_error')
    expect(v.errors.map((e) => e.path)).toEqual(['/schedule/open', '/schedule/start', '/schedule/holidays'])
    expect(errorsOf({ stop: '16:00' }).errors).toContainEqual({
      path: '/schedule/start',
      message: expect.stringMatching(/required/) as string,
    })
  })

  it('rejects early closes that would change nothing', () => {
    const base = { start: '09:30', stop: '16:00', timezone: NY, holidays: ['2026-12-25'] }
    // Saturday: no window starts.
    expect(errorsOf({ ...base, early_closes: [{ date: '2026-12-26', stop: '13:00' }] }).errors).toEqual([
      {
        path: '/schedule/early_closes/0',
        message: expect.stringMatching(/no trading window starts on 2026-12-26/) as string,
      },
    ])
    // A holiday: no window starts either.
    expect(errorsOf({ ...base, early_closes: [{ date: '2026-12-25', stop: '13:00' }] }).errors[0]?.path).toBe(
      '/schedule/early_closes/0',
    )
    // After the regular stop.
    expect(
      errorsOf({ ...base, early_closes: [{ date: '2026-12-24', stop: '17:00' }] }).errors[0]?.message,
    ).toMatch(/not before the regular stop 2026-12-24 16:00/)
    // Duplicate dates; the error points at the entry as written (not as sorted).
    const dup = errorsOf({
      ...base,
      early_closes: [
        { date: '2026-12-24', stop: '13:00' },
        { date: '2026-12-24', stop: '14:00' },
      ],
    })
    expect(dup.errors).toEqual([
      { path: '/schedule/early_closes/1/date', message: '2026-12-24 has more than one early close' },
    ])
  })

  it('checks an overnight early close against the window it shortens', () => {
    const base = { start: '18:00', stop: '02:00', timezone: NY }
    // 23:00 the same evening and 01:00 the next morning both end the window early.
    expect(validateScheduleRules({ ...base, early_closes: [{ date: '2026-12-24', stop: '23:00' }] }).ok).toBe(
      true,
    )
    expect(validateScheduleRules({ ...base, early_closes: [{ date: '2026-12-24', stop: '01:00' }] }).ok).toBe(
      true,
    )
    // 03:00 the next morning is after the regular 02:00 stop.
    expect(
      errorsOf({ ...base, early_closes: [{ date: '2026-12-24', stop: '03:00' }] }).errors[0]?.message,
    ).toMatch(/not before the regular stop/)
  })
})
