import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { expect, it } from 'vitest'
import { dayIn, demoDates, scheduleTimezone, withDemoDates } from './demo-dates.mjs'

const ROOT = join(import.meta.dirname, '..')
const example = readFileSync(join(ROOT, 'config.example.toml'), 'utf8')

it('puts an early close on the next weekday, and holidays on trading days after it', () => {
  // Wednesday: early close Thursday, holiday Friday, another two weeks out (Wed).
  expect(demoDates('2026-03-04')).toEqual({
    earlyCloses: [{ date: '2026-03-05', stop: '13:00' }],
    holidays: ['2026-03-06', '2026-03-18'],
  })
  // Friday: the weekend is skipped.
  expect(demoDates('2026-03-06')).toEqual({
    earlyCloses: [{ date: '2026-03-09', stop: '13:00' }],
    holidays: ['2026-03-10', '2026-03-20'],
  })
  // Across a month and a year end.
  expect(demoDates('2026-12-31').earlyCloses[0]?.date).toBe('2027-01-01')
})

it('counts days in the schedule\'s time zone, not the machine\'s', () => {
  expect(scheduleTimezone(example)).toBe('America/New_York')
  // 02:00 UTC on the 5th is still the 4th in New York.
  expect(dayIn(new Date('2026-03-05T02:00:00Z'), 'America/New_York')).toBe('2026-03-04')
})

it('rewrites config.example.toml\'s dates and leaves everything else as it was', () => {
  const out = withDemoDates(example, new Date('2026-03-04T15:00:00Z'))
  const doc = parse(out) as { schedule: { holidays: unknown[]; early_closes: Array<{ date: unknown; stop: string }> } }
  // TOML local dates parse to Date objects (midnight UTC).
  const day = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v))
  expect(doc.schedule.holidays.map(day)).toEqual(['2026-03-06', '2026-03-18'])
  expect(doc.schedule.early_closes.map((c) => [day(c.date), c.stop])).toEqual([['2026-03-05', '13:00']])
  // Only those two entries changed: without them, the texts are the same.
  const rest = (t: string) => t.replace(/^holidays = .*$/m, '').replace(/^early_closes = \[[\s\S]*?^\]/m, '')
  expect(rest(out)).toBe(rest(example))
  expect(out).not.toBe(example)
})

it('runs as the demo runs it: stdin to stdout, with a fixed day', () => {
  const out = execFileSync(process.execPath, [join(ROOT, 'scripts/demo-dates.mjs')], {
    input: example,
    env: { ...process.env, STACKDECK_DEMO_TODAY: '2026-03-04' },
  }).toString()
  expect(out).toContain('holidays = [2026-03-06, 2026-03-18]')
  expect(out).toContain('{ date = 2026-03-05, stop = "13:00" },')
})
