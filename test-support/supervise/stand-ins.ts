import type { ContainerHealth, ContainerState } from '../../electron/core/stack/types'
import type { FakeClock } from '../../electron/core/shared/clock'
import type {
  Blocker,
  FailedAnnouncement,
  Guards,
  HeartbeatVerdict,
  HeartbeatView,
  RestartAnnouncement,
  StartOutcome,
  SupervisedContainer,
  SupervisedStack,
  SupervisionAudit,
  SupervisionChannel,
  SupervisionNotice,
  SupervisionSinks,
} from '../../electron/core/supervise/ports'

/**
 * Stand-in ports for the supervisor's pure-logic unit tests. The integration test
 * (supervisor.int.test.ts) runs the same supervisor against a real engine and real Redis.
 */

/** What a container does when (re)started. */
export type OnStart =
  | 'stay-up' // runs and stays healthy
  | 'crash' // the call succeeds, but the container has exited by the next check
  | 'unhealthy' // runs, but its healthcheck reports unhealthy
  | 'refuse' // the call reports failure
  | 'hang' // the call never returns
  | 'frozen' // found paused right before the call (paused by hand after the check): not acted on

export interface CallRecord {
  at: number
  verb: 'restart' | 'start'
  id: string
  stopTimeoutS?: number
}

export class StandInStack implements SupervisedStack {
  private readonly byService = new Map<string, SupervisedContainer[]>()
  private readonly onStart = new Map<string, OnStart>()
  readonly calls: CallRecord[] = []
  /** Set to make `containersOf` reject, or to a never-resolving promise via `hangList`. */
  listError: Error | null = null
  hangList = false
  /** Resolves the first time a restart/start call arrives (for tests that abandon a hung call). */
  firstCall: Promise<void>
  private callArrived: () => void = () => undefined

  constructor(private readonly clock: FakeClock) {
    this.firstCall = new Promise((r) => (this.callArrived = r))
  }

  add(
    service: string,
    c: { id: string; name?: string; state?: ContainerState; health?: ContainerHealth; labels?: Record<string, string> },
    onStart: OnStart = 'stay-up',
  ): SupervisedContainer {
    const full: SupervisedContainer = {
      id: c.id,
      name: c.name ?? c.id,
      endpoint: 'local',
      service,
      state: c.state ?? 'running',
      health: c.health ?? 'none',
      labels: c.labels ?? {},
      startedAt: this.clock.now().toISOString(),
    }
    const list = this.byService.get(service) ?? []
    list.push(full)
    this.byService.set(service, list)
    this.onStart.set(c.id, onStart)
    return full
  }

  set(id: string, patch: Partial<Pick<SupervisedContainer, 'state' | 'health'>>, onStart?: OnStart): void {
    for (const list of this.byService.values()) {
      for (const c of list) if (c.id === id) Object.assign(c, patch)
    }
    if (onStart) this.onStart.set(id, onStart)
  }

  get(id: string): SupervisedContainer | undefined {
    for (const list of this.byService.values()) for (const c of list) if (c.id === id) return c
    return undefined
  }

  async containersOf(service: string): Promise<SupervisedContainer[]> {
    if (this.hangList) return new Promise(() => undefined)
    if (this.listError) throw this.listError
    // Copies: the supervisor must not see later changes through a stale reference.
    return (this.byService.get(service) ?? []).map((c) => ({ ...c, labels: { ...c.labels } }))
  }

  restart(c: SupervisedContainer, opts: { stopTimeoutS: number }): Promise<StartOutcome> {
    this.calls.push({ at: this.clock.now().getTime(), verb: 'restart', id: c.id, stopTimeoutS: opts.stopTimeoutS })
    return this.run(c.id)
  }

  start(c: SupervisedContainer): Promise<StartOutcome> {
    this.calls.push({ at: this.clock.now().getTime(), verb: 'start', id: c.id })
    return this.run(c.id)
  }

  private async run(id: string): Promise<StartOutcome> {
    this.callArrived()
    const mode = this.onStart.get(id) ?? 'stay-up'
    const startedAt = this.clock.now().toISOString()
    switch (mode) {
      case 'hang':
        return new Promise(() => undefined)
      case 'frozen':
        this.set(id, { state: 'paused' })
        return { ok: false, state: 'paused', skipped: 'paused by someone else: left frozen' }
      case 'refuse':
        this.set(id, { state: 'exited' })
        return { ok: false, state: 'exited', error: 'stand-in refused to start' }
      case 'crash':
        this.set(id, { state: 'exited', health: 'none' })
        return { ok: true, state: 'running' }
      case 'unhealthy':
        this.set(id, { state: 'running', health: 'unhealthy' })
        return { ok: true, state: 'running' }
      case 'stay-up': {
        const c = this.get(id)
        if (c) c.startedAt = startedAt
        this.set(id, { state: 'running', health: c?.health === 'unhealthy' ? 'healthy' : (c?.health ?? 'none') })
        return { ok: true, state: 'running' }
      }
    }
  }
}

export class StandInHeartbeats implements HeartbeatView {
  readonly verdicts = new Map<string, HeartbeatVerdict>()
  isStale(c: SupervisedContainer): HeartbeatVerdict {
    return this.verdicts.get(c.id) ?? 'unknown'
  }
}

export class StandInGuards implements Guards {
  reason: string | Blocker | null = null
  /** Answers for the next calls, in order, before falling back to `reason`. */
  script: Array<string | Blocker | null> = []
  calls = 0
  blockedReason(): string | Blocker | null {
    this.calls++
    return this.script.length > 0 ? (this.script.shift() as string | Blocker | null) : this.reason
  }
}

export class RecordingSinks implements SupervisionSinks {
  readonly announced: Array<{ channel: SupervisionChannel; payload: RestartAnnouncement | FailedAnnouncement }> = []
  readonly audits: SupervisionAudit[] = []
  readonly notices: SupervisionNotice[] = []
  announce = (channel: SupervisionChannel, payload: RestartAnnouncement | FailedAnnouncement) => {
    this.announced.push({ channel, payload })
  }
  audit = (record: SupervisionAudit) => {
    this.audits.push(record)
  }
  notify = (notice: SupervisionNotice) => {
    this.notices.push(notice)
  }
  on(channel: SupervisionChannel) {
    return this.announced.filter((a) => a.channel === channel).map((a) => a.payload)
  }
}
