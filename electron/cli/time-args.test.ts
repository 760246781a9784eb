import { describe, expect, it } from 'vitest'
import { CliError } from './exit-codes'
import { formatBytes, formatMs, parseDuration, parseIsoTime, parseTimeOption, timeRange } from './time-args'

const NOW = Date.parse('2026-12-02T08:00:00.000Z')
const iso = (ms: number) => new Date(ms).toISOString()

function usage(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(CliError)
    expect((err as CliError).exit).toBe(2)
    return (err as CliError).message
  }
  throw new Error('no usage error')
}

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    [' 2H ', 7_200_000],
    ['0s', 0],
  ])('%s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each(['', '15', 'm', '15x', '-5m', '1h 30m', 'h1', '1.m', '15 m', 'P1D'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeNull()
  })
})

describe('parseIsoTime', () => {
  it('takes UTC, offsets, a space for T, no seconds, a bare date, fractions', () => {
    expect(parseIsoTime('2026-12-02T08:00:00Z')).toBe(NOW)
    expect(parseIsoTime('2026-12-02T08:00:00.250Z')).toBe(NOW + 250)
    expect(parseIsoTime('2026-12-02T09:00:00+01:00')).toBe(NOW)
    expect(parseIsoTime('2026-12-02T03:00-0500')).toBe(NOW)
    expect(parseIsoTime('2026-12-02 08:00')).toBe(NOW)
    expect(parseIsoTime('2026-12-02T08:00:00')).toBe(NOW)
    expect(parseIsoTime('2026-12-02')).toBe(Date.parse('2026-12-02T00:00:00Z'))
    expect(parseIsoTime('2028-02-29')).toBe(Date.parse('2028-02-29T00:00:00Z'))
  })

  it.each(['yesterday', '2026-13-01', '2026-02-31', '2026-02-29T10:00+01:00', '2026-12-02T25:00', '12/02/2026', '2026-12-02T08:00:00Zjunk', '1733126400000'])(
    '%j is not a time',
    (text) => {
      expect(parseIsoTime(text)).toBeNull()
    },
  )
})

describe('parseTimeOption', () => {
  it('now, a duration ago, or ISO', () => {
    expect(parseTimeOption('to', 'now', NOW)).toBe(NOW)
    expect(parseTimeOption('from', '15m', NOW)).toBe(NOW - 900_000)
    expect(parseTimeOption('from', '2026-12-01T08:00:00Z', NOW)).toBe(NOW - 86_400_000)
  })

  it('a bad value is a usage error that names the flag and the forms', () => {
    const m = usage(() => parseTimeOption('from', 'last tuesday', NOW))
    expect(m).toMatch(/^--from: "last tuesday" is not a time; give ISO 8601/)
    expect(m).toMatch(/15m, 2h, 1d/)
    expect(usage(() => parseTimeOption('to', '2026-02-30', NOW))).toMatch(/^--to: /)
  })
})

describe('timeRange', () => {
  it('--since D is --from D ago; nothing given is no range', () => {
    expect(timeRange({ since: '1h' }, NOW)).toEqual({ from: iso(NOW - 3_600_000) })
    expect(timeRange({}, NOW)).toEqual({})
    expect(timeRange({ from: '2h', to: '1h' }, NOW)).toEqual({ from: iso(NOW - 7_200_000), to: iso(NOW - 3_600_000) })
  })

  it('defaultSince applies only when no start was given', () => {
    expect(timeRange({}, NOW, '1h')).toEqual({ from: iso(NOW - 3_600_000) })
    expect(timeRange({ from: '2026-12-02T07:00:00Z' }, NOW, '1h')).toEqual({ from: '2026-12-02T07:00:00.000Z' })
    expect(timeRange({ since: '5m' }, NOW, '1h')).toEqual({ from: iso(NOW - 300_000) })
  })

  it('usage errors: --since with --from, a bad --since, zero, from not before to', () => {
    expect(usage(() => timeRange({ since: '1h', from: '2h' }, NOW))).toBe('give --since or --from, not both')
    expect(usage(() => timeRange({ since: 'an hour' }, NOW))).toMatch(/^--since: "an hour" is not a duration/)
    expect(usage(() => timeRange({ since: '2026-12-01' }, NOW))).toMatch(/^--since: /)
    expect(usage(() => timeRange({ since: '0m' }, NOW))).toMatch(/^--since: "0m" must be longer than zero/)
    expect(usage(() => timeRange({ from: '1h', to: '2h' }, NOW))).toMatch(/^--from \(.*\) is not before --to/)
    expect(usage(() => timeRange({ to: 'soon' }, NOW))).toMatch(/^--to: "soon" is not a time/)
  })
})

describe('formatMs and formatBytes', () => {
  it.each([
    [null, '-'],
    [0, '0 ms'],
    [850, '850 ms'],
    [4240, '4.2 s'],
    [185_000, '3m05s'],
    [7_800_000, '2h10m'],
    [3 * 86_400_000 + 4 * 3_600_000, '3d4h'],
  ])('formatMs(%j) = %s', (ms, text) => {
    expect(formatMs(ms)).toBe(text)
  })

  it.each([
    [null, '-'],
    [512, '512 B'],
    [1536, '1.5 KiB'],
    [12.3 * 1024 * 1024, '12.3 MiB'],
    [2 * 1024 ** 3, '2.0 GiB'],
  ])('formatBytes(%j) = %s', (b, text) => {
    expect(formatBytes(b)).toBe(text)
  })
})
