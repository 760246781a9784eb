import { describe, expect, it } from 'vitest'
import {
  canonicalZone,
  dateToWall,
  formatInstant,
  formatWall,
  offsetAt,
  resolveWall,
  wallOf,
} from './zoned-time'

const W = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi)
const iso = (ms: number) => new Date(ms).toISOString()

describe('zoned time', () => {
  it('reads offsets and wall times from Intl', () => {
    expect(offsetAt('America/New_York', Date.parse('2026-01-15T12:00:00Z'))).toBe(-5 * 3600_000)
    expect(offsetAt('America/New_York', Date.parse('2026-07-15T12:00:00Z'))).toBe(-4 * 3600_000)
    expect(offsetAt('Australia/Sydney', Date.parse('2026-01-15T12:00:00Z'))).toBe(11 * 3600_000)
    expect(offsetAt('Asia/Kathmandu', Date.parse('2026-01-15T12:00:00Z'))).toBe((5 * 60 + 45) * 60_000)
    expect(formatWall(wallOf('Europe/London', Date.parse('2026-07-01T08:15:00Z')))).toBe('2026-07-01 09:15')
  })

  it('gives the exact offset inside the hour that contains a transition', () => {
    // NY springs forward at 07:00Z; the cache must not smear one offset over that hour.
    expect(offsetAt('America/New_York', Date.parse('2026-03-08T06:59:59Z'))).toBe(-5 * 3600_000)
    expect(offsetAt('America/New_York', Date.parse('2026-03-08T07:00:00Z'))).toBe(-4 * 3600_000)
    // Newfoundland changes at 05:30Z, in the middle of a UTC hour.
    expect(offsetAt('America/St_Johns', Date.parse('2026-03-08T05:29:59Z'))).toBe(-(3 * 60 + 30) * 60_000)
    expect(offsetAt('America/St_Johns', Date.parse('2026-03-08T05:30:00Z'))).toBe(-(2 * 60 + 30) * 60_000)
  })

  it('resolves ordinary wall times exactly', () => {
    expect(resolveWall('America/New_York', W(2026, 3, 9, 9, 30))).toEqual({
      at: Date.parse('2026-03-09T13:30:00Z'),
      kind: 'exact',
    })
    expect(resolveWall('UTC', W(2026, 3, 29, 1, 30))).toEqual({ at: W(2026, 3, 29, 1, 30), kind: 'exact' })
  })

  it('maps a time in a skipped hour to the first instant after the gap', () => {
    const ny = resolveWall('America/New_York', W(2026, 3, 8, 2, 30))
    expect(ny.kind).toBe('gap')
    expect(iso(ny.at)).toBe('2026-03-08T07:00:00.000Z')
    expect(formatInstant('America/New_York', ny.at)).toBe('2026-03-08 03:00')
    // 02:00 itself does not exist in New York that night either.
    expect(resolveWall('America/New_York', W(2026, 3, 8, 2, 0))).toEqual({
      at: Date.parse('2026-03-08T07:00:00Z'),
      kind: 'gap',
    })
    const lon = resolveWall('Europe/London', W(2026, 3, 29, 1, 30))
    expect(lon).toEqual({ at: Date.parse('2026-03-29T01:00:00Z'), kind: 'gap' })
    expect(formatInstant('Europe/London', lon.at)).toBe('2026-03-29 02:00')
    const syd = resolveWall('Australia/Sydney', W(2026, 10, 4, 2, 30))
    expect(syd).toEqual({ at: Date.parse('2026-10-03T16:00:00Z'), kind: 'gap' })
    expect(formatInstant('Australia/Sydney', syd.at)).toBe('2026-10-04 03:00')
    // Lord Howe skips only half an hour (02:00 -> 02:30).
    const lh = resolveWall('Australia/Lord_Howe', W(2026, 10, 4, 2, 15))
    expect(lh.kind).toBe('gap')
    expect(formatInstant('Australia/Lord_Howe', lh.at)).toBe('2026-10-04 02:30')
  })

  it('maps a time in a repeated hour to its first occurrence', () => {
    expect(resolveWall('America/New_York', W(2026, 11, 1, 1, 30))).toEqual({
      at: Date.parse('2026-11-01T05:30:00Z'),
      kind: 'repeated',
    })
    expect(resolveWall('Europe/London', W(2026, 10, 25, 1, 30))).toEqual({
      at: Date.parse('2026-10-25T00:30:00Z'),
      kind: 'repeated',
    })
    expect(resolveWall('Australia/Sydney', W(2026, 4, 5, 2, 30))).toEqual({
      at: Date.parse('2026-04-04T15:30:00Z'),
      kind: 'repeated',
    })
    // Just outside the repeated hour there is one instant again.
    expect(resolveWall('America/New_York', W(2026, 11, 1, 2, 0)).kind).toBe('exact')
  })

  it('validates zones and dates', () => {
    expect(canonicalZone('America/New_York')).toBe('America/New_York')
    expect(canonicalZone('Mars/Olympus')).toBeNull()
    expect(canonicalZone('')).toBeNull()
    expect(dateToWall('2026-02-29')).toBeNull()
    expect(dateToWall('2028-02-29')).toBe(W(2028, 2, 29))
    expect(dateToWall('2026-1-01')).toBeNull()
  })
})
