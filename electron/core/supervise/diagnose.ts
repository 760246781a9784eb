import type { HeartbeatVerdict, SupervisedContainer } from './ports'

export type HealthSource = 'docker' | 'heartbeat' | 'both'
export type ProblemKind = 'exited' | 'unhealthy' | 'heartbeat_stale'

/**
 * What one check concludes about one container.
 * - ok: running and, for every health source in use, healthy as far as can be told.
 * - pending: not judged yet (healthcheck still `starting`, or a stale heartbeat within the start-up
 *   grace): neither a problem nor proof of health.
 * - held: paused (by the trader, the scheduler or the killswitch): never acted on.
 * - other: the engine or someone else is busy with it (restart policy, creation, removal): left
 *   alone, but the service is not healthy.
 * - problem: something the supervisor heals by restarting (or starting) the container.
 */
export type Diagnosis =
  | { kind: 'ok' }
  | { kind: 'pending'; note: string }
  | { kind: 'held'; note: string }
  | { kind: 'other'; note: string }
  | { kind: 'problem'; problem: ProblemKind; note: string }

export interface DiagnoseInput {
  container: SupervisedContainer
  heartbeat: HeartbeatVerdict
  source: HealthSource
  /** False during the start-up grace: a fresh process has not had time to beat yet. */
  judgeHeartbeat: boolean
}

const usesDocker = (s: HealthSource) => s === 'docker' || s === 'both'
const usesHeartbeat = (s: HealthSource) => s === 'heartbeat' || s === 'both'

export function diagnose({ container: c, heartbeat, source, judgeHeartbeat }: DiagnoseInput): Diagnosis {
  switch (c.state) {
    case 'paused':
      return { kind: 'held', note: 'paused' }
    case 'exited':
    case 'dead':
      return { kind: 'problem', problem: 'exited', note: c.state }
    case 'restarting':
      // Docker's own restart policy is at work: a second restarter would only fight it.
      return { kind: 'other', note: 'restarting under the engine restart policy' }
    case 'created':
      // Someone (compose, a deploy) is between create and start: not ours to start.
      return { kind: 'other', note: 'created but not started' }
    case 'removing':
      return { kind: 'other', note: 'being removed' }
    case 'running':
      break
  }
  if (usesDocker(source) && c.health === 'unhealthy') {
    return { kind: 'problem', problem: 'unhealthy', note: 'Docker healthcheck reports unhealthy' }
  }
  // 'unknown' (no agent tied, bus down) is deliberately not a problem: never restart on ignorance.
  if (usesHeartbeat(source) && heartbeat === 'stale') {
    return judgeHeartbeat
      ? { kind: 'problem', problem: 'heartbeat_stale', note: 'heartbeat stale while the container runs' }
      : { kind: 'pending', note: 'heartbeat stale within the start-up grace' }
  }
  if (usesDocker(source) && c.health === 'starting') return { kind: 'pending', note: 'Docker healthcheck starting' }
  return { kind: 'ok' }
}
