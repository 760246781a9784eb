import type { ServiceSupervisionT, SupervisedContainerStatusT } from '../api/contract/supervise'
import type { ServiceBackoff } from './backoff-store'
import { countContainers, shortfallText } from './desired-count'
import type { Diagnosis } from './diagnose'
import type { ResolvedServiceOptions } from './options'
import type { HeartbeatVerdict, SupervisedContainer } from './ports'

export interface ContainerCheck {
  diagnosis: Diagnosis
  heartbeat: HeartbeatVerdict
  /** A problem the supervisor will heal (exited containers beyond `desired` are not). */
  healable: boolean
}

/** Everything one service's status is computed from; the supervisor keeps it per service. */
export interface ServiceView {
  opts: ResolvedServiceOptions
  record: ServiceBackoff | undefined
  containers: readonly SupervisedContainer[]
  checks: ReadonlyMap<string, ContainerCheck>
  lastCheckAt: number | null
  lastProblem: string | null
  checkError: string | null
  /** Set while checks fail: from then on the containers are not known. */
  unknownSince?: number | null
  blockedBy: string | null
  now: number
}

const iso = (ms: number) => new Date(ms).toISOString()

function containerProblem(check: ContainerCheck | undefined): string | undefined {
  if (!check) return undefined
  const d = check.diagnosis
  if (d.kind === 'ok') return undefined
  if (d.kind === 'problem' && !check.healable) return `${d.note} (not needed: desired count reached)`
  return d.note
}

/**
 * The reported state, first match wins: failed > unknown (check failed) > disabled > blocked >
 * recovering > degraded > blocked (some containers paused) > healthy. Unknown wins over everything
 * but failed (which is our own, persisted verdict): while the containers cannot be seen, no count,
 * no container row and no "healthy" or "disabled" is shown as if it were current.
 */
export function buildServiceStatus(v: ServiceView): ServiceSupervisionT {
  const { opts, record, now } = v
  if (v.checkError !== null) return unknownStatus(v)
  const count = countContainers(v.containers, opts.desired)
  const recs = record?.containers ?? {}

  let restartsShown = 0
  let worstFailures = 0
  let nextAttempt: number | null = null
  let recovering = false
  let degraded = shortfallText(count) !== null
  const containers: SupervisedContainerStatusT[] = v.containers.map((c) => {
    const rec = recs[c.id]
    const check = v.checks.get(c.id)
    const problem = containerProblem(check)
    if (rec) {
      restartsShown += rec.restarts
      worstFailures = Math.max(worstFailures, rec.consecutiveFailures)
      if (rec.nextAttemptAt !== null && rec.nextAttemptAt > now) nextAttempt = Math.min(nextAttempt ?? Infinity, rec.nextAttemptAt)
      if (rec.awaitingVerdict || (rec.inFlightUntil !== null && rec.inFlightUntil > now)) recovering = true
    }
    if (check?.healable) recovering = true
    if (check?.diagnosis.kind === 'other') degraded = true
    return {
      id: c.id,
      name: c.name,
      state: c.state,
      health: c.health,
      heartbeat: check?.heartbeat ?? 'unknown',
      restarts: rec?.restarts ?? 0,
      consecutiveFailures: rec?.consecutiveFailures ?? 0,
      ...(problem !== undefined ? { problem } : {}),
    }
  })

  const pausedNames = v.containers.filter((c) => c.state === 'paused').map((c) => c.name)
  let state: ServiceSupervisionT['state']
  let blockedBy: string | null = null
  if (record?.failed && opts.autoHeal) state = 'failed'
  else if (!opts.autoHeal) state = 'disabled'
  else if (v.blockedBy !== null) {
    state = 'blocked'
    blockedBy = v.blockedBy
  } else if (recovering) state = 'recovering'
  else if (degraded) state = 'degraded'
  else if (pausedNames.length > 0) {
    state = 'blocked'
    blockedBy = `paused: ${pausedNames.join(', ')}`
  } else state = 'healthy'
  // Even when another state wins, say what holds the supervisor back.
  if (blockedBy === null && v.blockedBy !== null) blockedBy = v.blockedBy

  return {
    service: opts.name,
    state,
    autoHeal: opts.autoHeal,
    healthSource: opts.healthSource,
    desired: opts.desired,
    actual: count.running,
    paused: count.paused,
    lastCheckAt: v.lastCheckAt === null ? null : iso(v.lastCheckAt),
    ...(v.lastProblem !== null ? { lastProblem: v.lastProblem } : {}),
    restarts: Math.max(record?.restarts ?? 0, restartsShown),
    consecutiveFailures: worstFailures,
    ...(nextAttempt !== null && state !== 'failed' && state !== 'disabled' ? { nextAttemptAt: iso(nextAttempt) } : {}),
    ...(blockedBy !== null ? { blockedBy } : {}),
    ...(record?.failed && record.failedAt !== null ? { failedAt: iso(record.failedAt) } : {}),
    containers,
  }
}

/** The status while the last check failed: what we know for sure (our own records), nothing else. */
function unknownStatus(v: ServiceView): ServiceSupervisionT {
  const { opts, record, now } = v
  const since = v.unknownSince ?? v.lastCheckAt ?? now
  let worstFailures = 0
  for (const rec of Object.values(record?.containers ?? {})) worstFailures = Math.max(worstFailures, rec.consecutiveFailures)
  const failed = record?.failed === true && opts.autoHeal
  return {
    service: opts.name,
    state: failed ? 'failed' : 'unknown',
    autoHeal: opts.autoHeal,
    healthSource: opts.healthSource,
    desired: opts.desired,
    actual: null,
    paused: null,
    unknown: { since: iso(since), reason: v.checkError ?? 'not checked' },
    lastCheckAt: v.lastCheckAt === null ? null : iso(v.lastCheckAt),
    ...(v.lastProblem !== null ? { lastProblem: v.lastProblem } : {}),
    restarts: record?.restarts ?? 0,
    consecutiveFailures: worstFailures,
    ...(v.blockedBy !== null ? { blockedBy: v.blockedBy } : {}),
    ...(failed && record.failedAt !== null ? { failedAt: iso(record.failedAt) } : {}),
    containers: [],
  }
}

/** What is wrong right now, in words, or null; the supervisor keeps the last one as `lastProblem`. */
export function currentProblem(v: Pick<ServiceView, 'opts' | 'containers' | 'checks' | 'checkError'>): string | null {
  if (v.checkError !== null) return `check failed: ${v.checkError}`
  for (const c of v.containers) {
    const check = v.checks.get(c.id)
    if (check && (check.healable || check.diagnosis.kind === 'other')) return `${c.name}: ${containerProblem(check)}`
  }
  return shortfallText(countContainers(v.containers, v.opts.desired))
}
