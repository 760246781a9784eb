import type { Clock, TimerHandle } from '../shared/clock'
import {
  MemoryOverrideStore,
  type OverrideRecord,
  type OverrideStore,
  type OverrideUntil,
} from './override-store'
import type { ScheduleRules } from './schedule-rules'
import type { FlagState, TradingFlag } from './trading-flag'
import { nextTransitions, tradingState, type Transition, type WindowState } from './trading-window'

/**
 * Drives the trading flag from the rules. It never keeps a list of pending transitions: every wake
 * recomputes the desired state from (rules, override, now) and writes the flag only when that differs
 * from what it last asserted. Timers are capped (default 60 s) so a suspend/resume or a clock step is
 * noticed within one cap, and a transition missed while asleep is not replayed: only the net state
 * change is written.
 */

export type Trigger = 'startup' | 'timer' | 'override' | 'refresh' | 'resync'
export type StateSource = 'schedule' | 'override' | 'none'

export interface ScheduleTransitionEvent {
  /** ISO instant the flag was written. */
  at: string
  kind: 'start' | 'stop'
  enabled: boolean
  source: 'schedule' | 'override'
  /** The next scheduled transition after this one, if any. */
  next: TransitionView | null
  reason: string
  trigger: Trigger
  who: string
  version: number | null
}

export interface TransitionView {
  at: string
  kind: 'start' | 'stop'
  local: string
  zone: string
  note?: string
  scheduled?: string
}

export interface SchedulerStatus {
  running: boolean
  rules: ScheduleRules | null
  /** What the flag should be now; null with no rules and no override (the flag is left alone). */
  desired: boolean | null
  source: StateSource
  window: WindowState | null
  override: OverrideRecord | null
  next: TransitionView | null
  lastAsserted: boolean | null
  lastFlag: FlagState | null
  /** Why enabling is being held back (e.g. the killswitch is engaged). */
  vetoed: string | null
  lastError: string | null
  checkedAt: string | null
}

export interface SchedulerOptions {
  clock: Clock
  /** Current rules, or null when none are configured (or they are invalid). */
  getRules: () => ScheduleRules | null
  flag: TradingFlag
  onTransition?: (event: ScheduleTransitionEvent) => void
  overrides?: OverrideStore
  /** Longest single timer. */
  maxTimerMs?: number
  /** Wait before retrying a failed flag write. */
  retryMs?: number
  /** Identity written to the flag for scheduled changes. */
  who?: string
  /**
   * Return a reason to refuse turning trading ON (killswitch engaged or latched, or its state not
   * known); OFF is never refused. Gets the window so a "resume at the next start" latch can tell a
   * window that opened after the release from the one it was released in.
   */
  vetoEnable?: (ctx: { window: WindowState | null; source: StateSource }) => Promise<string | null> | string | null
  onError?: (err: unknown, during: string) => void
}

export const toView = (t: Transition): TransitionView => {
  const v: TransitionView = { at: t.at.toISOString(), kind: t.kind, local: t.local, zone: t.zone }
  if (t.note) v.note = t.note
  if (t.scheduled) v.scheduled = t.scheduled
  return v
}

const isExpired = (ov: OverrideRecord, now: Date) =>
  ov.until === 'next-transition' && ov.expiresAt !== null && now.getTime() >= Date.parse(ov.expiresAt)

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e))

export class Scheduler {
  private readonly clock: Clock
  private readonly store: OverrideStore
  private readonly maxTimerMs: number
  private readonly retryMs: number
  private readonly who: string
  private running = false
  private timer: { handle: TimerHandle } | null = null
  private chain: Promise<unknown> = Promise.resolve()
  private overrideRec: OverrideRecord | null = null
  private lastAsserted: boolean | null = null
  private needsResync = true
  private st: SchedulerStatus

  constructor(private readonly opts: SchedulerOptions) {
    this.clock = opts.clock
    this.store = opts.overrides ?? new MemoryOverrideStore()
    this.maxTimerMs = opts.maxTimerMs ?? 60_000
    this.retryMs = opts.retryMs ?? 5_000
    this.who = opts.who ?? 'schedule'
    this.st = {
      running: false,
      rules: null,
      desired: null,
      source: 'none',
      window: null,
      override: null,
      next: null,
      lastAsserted: null,
      lastFlag: null,
      vetoed: null,
      lastError: null,
      checkedAt: null,
    }
  }

  /** Load a persisted override, bring the flag in line at once (mid-window = enabled) and arm the timer. */
  start(): Promise<void> {
    return this.serial(async () => {
      if (this.running) return
      this.running = true
      try {
        this.overrideRec = await this.store.get()
      } catch (err) {
        this.fail(err, 'loading the override')
      }
      this.needsResync = true
      await this.evaluate('startup')
    })
  }

  stop(): void {
    this.running = false
    if (this.timer !== null) this.clock.clearTimer(this.timer.handle)
    this.timer = null
    this.st.running = false
  }

  /**
   * Recompute now (rules changed, trading resumed, ...). Re-reads the flag first, so a state someone
   * else wrote is brought back in line with the schedule, unless `vetoEnable` objects: a killswitch
   * release is NOT a reason to call this (it stays latched; see vetoEnable).
   */
  refresh(): Promise<void> {
    return this.serial(async () => {
      this.needsResync = true
      await this.evaluate('refresh')
    })
  }

  /** Same as refresh; the trigger reads 'resync' in events (after a reconnect). */
  resync(): Promise<void> {
    return this.serial(async () => {
      this.needsResync = true
      await this.evaluate('resync')
    })
  }

  /**
   * Force trading on or off. `next-transition`: until the next scheduled transition (computed now and
   * stored, so a restart keeps the same end); `cleared`: until clearOverride.
   */
  override(
    req: { value: boolean; until: OverrideUntil; why?: string },
    who: string,
  ): Promise<SchedulerStatus> {
    return this.serial(async () => {
      const now = this.clock.now()
      const rules = this.rules()
      const next = rules ? nextTransitions(rules, now, 1)[0] : undefined
      const rec: OverrideRecord = {
        value: req.value,
        until: req.until,
        who,
        at: now.toISOString(),
        expiresAt: req.until === 'next-transition' && next ? next.at.toISOString() : null,
      }
      if (req.why) rec.why = req.why
      await this.store.set(rec)
      this.overrideRec = rec
      await this.evaluate('override', who)
      return this.status()
    })
  }

  clearOverride(who: string): Promise<SchedulerStatus> {
    return this.serial(async () => {
      if (this.overrideRec !== null) {
        await this.store.set(null)
        this.overrideRec = null
      }
      await this.evaluate('override', who)
      return this.status()
    })
  }

  /** State as of the last wake. */
  status(): SchedulerStatus {
    return { ...this.st, running: this.running, override: this.overrideRec, lastAsserted: this.lastAsserted }
  }

  /** State recomputed for `now` (default: the clock) without touching the flag; for display. */
  describe(now: Date = this.clock.now()): SchedulerStatus {
    const rules = this.rules()
    const ov = this.overrideRec
    const expired = ov !== null && isExpired(ov, now)
    const { window, next, desired, source } = this.compute(rules, now, expired ? null : ov)
    return {
      ...this.status(),
      rules,
      window,
      next,
      desired,
      source,
      override: expired ? null : ov,
      checkedAt: now.toISOString(),
    }
  }

  private compute(rules: ScheduleRules | null, now: Date, ov: OverrideRecord | null = this.overrideRec) {
    const ts = rules ? tradingState(rules, now) : null
    const window = ts?.state ?? null
    const nextTr = ts?.next ?? null
    const next = nextTr ? toView(nextTr) : null
    const desired = ov ? ov.value : window ? window.enabled : null
    const source: StateSource = ov ? 'override' : window ? 'schedule' : 'none'
    return { window, nextTr, next, desired, source }
  }

  /** Run `fn` after every earlier operation: flag writes never interleave. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn)
    this.chain = p.catch(() => undefined)
    return p
  }

  private rules(): ScheduleRules | null {
    try {
      return this.opts.getRules()
    } catch (err) {
      this.fail(err, 'reading the rules')
      return null
    }
  }

  private fail(err: unknown, during: string): void {
    this.st.lastError = `${during}: ${errText(err)}`
    this.opts.onError?.(err, during)
  }

  /** `actor`: who caused this evaluation (an override being set or cleared); credited with the write. */
  private async evaluate(trigger: Trigger, actor?: string): Promise<void> {
    if (!this.running) return
    const now = this.clock.now()
    const rules = this.rules()
    let failed = false

    const ov = this.overrideRec
    if (ov && isExpired(ov, now)) {
      try {
        await this.store.set(null)
        this.overrideRec = null
      } catch (err) {
        // Expiry is a pure function of the record, so keep going: the override is ignored either way.
        this.fail(err, 'clearing an expired override')
        this.overrideRec = null
      }
    }

    const { window, nextTr, next, desired, source } = this.compute(rules, now)
    const active = this.overrideRec
    Object.assign(this.st, { rules, window, next, desired, source, checkedAt: now.toISOString() })

    if (desired !== null) {
      try {
        let current = this.lastAsserted
        if (this.needsResync) {
          const stored = await this.opts.flag.get()
          current = stored?.value ?? null
          if (stored) this.st.lastFlag = stored
        }
        const veto =
          desired && current !== true && this.opts.vetoEnable ? await this.opts.vetoEnable({ window, source }) : null
        this.st.vetoed = veto
        if (veto) {
          // Leave lastAsserted alone so a later wake tries again once the veto lifts.
          this.needsResync = true
        } else if (desired !== current) {
          const reason = active
            ? `override by ${active.who}${active.why ? `: ${active.why}` : ''}`
            : (window?.reason ?? 'schedule')
          const who = actor ?? (active ? active.who : this.who)
          const written = await this.opts.flag.set(desired, {
            who,
            why: reason,
            source: active ? 'override' : 'schedule',
          })
          this.lastAsserted = desired
          this.needsResync = false
          this.st.lastFlag = written
          this.st.lastError = null
          this.emit({
            at: now.toISOString(),
            kind: desired ? 'start' : 'stop',
            enabled: desired,
            source: active ? 'override' : 'schedule',
            next,
            reason,
            trigger,
            who,
            version: written.version,
          })
        } else {
          this.lastAsserted = desired
          this.needsResync = false
        }
      } catch (err) {
        failed = true
        this.needsResync = true
        this.fail(err, 'writing trading_enabled')
      }
    }
    this.arm(now.getTime(), nextTr?.at.getTime() ?? null, failed || this.st.vetoed !== null)
  }

  private emit(ev: ScheduleTransitionEvent): void {
    try {
      this.opts.onTransition?.(ev)
    } catch (err) {
      this.fail(err, 'announcing a transition')
    }
  }

  private arm(now: number, nextAt: number | null, retry: boolean): void {
    if (!this.running) return
    if (this.timer !== null) this.clock.clearTimer(this.timer.handle)
    let due = nextAt
    const exp = this.overrideRec?.expiresAt
    if (exp) {
      const e = Date.parse(exp)
      if (due === null || e < due) due = e
    }
    let ms = due === null ? this.maxTimerMs : Math.min(this.maxTimerMs, Math.max(1, due - now))
    if (retry) ms = Math.min(ms, this.retryMs)
    // The slot's identity tells this timer from a later one; its handle is set before anyone reads it.
    const slot: { handle: TimerHandle } = { handle: 0 }
    slot.handle = this.clock.setTimer(() => {
      if (this.timer === slot) this.timer = null
      return this.serial(() => this.evaluate('timer'))
    }, ms)
    this.timer = slot
  }
}
