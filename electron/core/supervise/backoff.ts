/**
 * Restart backoff. The first restart of an incident is immediate; after the n-th consecutive failed
 * restart (n >= 1) the next one waits `min(maxMs, baseMs * 2^(n-1))`, shortened by up to
 * `jitter` (a fraction) at random. Jitter only ever shortens the wait, so the cap is a true cap and
 * services that failed together do not retry in lockstep.
 */
export interface BackoffPolicy {
  baseMs: number
  maxMs: number
  /** 0..1: the delay is multiplied by a factor drawn from (1 - jitter, 1]. */
  jitter: number
}

export const DEFAULT_JITTER = 0.2

export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  if (failures <= 0) return 0
  // 2^n overflows to Infinity long before it matters; cap the exponent so the math stays finite.
  const exp = policy.baseMs * 2 ** Math.min(failures - 1, 40)
  const capped = Math.min(Math.max(0, policy.maxMs), exp)
  const j = Math.min(1, Math.max(0, policy.jitter))
  const r = Math.min(1, Math.max(0, random()))
  return Math.round(capped * (1 - j * r))
}

/** The un-jittered delay, i.e. the upper bound of `backoffDelay`. */
export function backoffCeiling(failures: number, policy: Pick<BackoffPolicy, 'baseMs' | 'maxMs'>): number {
  return backoffDelay(failures, { ...policy, jitter: 0 })
}
