import { describe, expect, it } from 'vitest'
import {
  clockToCron,
  cronToClock,
  describeChange,
  draftFromTable,
  draftToCandidate,
  draftToTable,
  formatDays,
  isDirty,
  placeError,
} from './schedule-draft'

// The [schedule] of config.example.toml as config.load returns it (TOML dates/times as strings).
const example = {
  start: '09:30',
  stop: '16:00:00',
  timezone: 'America/New_York',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  holidays: ['2025-12-25', '2026-01-01', '2026-01-19'],
  early_closes: [
    { date: '2025-11-28', stop: '13:00' },
    { date: '2025-12-24', stop: '13:00' },
  ],
}

describe('draftFromTable', () => {
  it('reads the loaded table, showing TOML local times in the picker form', () => {
    const d = draftFromTable(example, 'Europe/Paris')
    expect(d).toEqual({
      start: '09:30',
      startCron: false,
      stop: '16:00',
      stopCron: false,
      timezone: 'America/New_York',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      holidays: ['2025-12-25', '2026-01-01', '2026-01-19'],
      earlyCloses: [
        { date: '2025-11-28', stop: '13:00' },
        { date: '2025-12-24', stop: '13:00' },
      ],
    })
  })

  it('defaults the zone to the machine’s and the days to mon–fri, and recognizes cron', () => {
    const d = draftFromTable({ start: '30 9 * * 1-5', stop: '16:00' }, 'Asia/Tokyo')
    expect(d.timezone).toBe('Asia/Tokyo')
    expect(d.days).toEqual(['mon', 'tue', 'wed', 'thu', 'fri'])
    expect(d.startCron).toBe(true)
    expect(d.stopCron).toBe(false)
  })

  it('keeps seconds that matter', () => {
    expect(draftFromTable({ start: '09:30:15', stop: '16:00' }, 'UTC').start).toBe('09:30:15')
  })
})

describe('draftToCandidate', () => {
  it('leaves out days for a cron start (the rules reject the combination)', () => {
    const d = { ...draftFromTable(example, 'UTC'), start: '30 9 * * 1-5', startCron: true }
    expect(draftToCandidate(d)).not.toHaveProperty('days')
    expect(draftToCandidate(draftFromTable(example, 'UTC')).days).toEqual(['mon', 'tue', 'wed', 'thu', 'fri'])
  })
})

describe('draftToTable', () => {
  it('an unchanged draft gives back the original values untouched', () => {
    const d = draftFromTable(example, 'UTC')
    expect(draftToTable(d, example)).toEqual(example)
  })

  it('changes only what was edited and keeps absent optional keys absent', () => {
    const orig = { start: '09:30', stop: '16:00', timezone: 'UTC' }
    const d = { ...draftFromTable(orig, 'UTC'), stop: '17:15' }
    expect(draftToTable(d, orig)).toEqual({ start: '09:30', stop: '17:15', timezone: 'UTC', days: ['mon', 'tue', 'wed', 'thu', 'fri'] })
  })

  it('drops days for a cron start and writes removals', () => {
    const d = { ...draftFromTable(example, 'UTC'), start: '0 9 * * 1-5', startCron: true, holidays: ['2026-01-01'], earlyCloses: [] }
    const t = draftToTable(d, example)
    expect(t).not.toHaveProperty('days')
    expect(t['holidays']).toEqual(['2026-01-01'])
    expect(t['early_closes']).toEqual([])
    expect(t['start']).toBe('0 9 * * 1-5')
  })
})

describe('describeChange and isDirty', () => {
  it('summarizes each change', () => {
    const a = draftFromTable(example, 'UTC')
    const b = { ...a, start: '10:00', days: [...a.days, 'sat' as const], holidays: [...a.holidays, '2026-12-25'], earlyCloses: a.earlyCloses.slice(1) }
    expect(describeChange(a, b)).toBe(
      'Schedule: start 09:30 → 10:00; days mon–fri → mon–sat; holidays added: 2026-12-25; early closes removed: 2025-11-28 13:00.',
    )
    expect(isDirty(a, b)).toBe(true)
    expect(isDirty(a, { ...a })).toBe(false)
    expect(describeChange(a, a)).toBe('The schedule is unchanged.')
  })

  it('formats day sets', () => {
    expect(formatDays(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).toBe('every day')
    expect(formatDays(['mon', 'wed', 'fri'])).toBe('mon, wed, fri')
  })
})

describe('cron toggling', () => {
  it('turns a clock time into a cron with the selected days and back', () => {
    expect(clockToCron('09:30', ['mon', 'tue', 'wed', 'thu', 'fri'])).toBe('30 9 * * 1,2,3,4,5')
    expect(clockToCron('18:05', ['sun', 'sat'])).toBe('5 18 * * 0,6')
    expect(cronToClock('30 9 * * 1-5')).toBe('09:30')
    expect(cronToClock('0 9,13 * * 1-5')).toBeNull()
  })
})

describe('placeError', () => {
  it('puts an error next to its field and entry', () => {
    expect(placeError({ path: '/schedule/start', message: 'bad' })).toEqual({ field: 'start', message: 'bad' })
    expect(placeError({ path: '/schedule/early_closes/1/stop', message: 'x' })).toEqual({ field: 'early_closes', index: 1, message: 'x' })
    expect(placeError({ message: 'y' })).toEqual({ field: 'general', message: 'y' })
  })
})
