import { performance } from 'node:perf_hooks'
import type { CallContext } from '../api/call-context'
import type { ManualRestartResultT, ServiceSupervisionT, SuperviseStatusT } from '../api/contract/supervise'
import { CoreError } from '../errors'
import { backgroundClock, type Clock } from '../shared/clock'
import { Announcer } from './announcer'
import { DEFAULT_JITTER } from './backoff'
import { BackoffStore } from './backoff-store'
import { exitedToHeal } from './desired-count'
import { diagnose } from './diagnose'
import { Healer, INTENT_TIMEOUT_MS } from './healer'
import { pickTargets } from './manual-target'
import { resolveServiceOptions, type SuperviseServiceOptions } from './options'
import type {
  Blocker,
  Guards,
  HeartbeatVerdict,
  HeartbeatView,
  SupervisedContainer,
  SupervisedStack,
  SupervisionEventSink,
  SupervisionSinks,
} from './ports'
import { bounded, errText, newRuntime, type Runtime } from './runtime'
import { buildServiceStatus, currentProblem } from './service-status'

export interface SupervisorOptions {
  services: readonly SuperviseServiceOptions[]
  stack: SupervisedStack
  /** Absent: every heartbeat is 'unknown', so heartbeats never cause a restart. */
  heartbeats?: HeartbeatView
  guards?: Guards
  sinks?: SupervisionSinks
  events?: SupervisionEventSink<SuperviseStatusT>
  clock?: Clock
  /** JSON file for the backoff state (atomic writes); null keeps it in memory only. */
  statePath: string | null
  /** Budget for one restart/start call and its confirm, on top of the service's stopTimeoutS (default 15 s). */
  actionTimeoutMs?: number
  /** Backoff jitter fraction (default 0.2). */
  jitter?: number
  random?: () => number
  log?: (msg: string) => void
}

type ManualOutcome = ManualRestartResultT['containers'][number]

/** "restart refused: a Save & Restart run is in flight (alice). Wait for it to finish." */
export function refusalText(b: Blocker): string {
  return `restart refused: ${b.reason}.${b.advice ? ` ${b.advice}` : ''}`
}

/**
 * Keeps each supervised service in its desired state: every `intervalMs` it lists the service's
 * containers, judges them (exited, Docker-unhealthy, stale heartbeat while running) and restarts the
 * sick ones with backoff (healer.ts), giving up after `maxFailedRestarts` consecutive failed restarts.
 *
 * It never fights the trader: nothing is acted on while a guard blocks (killswitch, Save & Restart,
 * stack paused), paused containers are never touched, and an unknown heartbeat is never a reason.
 */
export class Supervisor {
  private readonly rts = new Map<string, Runtime>()
  private readonly store: BackoffStore
  private readonly clock: Clock
  private readonly announcer: Announcer
  private readonly healer: Healer
  private readonly pending = new Set<Promise<unknown>>()
  private readonly log: (msg: string) => void
  private running = false
  private fingerprint = ''

  constructor(private readonly o: SupervisorOptions) {
    this.clock = o.clock ?? backgroundClock
    this.log = o.log ?? ((m) => console.warn(m))
    this.store = new BackoffStore(o.statePath, this.log)
    this.announcer = new Announcer(o.sinks ?? {}, this.log)
    this.healer = new Healer({
      stack: o.stack,
      store: this.store,
      clock: this.clock,
      announcer: this.announcer,
      actionTimeoutMs: o.actionTimeoutMs ?? 15_000,
      jitter: o.jitter ?? DEFAULT_JITTER,
      random: o.random ?? Math.random,
      guardReason: () => this.guardReason(),
      changed: () => this.publish(),
    })
    for (const opts of resolveServiceOptions(o.services)) this.rts.set(opts.name, newRuntime(opts))
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Loads the persisted backoff state (resuming any schedule in progress), then checks every service at once. */
  async start(): Promise<void> {
    if (this.running) return
    await this.store.load()
    for (const rt of this.rts.values()) {
      const rec = this.store.peekService(rt.opts.name)
      if (rec?.failed) rt.lastProblem = `gave up: ${rec.failedReason ?? 'too many failed restarts'}`
    }
    await this.noteInterrupted()
    this.running = true
    for (const rt of this.rts.values()) this.schedule(rt, 0)
  }

  async stop(): Promise<void> {
    this.running = false
    for (const rt of this.rts.values()) {
      if (rt.timer !== null) this.clock.clearTimer(rt.timer)
      rt.timer = null
    }
    await this.idle()
  }

  /** Resolves once no check, restart or state write is in flight. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
  }

  /** Check now (one service or all), e.g. right after a guard was released; resolves when done. */
  async checkNow(service?: string): Promise<void> {
    const rts = service === undefined ? [...this.rts.values()] : [this.runtime(service)]
    await Promise.all(rts.map((rt) => this.track(this.serial(rt, () => this.tick(rt)))))
  }

  /**
   * A restart still marked in flight when we start was begun by an earlier process that stopped or
   * crashed before seeing its outcome. Its intent is in the audit log; say there, once, that no
   * outcome followed. (The in-flight window itself is kept and waited out by the healer.)
   */
  private async noteInterrupted(): Promise<void> {
    const now = this.clock.now().getTime()
    const notes: Array<Promise<void>> = []
    for (const rt of this.rts.values()) {
      const svc = this.store.peekService(rt.opts.name)
      for (const [id, rec] of Object.entries(svc?.containers ?? {})) {
        if (rec.inFlightUntil === null || rec.interruptNoted) continue
        notes.push(
          bounded(
            this.clock,
            this.announcer.interrupted({
              at: new Date(now).toISOString(),
              service: rt.opts.name,
              container: { id, name: rec.name },
              startedAt: rec.lastRestartAt === null ? null : new Date(rec.lastRestartAt).toISOString(),
            }),
            INTENT_TIMEOUT_MS,
            'recording an interrupted restart',
          ).then(
            () => {
              rec.interruptNoted = true
            },
            (err: unknown) => this.log(`supervise: could not record the interrupted restart of ${rec.name}: ${errText(err)}`),
          ),
        )
      }
    }
    if (notes.length === 0) return
    await Promise.all(notes)
    await this.store.save().catch((err: unknown) => this.log(`supervise: state write failed: ${errText(err)}`))
  }

  /**
   * Re-applies the supervised services live: a new service is checked at once, a changed one gets
   * its new options and is checked at once, and a removed one stops being checked (a check or
   * restart in flight finishes; its loop is not re-armed). Backoff counters of a service that stays
   * are kept, so editing a service does not forgive a crash loop.
   */
  setServices(list: readonly SuperviseServiceOptions[]): void {
    const next = new Map(resolveServiceOptions(list).map((o) => [o.name, o]))
    for (const [name, rt] of this.rts) {
      if (next.has(name)) continue
      if (rt.timer !== null) this.clock.clearTimer(rt.timer)
      rt.timer = null
      this.rts.delete(name)
    }
    for (const [name, opts] of next) {
      const rt = this.rts.get(name)
      if (rt) rt.opts = opts
      else this.rts.set(name, newRuntime(opts))
      this.schedule(this.rts.get(name) as Runtime, 0)
    }
    this.publish()
  }

  // ---- status -------------------------------------------------------------------------------

  status(): SuperviseStatusT {
    const now = this.clock.now().getTime()
    return { at: new Date(now).toISOString(), services: [...this.rts.values()].map((rt) => this.view(rt, now)) }
  }

  serviceStatus(service: string): ServiceSupervisionT {
    return this.view(this.runtime(service), this.clock.now().getTime())
  }

  // ---- manual operations --------------------------------------------------------------------

  /** Clear the failed mark and every counter of a service, then check it at once. */
  async reset(service: string, _ctx: CallContext): Promise<ServiceSupervisionT> {
    const rt = this.runtime(service)
    return this.track(
      this.serial(rt, async () => {
        this.store.reset(service, this.clock.now().getTime())
        rt.lastProblem = null
        for (const s of rt.seen.values()) s.okSince = null
        await this.store.save()
        this.publish()
        this.schedule(rt, 0)
        return this.serviceStatus(service)
      }),
    )
  }

  /**
   * Restart a service's containers, or one container, now: no backoff wait, but never while a guard
   * blocks (CoreError 'conflict'), and never a paused container (reported 'skipped'). A failed
   * service stays failed until `reset`.
   */
  async restart(target: { service?: string; container?: string; reason?: string }, ctx: CallContext): Promise<ManualRestartResultT> {
    const reason = target.reason ? `manual restart: ${target.reason}` : 'manual restart'
    // The supervisor writes every audit record of a manual restart itself (it is not in the handler
    // wrapper's list): a refusal here, then per container the intent and the outcome, each with
    // the caller's who and door, so one restart is never recorded twice under two doors.
    const refuse: (err: CoreError) => never = (err) => {
      this.announcer.refused({
        at: this.clock.now().toISOString(),
        who: ctx.who,
        door: ctx.door,
        service: target.service ?? '(any supervised service)',
        container: target.container === undefined ? 'all' : { id: target.container, name: target.container },
        reason,
        why: err.message,
      })
      throw err
    }
    if (target.service === undefined && target.container === undefined) {
      refuse(new CoreError('invalid_input', 'give a service or a container to restart', { path: '/service' }))
    }
    if (target.service !== undefined && !this.rts.has(target.service)) {
      refuse(new CoreError('not_found', `no supervised service named ${JSON.stringify(target.service)}`, { path: '/service' }))
    }
    const scope = target.service === undefined ? [...this.rts.values()] : [this.runtime(target.service)]
    const blocked = this.guard()
    if (blocked !== null) refuse(new CoreError('conflict', refusalText(blocked)))
    const named = scope.map((rt) => ({ name: rt.opts.name, rt }))
    let picks: Array<{ scope: (typeof named)[number]; c: SupervisedContainer }>
    try {
      picks = await pickTargets(named, target, (s) =>
        bounded(this.clock, this.o.stack.containersOf(s.name), s.rt.opts.timeoutMs, `listing ${s.name}`),
      )
    } catch (err) {
      return refuse(err instanceof CoreError ? err : new CoreError('unavailable', errText(err), { cause: err }))
    }
    const results = await Promise.all(
      picks.map(({ scope: s, c }) => this.track(this.serial(s.rt, () => this.manualOne(s.rt, c, reason, ctx)))),
    )
    this.publish()
    return { at: this.clock.now().toISOString(), containers: results }
  }

  private async manualOne(rt: Runtime, c: SupervisedContainer, reason: string, ctx: CallContext): Promise<ManualOutcome> {
    const t0 = performance.now()
    const result = (outcome: ManualOutcome['outcome'], error?: string): ManualOutcome => ({
      service: rt.opts.name,
      id: c.id,
      name: c.name,
      outcome,
      ...(error !== undefined ? { error } : {}),
      ms: Math.round((performance.now() - t0) * 10) / 10,
    })
    const skip = (why: string): ManualOutcome => {
      this.announcer.refused({ at: this.clock.now().toISOString(), who: ctx.who, door: ctx.door, service: rt.opts.name, container: { id: c.id, name: c.name }, reason, why })
      return result('skipped', why)
    }
    // Re-checked in the service's queue: a guard may have closed while we waited our turn.
    const blocked = this.guardReason()
    if (blocked !== null) return skip(`blocked: ${blocked}`)
    if (c.state === 'paused') return skip('paused: resume it first')
    if (c.state === 'removing') return skip('being removed')
    const rec = this.store.container(rt.opts.name, c.id, c.name)
    if (rec.inFlightUntil !== null && rec.inFlightUntil > this.clock.now().getTime()) return skip('a restart is already in flight')
    try {
      const out = await this.healer.attempt(rt, c, rec, reason, ctx)
      if (out.skipped !== undefined) return result('skipped', out.skipped)
      return result(out.ok ? 'ok' : 'failed', out.error)
    } catch (err) {
      return result('failed', errText(err))
    }
  }

  // ---- the loop -----------------------------------------------------------------------------

  private runtime(service: string): Runtime {
    const rt = this.rts.get(service)
    if (!rt) throw new CoreError('not_found', `no supervised service named ${JSON.stringify(service)}`, { path: '/service' })
    return rt
  }

  private schedule(rt: Runtime, ms: number): void {
    // A service removed by setServices keeps no loop, even when its last check ends afterwards.
    if (!this.running || this.rts.get(rt.opts.name) !== rt) return
    if (rt.timer !== null) this.clock.clearTimer(rt.timer)
    rt.timer = this.clock.setTimer(() => {
      rt.timer = null
      void this.track(this.serial(rt, () => this.tick(rt)))
    }, ms)
  }

  /** One operation at a time per service: a check never interleaves with a manual restart or a reset. */
  private serial<T>(rt: Runtime, fn: () => Promise<T>): Promise<T> {
    const run = rt.chain.then(fn, fn)
    rt.chain = run.catch(() => undefined)
    return run
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p)
    const done = () => this.pending.delete(p)
    p.then(done, done)
    return p
  }

  private async tick(rt: Runtime): Promise<void> {
    try {
      await this.check(rt)
    } catch (err) {
      // A bug or a failed state write must not end supervision: log it and look again next interval.
      this.log(`supervise: check of ${rt.opts.name} failed: ${errText(err)}`)
    } finally {
      this.publish()
      const now = this.clock.now().getTime()
      this.schedule(rt, this.healer.nextCheckAt(rt, now) - now)
    }
  }

  private async check(rt: Runtime): Promise<void> {
    const o = rt.opts
    rt.blockedBy = this.guardReason()
    let observed: { containers: SupervisedContainer[]; heartbeats: HeartbeatVerdict[] }
    try {
      observed = await bounded(this.clock, this.observe(o.name), o.timeoutMs, `check of ${o.name}`)
    } catch (err) {
      // Not knowing is not a reason to act: report it (as unknown, never as "no containers") and
      // look again next interval.
      const now = this.clock.now().getTime()
      rt.checkError = errText(err)
      rt.unknownSince ??= now
      rt.lastCheckAt = now
      if (this.store.peekService(o.name)?.failed !== true) rt.lastProblem = `check failed: ${rt.checkError}`
      return
    }
    const now = this.clock.now().getTime()
    rt.checkError = null
    rt.unknownSince = null
    rt.lastCheckAt = now
    rt.containers = observed.containers
    this.trackLiveness(rt, now)
    this.judge(rt, observed.heartbeats, now)
    const problem = currentProblem({ opts: o, containers: rt.containers, checks: rt.checks, checkError: null })
    // What is wrong now: cleared once a check finds nothing wrong, so a recovered service does not
    // keep showing an old problem. A failed service keeps its give-up reason until reset.
    if (this.store.peekService(o.name)?.failed !== true) rt.lastProblem = problem
    if (o.autoHeal) await this.healer.heal(rt, now)
  }

  private async observe(service: string): Promise<{ containers: SupervisedContainer[]; heartbeats: HeartbeatVerdict[] }> {
    const containers = await this.o.stack.containersOf(service)
    const heartbeats = await Promise.all(containers.map((c) => this.heartbeatOf(c)))
    return { containers, heartbeats }
  }

  private async heartbeatOf(c: SupervisedContainer): Promise<HeartbeatVerdict> {
    if (!this.o.heartbeats) return 'unknown'
    try {
      const v = await this.o.heartbeats.isStale(c)
      return v === 'fresh' || v === 'stale' ? v : 'unknown'
    } catch {
      return 'unknown'
    }
  }

  private trackLiveness(rt: Runtime, now: number): void {
    const ids = new Set<string>()
    for (const c of rt.containers) {
      ids.add(c.id)
      const s = rt.seen.get(c.id) ?? { runningSince: null, okSince: null }
      if (c.state === 'running') s.runningSince ??= now
      else s.runningSince = null
      rt.seen.set(c.id, s)
    }
    for (const id of rt.seen.keys()) if (!ids.has(id)) rt.seen.delete(id)
  }

  private judge(rt: Runtime, heartbeats: HeartbeatVerdict[], now: number): void {
    const o = rt.opts
    const toStart = exitedToHeal(rt.containers, o.desired)
    rt.checks = new Map()
    rt.containers.forEach((c, i) => {
      const since = rt.seen.get(c.id)?.runningSince ?? null
      const heartbeat = heartbeats[i] ?? 'unknown'
      const diagnosis = diagnose({
        container: c,
        heartbeat,
        source: o.healthSource,
        judgeHeartbeat: since !== null && now - since >= o.heartbeatGraceMs,
      })
      const healable = diagnosis.kind === 'problem' && (diagnosis.problem !== 'exited' || toStart.has(c.id))
      rt.checks.set(c.id, { diagnosis, heartbeat, healable })
    })
  }

  // ---- helpers ------------------------------------------------------------------------------

  private guard(): Blocker | null {
    if (!this.o.guards) return null
    try {
      const b = this.o.guards.blockedReason()
      return typeof b === 'string' ? { reason: b } : b
    } catch (err) {
      // Cannot tell whether the killswitch is engaged: the safe answer is to hold off.
      return { reason: `guard check failed: ${errText(err)}`, advice: 'Try again once the guard can be checked.' }
    }
  }

  private guardReason(): string | null {
    return this.guard()?.reason ?? null
  }

  private view(rt: Runtime, now: number): ServiceSupervisionT {
    return buildServiceStatus({
      opts: rt.opts,
      record: this.store.peekService(rt.opts.name),
      containers: rt.containers,
      checks: rt.checks,
      lastCheckAt: rt.lastCheckAt,
      lastProblem: rt.lastProblem,
      checkError: rt.checkError,
      unknownSince: rt.unknownSince,
      blockedBy: rt.blockedBy,
      now,
    })
  }

  /** Emit `supervise.changed` when anything but the check time moved. */
  private publish(): void {
    const status = this.status()
    const fp = JSON.stringify(status.services.map(({ lastCheckAt: _t, ...rest }) => rest))
    if (fp === this.fingerprint) return
    this.fingerprint = fp
    this.o.events?.emit('supervise.changed', status)
  }
}
