import type { CallContext, Door } from '../api/call-context'
import type { Announcer } from './announcer'
import { backoffDelay } from './backoff'
import type { BackoffStore, ContainerBackoff } from './backoff-store'
import type { ResolvedServiceOptions } from './options'
import type { Clock } from '../shared/clock'
import type { StartOutcome, SupervisedContainer, SupervisedStack } from './ports'
import { bounded, errText, type Runtime } from './runtime'

export interface HealerDeps {
  stack: SupervisedStack
  store: BackoffStore
  clock: Clock
  announcer: Announcer
  /** Budget for one restart/start call and its confirm, on top of stopTimeoutS. */
  actionTimeoutMs: number
  jitter: number
  random: () => number
  guardReason: () => string | null
  /** Something visible changed. */
  changed: () => void
}

/** Longest wait for the audit log to take a restart's intent before giving up on that restart. */
export const INTENT_TIMEOUT_MS = 5_000

/**
 * The restart policy. A restart "fails" when the call fails or the container is not running
 * afterwards, or when the container shows a problem again before it has been healthy for
 * `healthyGraceMs` after the restart. Each failure doubles the wait before the next restart
 * (see backoff.ts); `maxFailedRestarts` consecutive failures mark the service failed until reset.
 */
export class Healer {
  constructor(private readonly d: HealerDeps) {}

  /** Verdicts on earlier restarts, give-ups, and the restarts that are due now. Caller holds the service's queue. */
  async heal(rt: Runtime, now: number): Promise<void> {
    const { store } = this.d
    const o = rt.opts
    let dirty = store.prune(o.name, new Set(rt.containers.map((c) => c.id)))
    const due: Array<{ c: SupervisedContainer; rec: ContainerBackoff; reason: string }> = []
    const holdOff = store.peekService(o.name)?.failed === true || rt.blockedBy !== null
    for (const c of holdOff ? [] : rt.containers) {
      const check = rt.checks.get(c.id)
      const seen = rt.seen.get(c.id)
      if (!check || !seen) continue
      let rec = store.peekContainer(o.name, c.id)
      if (rec && this.clampTimes(rec, now, o)) dirty = true
      if (rec && rec.inFlightUntil !== null) {
        if (now < rec.inFlightUntil) continue
        // A previous process died during this restart (Supervisor.start recorded that in the audit
        // log): judge it like any other restart.
        rec.inFlightUntil = null
        rec.interruptNoted = false
        rec.awaitingVerdict = true
        dirty = true
      }
      const d = check.diagnosis
      if (d.kind === 'ok') {
        if (rec && (rec.awaitingVerdict || rec.consecutiveFailures > 0)) {
          seen.okSince ??= now
          if (now - seen.okSince >= o.healthyGraceMs) {
            rec.awaitingVerdict = false
            rec.consecutiveFailures = 0
            rec.nextAttemptAt = null
            dirty = true
          }
        }
        continue
      }
      seen.okSince = null
      if (!check.healable || d.kind !== 'problem') continue
      rec ??= store.container(o.name, c.id, c.name)
      if (rec.awaitingVerdict) {
        // Sick again before it had been healthy for the grace period: that restart failed.
        rec.awaitingVerdict = false
        this.countFailure(rec, now, o)
        dirty = true
      }
      if (rec.consecutiveFailures >= o.maxFailedRestarts) {
        this.markFailed(rt, c, rec, d.note, now)
        dirty = true
        due.length = 0
        break
      }
      if (rec.nextAttemptAt !== null && now < rec.nextAttemptAt) continue
      due.push({ c, rec, reason: d.note })
    }
    // While held off, health must be proven afresh once the hold ends. After a guard (killswitch,
    // Save & Restart, stack pause) the agents also get a new heartbeat grace: they may have been
    // frozen between two checks without us ever seeing them paused.
    if (holdOff) for (const s of rt.seen.values()) s.okSince = null
    if (rt.blockedBy !== null) for (const s of rt.seen.values()) s.runningSince = null
    if (dirty) await store.save()
    await Promise.all(due.map(({ c, rec, reason }) => this.attempt(rt, c, rec, reason, null)))
  }

  /**
   * Restart (running) or start (stopped) one container. `manual`: the caller's context for a manual
   * restart (it skips the last-moment guard check, which the caller made). Before the engine is
   * touched, two things are on disk: the in-flight window in the backoff state (a Stackdeck that dies
   * mid-call comes back knowing a restart may be under way, and waits it out) and the intent in the
   * audit log (the evidence says what was being done even if no outcome ever follows). A restart
   * whose intent cannot be recorded is not made.
   */
  async attempt(rt: Runtime, c: SupervisedContainer, rec: ContainerBackoff, reason: string, manual: CallContext | null): Promise<StartOutcome> {
    const { store, clock, announcer } = this.d
    const o = rt.opts
    if (!manual) {
      // The guard may have closed while this check ran (killswitch at the worst moment).
      const blocked = this.d.guardReason()
      if (blocked !== null) {
        rt.blockedBy = blocked
        return { ok: false, error: `blocked: ${blocked}` }
      }
    }
    const who = manual?.who ?? 'supervisor'
    const door = manual?.door ?? 'supervisor'
    const t0 = clock.now().getTime()
    const attemptNo = rec.consecutiveFailures + 1
    const svc = store.service(o.name)
    const verb = c.state === 'running' || c.state === 'restarting' ? 'restart' : 'start'
    const stopTimeoutS = verb === 'restart' ? o.stopTimeoutS : undefined
    const named = { id: c.id, name: c.name }
    rec.lastRestartAt = t0
    rec.inFlightUntil = t0 + this.budget(o)
    rec.interruptNoted = false
    rec.nextAttemptAt = null
    rec.restarts++
    svc.restarts++
    await store.save()

    let out: StartOutcome
    try {
      await bounded(
        clock,
        announcer.intent({ at: new Date(t0).toISOString(), service: o.name, container: named, reason, verb, ...(stopTimeoutS !== undefined ? { stopTimeoutS } : {}), attempt: attemptNo, who, door }),
        INTENT_TIMEOUT_MS,
        'recording the intent in the audit log',
      )
    } catch (err) {
      // Nothing was done, so nothing is counted as a restart; it is a failed attempt all the same
      // (backoff, and in the end *failed*), so a broken audit log cannot go unnoticed.
      rec.restarts--
      svc.restarts--
      out = { ok: false, error: `not ${verb === 'restart' ? 'restarted' : 'started'}: could not record the intent in the audit log (${errText(err)})` }
      return this.settle(rt, c, rec, reason, { out, verb, stopTimeoutS, attemptNo, who, door, t0, touched: false })
    }

    const t1 = clock.now().getTime()
    if (t1 > t0) {
      // The engine call starts only now: its in-flight window must run from here.
      rec.inFlightUntil = t1 + this.budget(o)
      await store.save()
    }
    try {
      const call = verb === 'restart' ? this.d.stack.restart(c, { stopTimeoutS: o.stopTimeoutS }) : this.d.stack.start(c)
      out = await bounded(clock, call, this.budget(o), `${verb} of ${c.name}`)
    } catch (err) {
      out = { ok: false, error: errText(err) }
    }
    if (out.skipped !== undefined) {
      // Frozen by someone else between the check and the call: left alone, and not a restart.
      rec.inFlightUntil = null
      rec.restarts--
      svc.restarts--
      const seen = rt.seen.get(c.id)
      if (seen) seen.runningSince = null
      announcer.refused({ at: clock.now().toISOString(), who, door, service: o.name, container: named, reason, why: out.skipped })
      await store.save()
      this.d.changed()
      return out
    }
    return this.settle(rt, c, rec, reason, { out, verb, stopTimeoutS, attemptNo, who, door, t0, touched: true })
  }

  private async settle(
    rt: Runtime,
    c: SupervisedContainer,
    rec: ContainerBackoff,
    reason: string,
    a: { out: StartOutcome; verb: 'restart' | 'start'; stopTimeoutS: number | undefined; attemptNo: number; who: string; door: Door; t0: number; touched: boolean },
  ): Promise<StartOutcome> {
    const { store, clock } = this.d
    const o = rt.opts
    const { out } = a
    const now = clock.now().getTime()
    rec.inFlightUntil = null
    const seen = rt.seen.get(c.id)
    if (seen && a.touched) {
      // A new process: its heartbeat gets a fresh start-up grace, and health must be proven anew.
      seen.runningSince = out.ok ? now : null
      seen.okSince = null
    }
    if (o.autoHeal) {
      rec.awaitingVerdict = out.ok
      if (!out.ok) this.countFailure(rec, now, o)
    }
    const error = out.ok ? undefined : (out.error ?? 'not running afterwards')
    this.d.announcer.restarted({
      at: new Date(now).toISOString(),
      service: o.name,
      container: { id: c.id, name: c.name },
      reason,
      outcome: out.ok ? 'ok' : 'failed',
      ...(error !== undefined ? { error } : {}),
      attempt: a.attemptNo,
      restarts: rec.restarts,
      verb: a.verb,
      ...(a.stopTimeoutS !== undefined ? { stopTimeoutS: a.stopTimeoutS } : {}),
      ms: now - a.t0,
      who: a.who,
      door: a.door,
    })
    if (o.autoHeal && !out.ok && rec.consecutiveFailures >= o.maxFailedRestarts) {
      this.markFailed(rt, c, rec, `${reason}; ${a.verb} failed: ${error}`, now)
    }
    await store.save()
    this.d.changed()
    return out
  }

  /** Next check time for the service: the interval, or sooner when a backoff ends, an in-flight window closes or a grace is up. */
  nextCheckAt(rt: Runtime, now: number): number {
    const o = rt.opts
    let next = now + o.intervalMs
    const svc = this.d.store.peekService(o.name)
    if (!o.autoHeal || !svc || svc.failed || rt.blockedBy !== null) return next
    for (const c of rt.containers) {
      const rec = svc.containers[c.id]
      if (!rec) continue
      const okSince = rt.seen.get(c.id)?.okSince ?? null
      const verdictAt = okSince !== null && (rec.awaitingVerdict || rec.consecutiveFailures > 0) ? okSince + o.healthyGraceMs : null
      for (const t of [rec.nextAttemptAt, rec.inFlightUntil, verdictAt]) {
        if (t !== null && t > now && t < next) next = t
      }
    }
    return next
  }

  /** The engine call and its confirm: the stop timeout the engine waits out, plus the action budget. */
  budget(o: ResolvedServiceOptions): number {
    return o.stopTimeoutS * 1000 + this.d.actionTimeoutMs
  }

  private countFailure(rec: ContainerBackoff, now: number, o: ResolvedServiceOptions): void {
    rec.consecutiveFailures++
    const policy = { baseMs: o.backoffBaseMs, maxMs: o.backoffMaxMs, jitter: this.d.jitter }
    rec.nextAttemptAt = now + backoffDelay(rec.consecutiveFailures, policy, this.d.random)
  }

  private markFailed(rt: Runtime, c: SupervisedContainer, rec: ContainerBackoff, reason: string, now: number): void {
    const svc = this.d.store.service(rt.opts.name)
    if (svc.failed) return
    svc.failed = true
    svc.failedAt = now
    svc.failedReason = `${c.name}: ${reason}`
    rt.lastProblem = `gave up after ${rec.consecutiveFailures} consecutive failed restarts: ${c.name}: ${reason}`
    this.d.announcer.failed({
      at: new Date(now).toISOString(),
      service: rt.opts.name,
      container: { id: c.id, name: c.name },
      reason,
      consecutiveFailures: rec.consecutiveFailures,
      maxFailedRestarts: rt.opts.maxFailedRestarts,
    })
  }

  /**
   * A wall clock set back (or a state file from a run with longer settings) must not freeze a
   * container for hours: no wait is ever longer than the settings allow from now.
   */
  private clampTimes(rec: ContainerBackoff, now: number, o: ResolvedServiceOptions): boolean {
    let changed = false
    if (rec.nextAttemptAt !== null && rec.nextAttemptAt > now + o.backoffMaxMs) {
      rec.nextAttemptAt = now + o.backoffMaxMs
      changed = true
    }
    const budget = this.budget(o)
    if (rec.inFlightUntil !== null && rec.inFlightUntil > now + budget) {
      rec.inFlightUntil = now + budget
      changed = true
    }
    return changed
  }
}
