import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { backoffCeiling, backoffDelay } from './backoff'

describe('backoffDelay', () => {
  const policy = { baseMs: 1000, maxMs: 60_000, jitter: 0 }

  it('is immediate for the first restart of an incident', () => {
    expect(backoffDelay(0, policy)).toBe(0)
  })

  it('doubles per consecutive failure and stops at the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, policy))
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000])
  })

  it('stays finite and capped for absurd failure counts', () => {
    expect(backoffDelay(5000, policy)).toBe(60_000)
  })

  it('jitter only shortens, by at most the jitter fraction', () => {
    const p = { baseMs: 1000, maxMs: 4000, jitter: 0.2 }
    expect(backoffDelay(2, p, () => 0)).toBe(2000)
    expect(backoffDelay(2, p, () => 0.5)).toBe(1800)
    expect(backoffDelay(2, p, () => 1)).toBe(1600)
    expect(backoffDelay(9, p, () => 1)).toBe(3200)
  })

  it('property: 0 <= (1 - jitter) * ceiling <= delay <= ceiling <= maxMs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (failures, a, b, jitter, r) => {
          const baseMs = Math.min(a, b)
          const maxMs = Math.max(a, b)
          const ceiling = backoffCeiling(failures, { baseMs, maxMs })
          const d = backoffDelay(failures, { baseMs, maxMs, jitter }, () => r)
          expect(ceiling).toBeLessThanOrEqual(maxMs)
          expect(d).toBeLessThanOrEqual(ceiling)
          expect(d).toBeGreaterThanOrEqual(Math.floor((1 - jitter) * ceiling))
          expect(d).toBeGreaterThanOrEqual(0)
        },
      ),
    )
  })
})
