/**
 * What the supervisor needs from the rest of the core, stated narrowly so the reconcile logic can be
 * unit-tested with a fake clock and stand-ins, and so the lead can adapt the real stack and bus
 * modules in the composition root.
 */
import type { ContainerInfo, ContainerState } from '../stack/types'
import type { Door } from '../api/call-context'

/** The fields of the stack module's ContainerInfo that supervision reads; a ContainerInfo fits as is. */
export type SupervisedContainer = Pick<ContainerInfo, 'id' | 'name' | 'endpoint' | 'service' | 'state' | 'health' | 'labels' | 'startedAt'>

export interface StartOutcome {
  /** True once an inspect confirmed the container runs again (a new start, not the old one). */
  ok: boolean
  /** State seen by the last inspect, when known. */
  state?: ContainerState
  error?: string
  /**
   * Not acted on, and rightly so: found paused right before the call (someone froze it after the
   * check). Not a failed restart: nothing is counted, and the container stays frozen.
   */
  skipped?: string
}

export interface SupervisedStack {
  /** Every container of the service in any state (exited ones included); throws when the engine is unreachable. */
  containersOf(service: string): Promise<SupervisedContainer[]>
  /**
   * Graceful restart of a running container: the engine's restart API with `t = stopTimeoutS`
   * (SIGTERM, then SIGKILL after t seconds), confirmed by inspect. May throw instead of `ok: false`.
   */
  restart(container: SupervisedContainer, opts: { stopTimeoutS: number }): Promise<StartOutcome>
  /** Start an exited/dead container, confirmed by inspect. May throw instead of `ok: false`. */
  start(container: SupervisedContainer): Promise<StartOutcome>
}

export type HeartbeatVerdict = 'fresh' | 'stale' | 'unknown'

export interface HeartbeatView {
  /**
   * Heartbeat of the agent tied to the container (label `stackdeck.agent=<id>`, or the heartbeat's
   * hostname / container id). 'unknown' when no agent is tied or the bus is down: never acted on.
   */
  isStale(container: SupervisedContainer): HeartbeatVerdict | Promise<HeartbeatVerdict>
}

/** Why the supervisor holds off, and what the trader can do about it (the refusal text quotes both). */
export interface Blocker {
  reason: string
  /** E.g. "Release the killswitch first." or "Wait for the run to finish."; absent when nothing helps but time. */
  advice?: string
}

export interface Guards {
  /** Non-null while the killswitch is engaged, a Save & Restart run is in flight, or the trader/scheduler paused the stack. */
  blockedReason(): string | Blocker | null
}

export type SupervisionChannel = 'supervise.restarted' | 'supervise.failed'

/** Published on the bus after every restart attempt (automatic or manual). */
export interface RestartAnnouncement {
  at: string
  service: string
  container: { id: string; name: string }
  /** The problem that caused it, or 'manual restart'. */
  reason: string
  outcome: 'ok' | 'failed'
  error?: string
  /** 1-based attempt within the current run of consecutive failures. */
  attempt: number
  restarts: number
  /** Seconds the engine was told to wait between SIGTERM and SIGKILL (absent for a start). */
  stopTimeoutS?: number
  verb: 'restart' | 'start'
  ms: number
  who: string
  door: Door
}

/** Published on the bus when a service is given up on (until `reset`). */
export interface FailedAnnouncement {
  at: string
  service: string
  container: { id: string; name: string }
  reason: string
  consecutiveFailures: number
  maxFailedRestarts: number
}

/**
 * One audit record of a supervisor act. Every record names the service and the container (`all`:
 * a refusal that concerned the whole service, before any container was picked).
 * - `supervise.restart.intent`: written (and awaited) before the engine is touched;
 * - `supervise.restart`: the outcome; 'partial' when it could not be seen (Stackdeck stopped mid-call);
 * - `supervise.failed`: auto-heal gave up on the service.
 */
export interface SupervisionAudit {
  at: string
  who: string
  door: Door
  action: 'supervise.restart.intent' | 'supervise.restart' | 'supervise.failed'
  service: string
  container: { id: string; name: string } | 'all'
  outcome: 'ok' | 'failed' | 'partial' | 'refused'
  /** Why it was done (the problem, or the manual reason). */
  reason: string
  /** Machine-readable facts: verb, stopTimeoutS, attempt, error, ms, ... */
  detail: Record<string, unknown>
}

export interface SupervisionNotice {
  title: string
  message: string
  level: 'info' | 'warning' | 'error'
}

/** Side channels. Each may be absent, slow or failing: the supervisor never waits on them. */
export interface SupervisionSinks {
  announce?: (channel: SupervisionChannel, payload: RestartAnnouncement | FailedAnnouncement) => unknown
  /** Intent records are awaited before acting (bounded); the others are fire-and-forget. */
  audit?: (record: SupervisionAudit) => unknown
  notify?: (notice: SupervisionNotice) => unknown
}

/** Receives `supervise.changed`; an `EventHub` whose map includes that event fits. */
export interface SupervisionEventSink<P> {
  emit(name: 'supervise.changed', payload: P): void
}

