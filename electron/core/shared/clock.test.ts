import { describe, expect, it } from 'vitest'
import { FakeClock } from './clock'

describe('FakeClock', () => {
  it('fires due timers in order, at their due time, awaiting each', async () => {
    const clock = new FakeClock('2026-01-01T00:00:00Z')
    const fired: string[] = []
    clock.setTimer(() => void fired.push(`b@${clock.now().toISOString()}`), 2000)
    clock.setTimer(async () => {
      fired.push(`a@${clock.now().toISOString()}`)
      await Promise.resolve()
      // A timer armed by a callback that is due inside the same advance fires too.
      clock.setTimer(() => void fired.push(`c@${clock.now().toISOString()}`), 500)
    }, 1000)
    const late = clock.setTimer(() => void fired.push('never'), 1200)
    clock.clearTimer(late)
    await clock.advance(3000)
    expect(fired).toEqual([
      'a@2026-01-01T00:00:01.000Z',
      'c@2026-01-01T00:00:01.500Z',
      'b@2026-01-01T00:00:02.000Z',
    ])
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:03.000Z')
    expect(clock.pending).toBe(0)
  })

  it('jump moves the wall clock only: timers keep their monotonic due time', async () => {
    const clock = new FakeClock('2026-01-01T00:00:00Z')
    const seen: string[] = []
    clock.setTimer(() => void seen.push(clock.now().toISOString()), 60_000)
    clock.jump(3_600_000)
    expect(clock.now().toISOString()).toBe('2026-01-01T01:00:00.000Z')
    expect(clock.nextTimerIn()).toBe(60_000)
    await clock.advance(59_999)
    expect(seen).toEqual([])
    await clock.advance(1)
    expect(seen).toEqual(['2026-01-01T01:01:00.000Z'])
    clock.setWall('2026-06-01T00:00:00Z')
    expect(clock.now().toISOString()).toBe('2026-06-01T00:00:00.000Z')
    await clock.advanceTo('2026-06-01T00:00:05Z')
    expect(clock.now().toISOString()).toBe('2026-06-01T00:00:05.000Z')
  })

  it('awaits settle after each timer, so work a timer started is done before time moves on', async () => {
    const clock = new FakeClock('2026-01-01T00:00:00Z')
    const seen: string[] = []
    let work: Promise<void> = Promise.resolve()
    clock.settle = () => work
    clock.setTimer(() => {
      // Not returned: like the supervisor's timers, the work runs beside the callback.
      work = new Promise<void>((r) => setTimeout(r, 5)).then(() => {
        seen.push(`work@${clock.now().toISOString()}`)
        clock.setTimer(() => void seen.push(`next@${clock.now().toISOString()}`), 1000)
      })
    }, 1000)
    await clock.advance(2000)
    expect(seen).toEqual(['work@2026-01-01T00:00:01.000Z', 'next@2026-01-01T00:00:02.000Z'])
  })

  it('never moves time backwards, even when an earlier advance finishes last', async () => {
    const clock = new FakeClock(0)
    let release!: () => void
    clock.settle = () => new Promise<void>((r) => (release = r))
    clock.setTimer(() => undefined, 0)
    const slow = clock.advance(0)
    await Promise.resolve()
    clock.settle = async () => undefined
    await clock.advance(5000)
    release()
    await slow
    expect(clock.now().getTime()).toBe(5000)
  })
})
