import { describe, expect, it } from 'vitest'
import type { BusUpdateT } from '../api/contract/bus'
import { AgentRegistry } from './agent-registry'
import { EventRing } from './event-ring'
import { BusUpdateBatcher, type BatchSource } from './update-batcher'

function source() {
  let now = 1_700_000_000_000
  const ring = new EventRing({ firstId: 1 })
  const reg = new AgentRegistry({ timeoutMs: 1000 })
  const revs = { connection: 0, killswitch: 0, regime: 0, trading: 0 }
  const src: BatchSource = {
    now: () => now,
    revs: () => ({ ...revs }),
    takeAgents: (n) => reg.takeDirty(n),
    totals: (n) => reg.totals(n),
    lastEventId: () => ring.lastId,
    eventsAfter: (c, m) => ring.after(c, m),
    rates: () => ({ total: 0, channels: [] }),
    connection: () => ({ state: 'ready', since: '', url: 'redis://x', error: null, attempts: 0 }),
    killswitch: () => ({
      engaged: false,
      latched: false,
      reason: null,
      who: null,
      at: null,
      version: 0,
      stored: true,
      lastRound: null,
    }),
    regime: () => ({
      regime: null,
      confidence: null,
      at: null,
      receivedAt: null,
      ageS: null,
      source: 'none',
      payload: null,
    }),
    trading: () => ({ key: 'k', enabled: true, raw: '1', readAt: null }),
    takeCommands: () => [],
  }
  return { src, ring, reg, revs, advance: (ms: number) => (now += ms) }
}

describe('BusUpdateBatcher', () => {
  it('coalesces many events and agent changes into one payload and stays quiet when nothing changed', () => {
    const { src, ring, reg, advance } = source()
    const out: BusUpdateT[] = []
    const b = new BusUpdateBatcher(src, {
      emit: (u) => out.push(u),
      maxEventsPerBatch: 100,
      ratesEveryMs: 1000,
    })
    const first = b.flush() // connection/killswitch/... initial state + rates
    expect(first).not.toBeNull()
    for (let i = 0; i < 1000; i++) ring.push('data.market.quotes', 'data.market', null, 0, { i }, 10)
    for (let i = 0; i < 50; i++)
      reg.beat({ agent_id: `a${i}`, name: 'n', group: 'signals', status: 'active', timestamp: 0 }, Date.now())
    advance(20)
    const u = b.flush()!
    expect(u.events).toHaveLength(100)
    expect(u.eventsSkipped).toBe(900)
    expect(u.events.at(-1)!.id).toBe(ring.lastId)
    expect(u.cursor).toBe(ring.lastId)
    expect(u.agents).toHaveLength(50)
    expect(u.totals.total).toBe(50)
    expect(u.connection).toBeUndefined()
    expect(u.rates).toBeUndefined()
    advance(20)
    expect(b.flush()).toBeNull()
    expect(out).toHaveLength(2)
  })

  it('sends rates on their cadence and state only when its revision moves', () => {
    const { src, revs, advance } = source()
    const b = new BusUpdateBatcher(src, { emit: () => undefined, ratesEveryMs: 500 })
    b.flush()
    advance(100)
    expect(b.flush()).toBeNull()
    revs.killswitch++
    const u = b.flush()!
    expect(u.killswitch).toBeDefined()
    expect(u.regime).toBeUndefined()
    advance(500)
    expect(b.flush()!.rates).toBeDefined()
  })

  it('emits at most once per interval on its timer', async () => {
    const { src, ring } = source()
    const out: BusUpdateT[] = []
    const b = new BusUpdateBatcher(src, { emit: (u) => out.push(u), intervalMs: 40 })
    b.start()
    const t = Date.now()
    while (Date.now() - t < 400) {
      ring.push('c', 'c', null, 0, {}, 1)
      await new Promise((r) => setTimeout(r, 1))
    }
    b.stop()
    expect(out.length).toBeGreaterThan(2)
    expect(out.length).toBeLessThanOrEqual(Math.ceil(400 / 40) + 2)
    expect(out.reduce((s, u) => s + u.events.length + u.eventsSkipped, 0)).toBeLessThanOrEqual(ring.lastId)
  })
})
