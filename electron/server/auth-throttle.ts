/**
 * Throttles failed authentication per client address. The token rate limit only applies once a
 * token verifies, so before this a script could try 2,000 wrong tokens and get 2,000 × 401.
 *
 * Each address may fail `failuresPerMinute` times (a bucket that refills continuously); the failure
 * that empties it locks the address out for `lockoutMs`. While locked out every token from that
 * address is refused with 429 *without being checked*, so the lockout cannot be used as an oracle
 * (a right guess would otherwise stand out as the one answer that is not 429). Other addresses,
 * and so a valid token used from elsewhere, are not affected.
 */
export interface AuthThrottleOptions {
  failuresPerMinute: number
  lockoutMs: number
  now?: () => number
  /** Addresses remembered at most; beyond it, the ones with the fewest recent failures go first. */
  maxTracked?: number
}

interface Entry {
  budget: number
  at: number
  lockedUntil: number
}

export type AuthGate = { allowed: true } | { allowed: false; retryAfterMs: number }

/** `::ffff:127.0.0.1` and `127.0.0.1` are one client; an unknown address is still a key. */
export function clientKey(remoteAddress: string | undefined): string {
  if (!remoteAddress) return 'unknown'
  return remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress
}

export class AuthThrottle {
  private readonly entries = new Map<string, Entry>()
  private readonly now: () => number
  private readonly maxTracked: number

  constructor(private readonly opts: AuthThrottleOptions) {
    this.now = opts.now ?? Date.now
    this.maxTracked = opts.maxTracked ?? 10_000
  }

  /** Ask before verifying a token from `key`. */
  check(key: string): AuthGate {
    const e = this.entries.get(key)
    const t = this.now()
    if (e && e.lockedUntil > t) return { allowed: false, retryAfterMs: e.lockedUntil - t }
    return { allowed: true }
  }

  /** Record a presented token that did not verify; returns the gate for the next attempt. */
  fail(key: string): AuthGate {
    const t = this.now()
    const e = this.refill(
      this.entries.get(key) ?? { budget: this.opts.failuresPerMinute, at: t, lockedUntil: 0 },
      t,
    )
    e.budget -= 1
    if (e.budget < 1) {
      e.lockedUntil = t + this.opts.lockoutMs
      // After the lockout the address starts over with a full budget, not with a trickle.
      e.budget = this.opts.failuresPerMinute
    }
    this.entries.delete(key)
    this.entries.set(key, e)
    this.prune(t)
    return this.check(key)
  }

  get tracked(): number {
    return this.entries.size
  }

  private refill(e: Entry, t: number): Entry {
    e.budget = Math.min(
      this.opts.failuresPerMinute,
      e.budget + ((t - e.at) / 60_000) * this.opts.failuresPerMinute,
    )
    e.at = t
    return e
  }

  /** Bounded memory under a spray of addresses (IPv6 makes that cheap): forget the oldest, unlocked first. */
  private prune(t: number) {
    if (this.entries.size <= this.maxTracked) return
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.maxTracked) return
      if (e.lockedUntil <= t) this.entries.delete(k)
    }
    for (const k of this.entries.keys()) {
      if (this.entries.size <= this.maxTracked) return
      this.entries.delete(k)
    }
  }
}
