import type { Door } from '../api/call-context'
import type { FailedAnnouncement, RestartAnnouncement, SupervisionAudit, SupervisionSinks } from './ports'

type Named = { id: string; name: string }

/** What a restart is about to do, for the intent record written before the engine is touched. */
export interface RestartIntent {
  at: string
  service: string
  container: Named
  reason: string
  verb: 'restart' | 'start'
  stopTimeoutS?: number
  attempt: number
  who: string
  door: Door
}

/**
 * Tells the bus, the audit log and the desktop about restarts and give-ups. At 3 a.m. the bus may be
 * the thing that is down: nothing here is awaited, and a sink that throws or rejects is only logged.
 * The one exception is the intent record, which the healer awaits before acting (see `intent`).
 */
export class Announcer {
  constructor(
    private readonly sinks: SupervisionSinks,
    private readonly log: (msg: string) => void,
  ) {}

  /**
   * The restart about to happen, in the audit log before the engine is touched: if Stackdeck dies
   * mid-call, the log still says what it was doing. Resolves once the sink has it (or at once
   * without a sink); rejects when the sink fails, so the caller can decide not to act unrecorded.
   */
  async intent(i: RestartIntent): Promise<void> {
    const grace = i.verb === 'restart' ? `; SIGTERM, then SIGKILL after ${i.stopTimeoutS ?? '?'} s` : ''
    await this.sinks.audit?.({
      at: i.at,
      who: i.who,
      door: i.door,
      action: 'supervise.restart.intent',
      service: i.service,
      container: i.container,
      // The record of an intent is written; what became of the restart follows as supervise.restart.
      outcome: 'ok',
      reason: i.reason,
      detail: {
        phase: 'intent',
        note: `about to ${i.verb} ${i.container.name}${grace}`,
        verb: i.verb,
        attempt: i.attempt,
        ...(i.stopTimeoutS !== undefined ? { stopTimeoutS: i.stopTimeoutS } : {}),
      },
    })
  }

  restarted(a: RestartAnnouncement): void {
    this.fire('announce', () => this.sinks.announce?.('supervise.restarted', a))
    this.audit({
      at: a.at,
      who: a.who,
      door: a.door,
      action: 'supervise.restart',
      service: a.service,
      container: a.container,
      outcome: a.outcome,
      reason: a.reason,
      detail: {
        phase: 'outcome',
        verb: a.verb,
        attempt: a.attempt,
        restarts: a.restarts,
        ms: a.ms,
        ...(a.stopTimeoutS !== undefined ? { stopTimeoutS: a.stopTimeoutS } : {}),
        ...(a.error !== undefined ? { error: a.error } : {}),
      },
    })
    const manual = a.door !== 'supervisor'
    this.fire('notify', () =>
      this.sinks.notify?.({
        level: a.outcome === 'ok' && manual ? 'info' : 'warning',
        title: a.outcome === 'ok' ? `Restarted ${a.container.name}` : `Restart of ${a.container.name} failed`,
        message: `${a.service}: ${a.reason}${manual ? ` (by ${a.who})` : ''}${a.error ? ` — ${a.error}` : ''}`,
      }),
    )
  }

  /**
   * The outcome of a restart an earlier Stackdeck process began and never saw finish (it stopped or
   * crashed mid-call). 'partial' is the audit log's word for "could not be confirmed".
   */
  interrupted(r: { at: string; service: string; container: Named; startedAt: string | null }): Promise<void> {
    return Promise.resolve(
      this.sinks.audit?.({
        at: r.at,
        who: 'supervisor',
        door: 'supervisor',
        action: 'supervise.restart',
        service: r.service,
        container: r.container,
        outcome: 'partial',
        reason: 'interrupted: Stackdeck stopped while this restart was under way',
        detail: {
          phase: 'outcome',
          interrupted: true,
          note: 'outcome not seen; the container is judged afresh by the next checks',
          ...(r.startedAt !== null ? { restartStartedAt: r.startedAt } : {}),
        },
      }),
    ).then(() => undefined)
  }

  /** A manual restart refused or skipped before the engine was touched. */
  refused(r: { at: string; who: string; door: Door; service: string; container: Named | 'all'; reason: string; why: string }): void {
    this.audit({
      at: r.at,
      who: r.who,
      door: r.door,
      action: 'supervise.restart',
      service: r.service,
      container: r.container,
      outcome: 'refused',
      reason: r.reason,
      detail: { phase: 'outcome', refused: r.why },
    })
  }

  failed(a: FailedAnnouncement): void {
    this.fire('announce', () => this.sinks.announce?.('supervise.failed', a))
    this.audit({
      at: a.at,
      who: 'supervisor',
      door: 'supervisor',
      action: 'supervise.failed',
      service: a.service,
      container: a.container,
      outcome: 'failed',
      reason: a.reason,
      detail: { consecutiveFailures: a.consecutiveFailures, maxFailedRestarts: a.maxFailedRestarts },
    })
    this.fire('notify', () =>
      this.sinks.notify?.({
        level: 'error',
        title: `${a.service} failed: auto-heal gave up`,
        message: `${a.container.name}: ${a.reason}. ${a.consecutiveFailures} restarts did not hold; left alone until reset.`,
      }),
    )
  }

  private audit(rec: SupervisionAudit): void {
    this.fire('audit', () => this.sinks.audit?.(rec))
  }

  private fire(what: string, fn: () => unknown): void {
    try {
      const r = fn()
      if (r && typeof (r as Promise<unknown>).then === 'function') {
        ;(r as Promise<unknown>).then(undefined, (err: unknown) => this.log(`supervise: ${what} failed: ${String(err)}`))
      }
    } catch (err) {
      this.log(`supervise: ${what} failed: ${String(err)}`)
    }
  }
}
