/**
 * Time as the scheduler sees it. `now()` is the wall clock (it can jump: NTP steps, suspend/resume);
 * timers run on a monotonic clock, as Node's do. The scheduler never trusts a timer to have fired "on
 * time": it re-reads `now()` on every wake.
 */
export type TimerHandle = unknown

export interface Clock {
  now(): Date
  /** Call `fn` after `ms` (monotonic). `fn` may return a promise; only FakeClock awaits it. */
  setTimer(fn: () => void | Promise<void>, ms: number): TimerHandle
  clearTimer(handle: TimerHandle): void
}

export const systemClock: Clock = {
  now: () => new Date(),
  setTimer: (fn, ms) =>
    setTimeout(() => {
      void fn()
    }, ms),
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

interface FakeTimer {
  id: number
  due: number
  fn: () => void | Promise<void>
}

/**
 * A deterministic clock for tests. `advance` moves both clocks and fires due timers in order (awaiting
 * each callback's promise before looking for the next, so a callback may arm a timer that is also due).
 * `jump` moves only the wall clock, like a laptop resuming from sleep or an NTP step: pending timers
 * fire at their monotonic due time, late by the jump.
 */
export class FakeClock implements Clock {
  private mono = 0
  private wallOffset: number
  private seq = 0
  private timers: FakeTimer[] = []

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
    }
    this.mono = target
  }

  /** Advance until the wall clock reads `date`. */
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
    for (const t of this.timers)
      if (!best || t.due < best.due || (t.due === best.due && t.id < best.id)) best = t
    return best
  }
}
