import type { FailedAnnouncement, RestartAnnouncement, SupervisionAudit, SupervisionSinks } from './ports'

/**
 * Tells the bus, the audit log and the desktop about restarts and give-ups. At 3 a.m. the bus may be
 * the thing that is down: nothing here is awaited, and a sink that throws or rejects is only logged.
 */
export class Announcer {
  constructor(
    private readonly sinks: SupervisionSinks,
    private readonly log: (msg: string) => void,
  ) {}

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
      detail: `${a.reason}; attempt ${a.attempt}${a.error ? `; ${a.error}` : ''}`,
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
      detail: `${a.reason}; ${a.consecutiveFailures} consecutive failed restarts (max ${a.maxFailedRestarts})`,
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
