import { describe, expect, it } from 'vitest'
import { ChannelStats, OVERFLOW_CHANNEL } from './channel-stats'

describe('ChannelStats', () => {
  it('measures msgs/s over a sliding window and decays to zero', () => {
    const s = new ChannelStats({ windowMs: 2000, bucketMs: 500 })
    const t0 = 1_000_000
    const c = s.counter('data.market.quotes', 'data.market', t0)
    for (let ms = 0; ms < 2000; ms += 10) s.hit(c, t0 + ms, 100) // 100 msgs/s for 2 s
    expect(s.rate(c, t0 + 2000)).toBeGreaterThan(80)
    expect(s.rate(c, t0 + 2000)).toBeLessThan(120)
    expect(s.rate(c, t0 + 10_000)).toBe(0)
  })

  it('bounds the number of tracked channels', () => {
    const s = new ChannelStats({ maxChannels: 3 })
    for (let i = 0; i < 10; i++) s.accepted(s.counter(`heartbeat.a${i}`, 'heartbeat', 0))
    const rows = s.snapshot(0)
    expect(rows).toHaveLength(4)
    expect(rows.find((r) => r.channel === OVERFLOW_CHANNEL)!.count).toBe(7)
  })

  it('survives a clock going backwards', () => {
    const s = new ChannelStats()
    const c = s.counter('x', 'x', 10_000)
    s.hit(c, 10_000, 1)
    s.hit(c, 5_000, 1)
    expect(Number.isFinite(s.rate(c, 5_000))).toBe(true)
  })
})
