import { describe, expect, it } from 'vitest'
import { turnClock } from './turn-clock'

describe('turnClock', () => {
  it('reads the clock once per turn, and again in the next one', async () => {
    let reads = 0
    let t = 1000
    const now = turnClock(() => {
      reads++
      return t
    })
    expect(now()).toBe(1000)
    t = 2000
    expect(now()).toBe(1000) // same turn: the time this turn's messages were received
    expect(reads).toBe(1)
    await Promise.resolve()
    expect(now()).toBe(2000)
    await new Promise((r) => setTimeout(r, 1))
    t = 3000
    expect(now()).toBe(3000)
    expect(reads).toBe(3)
  })
})
