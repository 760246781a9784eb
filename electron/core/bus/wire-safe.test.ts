import { describe, expect, it } from 'vitest'
import type { BusUpdateT } from '../api/contract/bus'
import { EventHub } from '../event-hub'
import { AgentRegistry } from './agent-registry'
import { EventRing } from './event-ring'
import { RegimeTracker } from './regime'
import { BusUpdateBatcher, type BatchSource } from './update-batcher'
import { UNSERIALISABLE, wireSafePage, wireSafeRegime } from './wire-safe'

/** What JSON.parse makes of 12 KB of brackets: parses fine, cannot be serialised again. */
const poison = () => JSON.parse(`{"a":${'['.repeat(6000)}${']'.repeat(6000)}}`) as unknown

function source(ring: EventRing, reg: AgentRegistry, regimePayload: () => unknown): BatchSource {
  let regimeRev = 0
  return {
    now: () => 1_700_000_000_000,
    revs: () => ({ connection: 0, killswitch: 0, regime: ++regimeRev, trading: 0 }),
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
      regime: 'x',
      confidence: 0.5,
      at: null,
      receivedAt: null,
      ageS: null,
      source: 'live',
      payload: regimePayload(),
    }),
    trading: () => ({ key: 'k', enabled: true, raw: '1', readAt: null }),
    takeCommands: () => [],
  }
}

describe('a value that cannot be serialised costs only itself', () => {
  it('the batch still reaches every client, heartbeats and good events included', () => {
    const ring = new EventRing({ firstId: 1 })
    const reg = new AgentRegistry({ timeoutMs: 1000 })
    const hub = new EventHub<{ 'bus.update': BusUpdateT }>()
    const wire: string[] = []
    // Two "clients" that serialise like the WS door does.
    hub.on('bus.update', (u) => wire.push(JSON.stringify(u)))
    hub.on('bus.update', (u) => wire.push(JSON.stringify(u)))
    const batcher = new BusUpdateBatcher(source(ring, reg, poison), {
      emit: (u) => hub.emit('bus.update', u),
    })
    ring.push('strategy.good', 'strategy', null, 0, { ok: 1 }, 10)
    // Bypasses ingest on purpose: this is the defence behind it.
    ring.push('strategy.bad', 'strategy', 'evil', 0, poison(), 12_000)
    reg.beat({ agent_id: 'a1', name: 'a1', group: 'signals', status: 'active', timestamp: 0 }, Date.now())
    batcher.flush()
    expect(wire).toHaveLength(2)
    const u = JSON.parse(wire[0]!) as BusUpdateT
    expect(u.agents.map((a) => a.id)).toEqual(['a1'])
    expect(u.events.map((e) => e.channel)).toEqual(['strategy.good', 'strategy.bad'])
    expect(u.events[0]!.payload).toEqual({ ok: 1 })
    expect(u.events[1]!.payload).toMatchObject({
      [UNSERIALISABLE]: expect.stringMatching(/RangeError/) as unknown,
    })
    expect((u.regime?.payload as Record<string, string>)[UNSERIALISABLE]).toMatch(/RangeError/)
    expect(batcher.repairs.count).toBe(2)
    expect(hub.failures.size).toBe(0)
  })

  it('a healthy batch is emitted as built (no copy)', () => {
    const ring = new EventRing({ firstId: 1 })
    const reg = new AgentRegistry({ timeoutMs: 1000 })
    let emitted: BusUpdateT | null = null
    const batcher = new BusUpdateBatcher(
      source(ring, reg, () => ({ fine: true })),
      { emit: (u) => (emitted = u) },
    )
    ring.push('strategy.good', 'strategy', null, 0, { ok: 1 }, 10)
    const built = batcher.flush()
    expect(emitted).toBe(built)
    expect(batcher.repairs.count).toBe(0)
  })

  it('a REST page keeps its good events and cursor', () => {
    const ring = new EventRing({ firstId: 1 })
    ring.push('strategy.bad', 'strategy', null, 0, poison(), 12_000)
    ring.push('strategy.good', 'strategy', null, 0, { ok: 1 }, 10)
    const repairs = { count: 0, last: null }
    const page = wireSafePage(ring.query({ since: 0 }), repairs)
    expect(() => JSON.stringify(page)).not.toThrow()
    expect(page.nextCursor).toBe(2)
    expect(page.events[1]!.payload).toEqual({ ok: 1 })
    expect(repairs.count).toBe(1)
    const regime = wireSafeRegime(
      {
        regime: 'x',
        confidence: 1,
        at: null,
        receivedAt: null,
        ageS: null,
        source: 'live',
        payload: poison(),
      },
      repairs,
    )
    expect(() => JSON.stringify(regime)).not.toThrow()
    expect(regime.regime).toBe('x')
  })
})

describe('the stored regime key is held to the live bounds', () => {
  const tracker = (raw: string) =>
    new RegimeTracker({ get: async () => raw, set: async () => undefined }, { key: 'k', now: () => 2_000 })

  it('a deep, non-finite or mis-shaped stored regime is ignored and counted', async () => {
    const bad = [
      `{"receivedAt":1000,"payload":{"regime":"x","confidence":0.5,"n":${'['.repeat(6000)}${']'.repeat(6000)}}}`,
      '{"receivedAt":1000,"payload":{"regime":"x","confidence":1e999}}',
      '{"receivedAt":1000,"payload":{"regime":"x","confidence":"high"}}',
    ]
    for (const raw of bad) {
      const t = tracker(raw)
      await t.load()
      expect(t.view(2_000).source, raw.slice(0, 60)).toBe('none')
      expect(t.loadRefused).toBe(1)
    }
    const inf = tracker('{"receivedAt":1e999,"payload":{"regime":"x","confidence":0.5}}')
    await inf.load()
    expect(inf.view(2_000).source).toBe('none')
  })

  it('a good stored regime is shown with its age', async () => {
    const t = tracker('{"receivedAt":1000,"payload":{"regime":"calm","confidence":0.5}}')
    await t.load()
    expect(t.view(2_000)).toMatchObject({ regime: 'calm', source: 'stored', ageS: 1 })
  })
})
