import { describe, expect, it } from 'vitest'
import { AuthThrottle, clientKey } from './auth-throttle'

function throttle(failuresPerMinute = 5, lockoutMs = 30_000) {
  let t = 1_000_000
  const th = new AuthThrottle({ failuresPerMinute, lockoutMs, now: () => t })
  return { th, advance: (ms: number) => (t += ms) }
}

describe('failed-authentication throttle', () => {
  it('locks an address out after its budget of failures, for the lockout only', () => {
    const { th, advance } = throttle(5, 30_000)
    for (let i = 0; i < 4; i++) expect(th.fail('10.0.0.1')).toEqual({ allowed: true })
    expect(th.fail('10.0.0.1')).toEqual({ allowed: false, retryAfterMs: 30_000 })
    advance(10_000)
    expect(th.check('10.0.0.1')).toEqual({ allowed: false, retryAfterMs: 20_000 })
    advance(20_000)
    expect(th.check('10.0.0.1')).toEqual({ allowed: true })
    // A full budget again after the lockout, not one failure away from the next.
    for (let i = 0; i < 4; i++) expect(th.fail('10.0.0.1').allowed).toBe(true)
  })

  it('never touches another address', () => {
    const { th } = throttle(2)
    th.fail('10.0.0.1')
    th.fail('10.0.0.1')
    expect(th.check('10.0.0.1').allowed).toBe(false)
    expect(th.check('10.0.0.2').allowed).toBe(true)
  })

  it('refills: slow, honest typos never lock anyone out', () => {
    const { th, advance } = throttle(5)
    for (let i = 0; i < 100; i++) {
      expect(th.fail('10.0.0.1').allowed).toBe(true)
      advance(15_000) // 4 a minute against a budget of 5
    }
  })

  it('keeps memory bounded under a spray of addresses, keeping locked ones when it can', () => {
    let t = 0
    const th = new AuthThrottle({ failuresPerMinute: 1, lockoutMs: 60_000, now: () => t, maxTracked: 100 })
    for (let i = 0; i < 5000; i++) {
      th.fail(`2001:db8::${i.toString(16)}`)
      t += 1
    }
    expect(th.tracked).toBeLessThanOrEqual(100)
  })

  it('treats IPv4-mapped IPv6 as the IPv4 address', () => {
    expect(clientKey('::ffff:127.0.0.1')).toBe('127.0.0.1')
    expect(clientKey('::1')).toBe('::1')
    expect(clientKey(undefined)).toBe('unknown')
  })
})
