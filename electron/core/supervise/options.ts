import { CoreError } from '../errors'
import type { HealthSource } from './diagnose'

/** One supervised service; the fields mirror `ServiceSchema.supervise` in the settings, plus two graces. */
export interface SuperviseServiceOptions {
  name: string
  /** Containers expected running. */
  desired: number
  /** Off: the service is checked and reported ('disabled') but never acted on. */
  autoHeal: boolean
  healthSource: HealthSource
  intervalMs: number
  /** Bound on one check (listing the containers and reading their heartbeats). 0: unbounded. */
  timeoutMs: number
  backoffBaseMs: number
  backoffMaxMs: number
  /** Consecutive failed restarts after which the service is marked failed (0: give up at the first problem). */
  maxFailedRestarts: number
  /** docker restart `t`: seconds between SIGTERM and SIGKILL. */
  stopTimeoutS: number
  /**
   * How long a restarted container must stay healthy (running, healthcheck not unhealthy/starting,
   * heartbeat not stale) for its restart to count as a success and reset the failure count. A
   * problem seen before then makes that restart a failed one. Default: max(10 s, 3 × intervalMs).
   */
  healthyGraceMs?: number
  /**
   * A stale heartbeat is not judged until the container has been seen running this long (after a
   * (re)start, an unpause, or Stackdeck's own start): a new process needs time to beat. Default 15 s.
   */
  heartbeatGraceMs?: number
}

export type ResolvedServiceOptions = Required<SuperviseServiceOptions>

/** Below this a reconcile loop is a busy loop; settings allow 0, which we read as "as often as sane". */
export const MIN_INTERVAL_MS = 100
export const DEFAULT_HEARTBEAT_GRACE_MS = 15_000

export function resolveServiceOptions(list: readonly SuperviseServiceOptions[]): ResolvedServiceOptions[] {
  const seen = new Set<string>()
  return list.map((s, i) => {
    if (seen.has(s.name)) throw new CoreError('invalid_input', `duplicate supervised service ${s.name}`, { path: `/services/${i}/name` })
    seen.add(s.name)
    if (s.backoffMaxMs < s.backoffBaseMs) {
      throw new CoreError('invalid_input', `service ${s.name}: backoffMaxMs is below backoffBaseMs`, { path: `/services/${i}/supervise/backoffMaxMs` })
    }
    const intervalMs = Math.max(MIN_INTERVAL_MS, s.intervalMs)
    return {
      ...s,
      desired: Math.max(0, Math.floor(s.desired)),
      intervalMs,
      timeoutMs: Math.max(0, s.timeoutMs),
      maxFailedRestarts: Math.max(0, Math.floor(s.maxFailedRestarts)),
      stopTimeoutS: Math.max(0, Math.floor(s.stopTimeoutS)),
      healthyGraceMs: s.healthyGraceMs ?? Math.max(10_000, 3 * intervalMs),
      heartbeatGraceMs: s.heartbeatGraceMs ?? DEFAULT_HEARTBEAT_GRACE_MS,
    }
  })
}
