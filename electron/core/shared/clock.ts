/**
 * Time as the core sees it, injected so tests run on a fake one (the scheduler, supervision).
 * `now()` is the wall clock: it can jump (NTP steps, suspend/resume), and it is what gets persisted
 * (backoff times are epoch ms, `now().getTime()`, so they mean the same after a restart). Timers run
 * on a monotonic clock, as Node's do; nobody should trust a timer to have fired "on time", so a
 * woken caller re-reads `now()`.
 */

/** Whatever the clock hands out to cancel a timer (a Node Timeout, a fake id). */
export type TimerHandle = object | number

export interface Clock {
  now(): Date
  /** Call `fn` after `ms` (monotonic). `fn` may return a promise; only FakeClock awaits it. */
  setTimer(fn: () => void | Promise<void>, ms: number): TimerHandle
  clearTimer(handle: TimerHandle): void
}

const realTimer = (unref: boolean) => (fn: () => void | Promise<void>, ms: number) => {
  const t = setTimeout(() => {
    void fn()
  }, Math.max(0, ms))
  if (unref) t.unref?.()
  return t
}

/** The real clock; its timers keep the process alive, as Node's own do (the scheduler's). */
export const systemClock: Clock = {
  now: () => new Date(),
  setTimer: realTimer(false),
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

/** The real clock with unref'd timers: for work (supervision) that alone must not keep a process alive. */
export const backgroundClock: Clock = {
  ...systemClock,
  setTimer: realTimer(true),
}

interface FakeTimer {
  id: number
  due: number
  fn: () => void | Promise<void>
}

/**
 * A clock that only moves when told to. `advance` moves both clocks and fires due timers in order of
 * due time (then of arming), setting the time to each timer's due time, awaiting the callback's
 * promise and then `settle` (e.g. the supervisor's `idle()`) before looking for the next, so async
 * work started by a timer, and the timers it arms, are accounted for before time moves on.
 * `jump` moves only the wall clock, like a laptop resuming from sleep or an NTP step: pending
 * timers fire at their monotonic due time, late by the jump.
 */
export class FakeClock implements Clock {
  private mono = 0
  private wallOffset: number
  private seq = 0
  private timers: FakeTimer[] = []
  /** Awaited after each timer fires; the default waits for nothing. */
  settle: () => Promise<void> = async () => undefined

  constructor(start: Date | number | string) {
    this.wallOffset = new Date(start).getTime()
  }

  now(): Date {
    return new Date(this.mono + this.wallOffset)
  }

  setTimer(fn: () => void | Promise<void>, ms: number): TimerHandle {
    const t: FakeTimer = { id: ++this.seq, due: this.mono + Math.max(0, ms), fn }
    this.timers.push(t)
    return t.id
  }

  clearTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle)
  }

  /** Number of armed timers. */
  get pending(): number {
    return this.timers.length
  }

  /** Milliseconds until the earliest timer, or null. */
  nextTimerIn(): number | null {
    const t = this.earliest()
    return t ? t.due - this.mono : null
  }

  /** Move time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.mono + Math.max(0, ms)
    for (;;) {
      const t = this.earliest()
      if (!t || t.due > target) break
      this.timers = this.timers.filter((x) => x !== t)
      this.mono = Math.max(this.mono, t.due)
      await t.fn()
      await this.settle()
    }
    // Never backwards: an advance still settling (a test's un-awaited `advance(0)`) may finish after
    // a later advance moved time on, and time must not jump back under the caller's feet.
    this.mono = Math.max(this.mono, target)
  }

  /** Advance until the wall clock reads `date` (never backwards). */
  async advanceTo(date: Date | number | string): Promise<void> {
    await this.advance(new Date(date).getTime() - this.now().getTime())
  }

  /** Move the wall clock only (sleep/resume or a clock step); fires nothing. */
  jump(ms: number): void {
    this.wallOffset += ms
  }

  /** Set the wall clock to `date` without firing timers. */
  setWall(date: Date | number | string): void {
    this.wallOffset = new Date(date).getTime() - this.mono
  }

  private earliest(): FakeTimer | undefined {
    let best: FakeTimer | undefined
    for (const t of this.timers) if (!best || t.due < best.due || (t.due === best.due && t.id < best.id)) best = t
    return best
  }
}
