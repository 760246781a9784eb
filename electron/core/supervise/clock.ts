import type { Clock, TimerHandle } from './ports'

/** The real clock. Timers are unref'd: supervision alone must not keep a process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms))
    t.unref?.()
    return t
  },
  clearTimer(handle) {
    clearTimeout(handle as NodeJS.Timeout)
  },
}

interface FakeTimer {
  id: number
  due: number
  fn: () => void
}

/**
 * A clock that only moves when told to. `advance` fires due timers in time order, setting `now` to
 * each timer's due time, and after each one awaits `settle` (e.g. the supervisor's `idle()`), so
 * async work started by a timer, and the timers it arms, are accounted for before time moves on.
 */
export class FakeClock implements Clock {
  private t: number
  private seq = 0
  private readonly timers = new Map<number, FakeTimer>()
  settle: () => Promise<void> = async () => undefined

  constructor(start: number | string = '2025-01-06T03:00:00Z') {
    this.t = typeof start === 'number' ? start : Date.parse(start)
  }

  now(): number {
    return this.t
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq
    this.timers.set(id, { id, due: this.t + Math.max(0, ms), fn })
    return id
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle as number)
  }

  get pending(): number {
    return this.timers.size
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const until = this.t + ms
    for (;;) {
      const next = [...this.timers.values()].filter((x) => x.due <= until).sort((a, b) => a.due - b.due || a.id - b.id)[0]
      if (!next) break
      this.timers.delete(next.id)
      this.t = Math.max(this.t, next.due)
      next.fn()
      await this.settle()
    }
    // Never backwards: an advance still settling (a test's un-awaited `advance(0)`) may finish after
    // a later advance moved time on, and time must not jump back under the supervisor's feet.
    this.t = Math.max(this.t, until)
  }

  /** Move to an absolute time. */
  async advanceTo(at: number): Promise<void> {
    await this.advance(Math.max(0, at - this.t))
  }
}
