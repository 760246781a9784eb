import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AgentRegistry } from './agent-registry'
import { ChannelStats } from './channel-stats'
import { EventRing } from './event-ring'
import { checkShape, MAX_INPUT_DEPTH } from '../api/bounded-shape'
import { controlPatterns, DEFAULT_CHANNELS, DEFAULT_MAX_ENTRIES, hasExponent, Ingest } from './ingest'
import type { CommandAck, KillswitchAck, RegimePayload } from './payload-schemas'

const USER = [
  'heartbeat.*',
  'data.market.*',
  'news.signal.entity',
  'quant.regime.state',
  'strategy.*',
  'risk.*',
]

function setup(maxMessageBytes = 64 * 1024, viaBytes = false) {
  let now = 1_700_000_000_000
  const ring = new EventRing({ firstId: 1, capacity: 100_000 })
  const stats = new ChannelStats()
  const registry = new AgentRegistry({ timeoutMs: 5000 })
  const seen = {
    regime: [] as RegimePayload[],
    ksAcks: [] as KillswitchAck[],
    cmdAcks: [] as Array<[string, CommandAck]>,
    notices: 0,
  }
  const ingest = new Ingest(
    ring,
    stats,
    registry,
    {
      onRegime: (p) => seen.regime.push(p),
      onKillswitchAck: (a) => seen.ksAcks.push(a),
      onCommandAck: (id, a) => seen.cmdAcks.push([id, a]),
      onStateNotice: () => seen.notices++,
    },
    { maxMessageBytes, now: () => now },
  )
  const patterns = ingest.setPatterns(USER)
  const re = patterns.map((p) => ({
    p,
    re: new RegExp(`^${p.replace(/\\(.)/g, '$1').replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`),
  }))
  /** Deliver like Redis does: once per matching pattern. */
  const deliver = (channel: string, message: string) => {
    for (const { p, re: r } of re) {
      if (!r.test(channel)) continue
      // As BusClient delivers: the raw bytes of ioredis' pmessageBuffer.
      if (viaBytes) ingest.handleBytes(p, Buffer.from(channel), Buffer.from(message))
      else ingest.handle(p, channel, message)
    }
  }
  return { ingest, ring, stats, registry, seen, deliver, tick: (ms: number) => (now += ms), patterns }
}

const heartbeat = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    agent_id: id,
    name: id,
    group: 'signals',
    status: 'active',
    timestamp: new Date().toISOString(),
    ...extra,
  })

describe('Ingest routing', () => {
  it('always subscribes its control channels besides the user patterns', () => {
    const { patterns } = setup()
    expect(patterns).toEqual(expect.arrayContaining([...USER, ...controlPatterns(DEFAULT_CHANNELS)]))
    expect(patterns).toContain('agent.*.ack')
    expect(new Set(patterns).size).toBe(patterns.length)
  })

  it('turns heartbeats into agents and events typed by the pattern prefix', () => {
    const { deliver, ring, registry } = setup()
    deliver('heartbeat.a1', heartbeat('a1', { step: 1 }))
    deliver('data.market.quotes', JSON.stringify({ symbol: 'AAPL', bid: 1, source: 'quotes-1' }))
    deliver('news.signal.entity', JSON.stringify({ entity: 'ACME' }))
    expect(registry.get('a1', Date.now())).toBeDefined()
    const events = ring.query({ since: 0 }).events
    expect(events.map((e) => [e.channel, e.type, e.source])).toEqual([
      ['heartbeat.a1', 'heartbeat', 'a1'],
      ['data.market.quotes', 'data.market', 'quotes-1'],
      ['news.signal.entity', 'news.signal.entity', null],
    ])
  })

  it('processes a message once even when several patterns match it', () => {
    const { deliver, ring, seen, stats } = setup()
    // risk.killswitch.ack matches both risk.* and the control pattern for acks.
    deliver('risk.killswitch.ack', JSON.stringify({ agent_id: 'x', request_id: 'r1' }))
    expect(seen.ksAcks).toHaveLength(1)
    expect(ring.size).toBe(1)
    expect(stats.totalAccepted).toBe(1)
  })

  it('keeps control-only traffic (command acks) out of the event ring', () => {
    const { deliver, ring, seen } = setup()
    deliver('agent.exec-1.ack', JSON.stringify({ command_id: 'c1', ok: true }))
    expect(seen.cmdAcks).toEqual([['exec-1', { command_id: 'c1', ok: true }]])
    expect(ring.size).toBe(0)
  })

  it('re-reads state when a killswitch or trading change is announced', () => {
    const { deliver, seen } = setup()
    deliver('risk.killswitch', JSON.stringify({ engaged: true }))
    deliver('stackdeck.trading_enabled', JSON.stringify({ enabled: false }))
    expect(seen.notices).toBe(2)
  })
})

describe('Ingest shape bounds', () => {
  const deep = (levels: number) => `{"a":${'['.repeat(levels)}${']'.repeat(levels)}}`

  it('drops a 6,000-level event (12 KB) as too_deep, so the ring keeps only what serialises', () => {
    const { deliver, stats, ring } = setup()
    const msg = deep(6000)
    expect(msg.length).toBeGreaterThan(12_000)
    expect(() => JSON.parse(msg) as unknown).not.toThrow() // parsing is not where it breaks: serialising is
    deliver('strategy.candidate', msg)
    expect(ring.size).toBe(0)
    const ch = stats.snapshot(Date.now()).find((c) => c.channel === 'strategy.candidate')!
    expect(ch).toMatchObject({ count: 0, malformed: 1, malformedByReason: { too_deep: 1 } })
    expect(stats.lastMalformed).toMatchObject({ channel: 'strategy.candidate', reason: 'too_deep' })
    expect(stats.lastMalformed?.path).toMatch(/^\/a\/0\/0/)
  })

  it('keeps a payload exactly at the depth bound and refuses one level more', () => {
    const { deliver, stats, ring } = setup()
    deliver('strategy.ok', deep(63)) // the outer object + 63 arrays = 64 levels
    deliver('strategy.bad', deep(64))
    expect(ring.size).toBe(1)
    expect(ring.query({}).events[0]?.channel).toBe('strategy.ok')
    expect(stats.malformedByReason.too_deep).toBe(1)
    expect(() => JSON.stringify(ring.query({}))).not.toThrow()
  })

  it('refuses a regime nested too deep, so /regime/state keeps the last good one', () => {
    const { deliver, seen, stats } = setup()
    deliver('quant.regime.state', JSON.stringify({ regime: 'trending', confidence: 0.5 }))
    deliver(
      'quant.regime.state',
      `{"regime":"x","confidence":0.5,"extra":${'['.repeat(6000)}${']'.repeat(6000)}}`,
    )
    expect(seen.regime).toHaveLength(1)
    expect(stats.malformedByReason.too_deep).toBe(1)
  })

  it('counts keys and array items together, and refuses past the bound', () => {
    const { deliver, stats, ring } = setup()
    const keys = (n: number) =>
      JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])))
    deliver('strategy.keys', keys(4096))
    deliver('strategy.keys', keys(4097))
    deliver('strategy.items', JSON.stringify({ a: new Array<number>(5000).fill(0) }))
    expect(ring.size).toBe(1)
    expect(stats.malformedByReason.too_many_keys).toBe(2)
  })

  it('refuses 1e999 (Infinity after JSON.parse) anywhere, naming the field', () => {
    const { deliver, stats, ring, registry } = setup()
    deliver('data.market.quotes', '{"symbol":"ES","bid":1e999}')
    deliver('data.market.quotes', '{"symbol":"ES","levels":[[1,2],[3,-1e999]]}')
    deliver('heartbeat.a1', heartbeat('a1').replace('}', ',"step":1e999}'))
    deliver('quant.regime.state', '{"regime":"calm","confidence":1e999}')
    expect(ring.size).toBe(0)
    expect(registry.size).toBe(0)
    expect(stats.malformedByReason.non_finite).toBe(4)
    expect(stats.lastMalformed).toMatchObject({ reason: 'non_finite', path: '/confidence' })
  })

  it('a heartbeat with step 1e999 cannot fake a "went back from Infinity" anomaly', () => {
    const { deliver, registry } = setup()
    deliver('heartbeat.a1', heartbeat('a1', { step: 5 }))
    deliver('heartbeat.a1', heartbeat('a1').replace('}', ',"step":1e999}'))
    deliver('heartbeat.a1', heartbeat('a1', { step: 6 }))
    const a = registry.list(Date.now())[0]!
    expect(a.anomalies).toEqual([])
    expect(a.step).toBe(6)
  })

  it('hasExponent spots every literal that can overflow, and not words with an e', () => {
    for (const t of ['{"a":1e999}', '{"a":1E999}', '{"a":2e+308}', '[1e3]'])
      expect(hasExponent(t), t).toBe(true)
    for (const t of ['{"source":"bench-quotes","bid":99.99}', '{"e":"e-","E":"E."}', '{"a":1.5}']) {
      expect(hasExponent(t), t).toBe(false)
    }
  })

  it('skipping the walk for short messages without an exponent never lets a bound break', () => {
    // The shortcut's claim: a message shorter than 130 characters without e/E + digit cannot be
    // too deep, hold too many keys, or parse to a non-finite number.
    const literal = fc.oneof(
      fc.constantFrom('1e999', '-1e999', '1E400', '1e+309', '0.5', '-0', '1e-999'),
      fc.integer({ min: 1, max: 400 }).map((n) => '9'.repeat(n)),
    )
    const text = fc
      .tuple(fc.jsonValue({ maxDepth: 6 }), literal, fc.integer({ min: 0, max: 70 }))
      .map(([v, lit, nest]) => `{"v":${JSON.stringify(v)},"n":${'['.repeat(nest)}${lit}${']'.repeat(nest)}}`)
    const walkFrom = Math.min(2 * (MAX_INPUT_DEPTH + 1), 2 * DEFAULT_MAX_ENTRIES + 1, 309)
    fc.assert(
      fc.property(text, (t) => {
        const bad = checkShape(JSON.parse(t), {
          maxDepth: MAX_INPUT_DEPTH,
          maxEntries: DEFAULT_MAX_ENTRIES,
          finiteOnly: true,
        })
        return bad === null || t.length >= walkFrom || hasExponent(t)
      }),
      { numRuns: 3000, seed: 13 },
    )
  })

  it('the bounds are options', () => {
    const ring = new EventRing({ firstId: 1 })
    const stats = new ChannelStats()
    const ingest = new Ingest(
      ring,
      stats,
      new AgentRegistry({ timeoutMs: 5000 }),
      {},
      {
        maxMessageBytes: 65536,
        now: () => 0,
        maxDepth: 2,
        maxEntries: 3,
      },
    )
    const [p] = ingest.setPatterns(['x.*'])
    ingest.handle(p!, 'x.a', '{"a":{"b":1}}')
    ingest.handle(p!, 'x.a', '{"a":{"b":{}}}')
    ingest.handle(p!, 'x.a', '{"a":1,"b":2,"c":3,"d":4}')
    expect(ring.size).toBe(1)
    expect(stats.malformedByReason).toMatchObject({ too_deep: 1, too_many_keys: 1 })
  })
})

describe('Ingest malformed messages', () => {
  it('counts each kind per channel and drops it', () => {
    const { deliver, stats, ring, registry } = setup(1024)
    deliver('data.market.quotes', 'not json {')
    deliver('data.market.quotes', '[1,2,3]')
    deliver('data.market.quotes', 'null')
    deliver('data.market.quotes', JSON.stringify({ blob: 'x'.repeat(2000) }))
    // 400 three-byte characters: 400 UTF-16 units but 1200 bytes.
    deliver('data.market.quotes', JSON.stringify({ s: '\u20ac'.repeat(400) }))
    deliver('heartbeat.a1', JSON.stringify({ agent_id: 'a1' }))
    deliver('heartbeat.a2', heartbeat('bad id with spaces'))
    deliver('quant.regime.state', JSON.stringify({ regime: 'trending', confidence: 7 }))
    expect(stats.malformedByReason).toEqual({
      oversized: 2,
      not_json: 1,
      not_object: 2,
      too_deep: 0,
      too_many_keys: 0,
      non_finite: 0,
      bad_shape: 3,
    })
    const quotes = stats.snapshot(Date.now()).find((c) => c.channel === 'data.market.quotes')!
    expect(quotes).toMatchObject({
      count: 0,
      malformed: 5,
      malformedByReason: { oversized: 2, not_json: 1, not_object: 2 },
    })
    expect(ring.size).toBe(0)
    expect(registry.size).toBe(0)
    expect(stats.lastMalformed).toMatchObject({ channel: 'quant.regime.state', reason: 'bad_shape' })
  })

  it('survives 12,000 random payloads on every kind of channel: each counted exactly once, nothing thrown', () => {
    const { ingest, deliver, stats, ring } = setup(512)
    const channels = [
      'heartbeat.fuzz',
      'data.market.quotes',
      'quant.regime.state',
      'risk.killswitch',
      'risk.killswitch.ack',
      'agent.fuzz-1.ack',
      'agent.bad*id.ack',
      'stackdeck.trading_enabled',
      'strategy.candidate',
      'news.signal.entity',
    ]
    const validHeartbeat = fc.record({
      agent_id: fc.oneof(fc.constantFrom('a1', 'a2', 'exec-1'), fc.string()),
      name: fc.oneof(fc.string(), fc.integer()),
      group: fc.constantFrom('execution', 'signals', 'other', 42),
      status: fc.oneof(fc.constantFrom('active', ''), fc.string()),
      timestamp: fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.double(),
        fc.constant(null),
      ),
      step: fc.oneof(fc.nat(), fc.integer({ min: -5, max: 5 }), fc.double(), fc.constant(null)),
      checkpoint_version: fc.option(fc.nat()),
      hostname: fc.option(fc.string()),
    })
    const message = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: 'binary', minLength: 150, maxLength: 700 }),
      fc.json({ maxDepth: 3 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.anything({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? 'undefined'),
      validHeartbeat.map((v) => JSON.stringify(v)),
      fc.record({ regime: fc.string(), confidence: fc.double() }).map((v) => JSON.stringify(v)),
      fc
        .record({ command_id: fc.string(), ok: fc.oneof(fc.boolean(), fc.string()) })
        .map((v) => JSON.stringify(v)),
      fc.record({ agent_id: fc.string(), request_id: fc.string() }).map((v) => JSON.stringify(v)),
    )
    let received = 0
    fc.assert(
      fc.property(fc.constantFrom(...channels), message, (channel, msg) => {
        const before = stats.totalAccepted + stats.totalMalformed
        deliver(channel, msg)
        received++
        return stats.totalAccepted + stats.totalMalformed - before === 1
      }),
      { numRuns: 12_000, seed: 20250922 },
    )
    expect(received).toBe(12_000)
    expect(ingest.internalErrors).toBe(0)
    const perChannel = stats.snapshot(Date.now())
    expect(perChannel.reduce((s, c) => s + c.count + c.malformed, 0)).toBe(12_000)
    expect(stats.totalMalformed).toBeGreaterThan(1000)
    expect(stats.totalAccepted).toBeGreaterThan(1000)
    // Everything accepted on a user-pattern channel is an event; nothing malformed is.
    const acceptedEvents = perChannel.filter((c) => c.type !== 'control').reduce((s, c) => s + c.count, 0)
    expect(ring.size).toBe(acceptedEvents)
  })

  it('classifies random non-JSON text as not_json and oversized text as oversized', () => {
    const { deliver, stats } = setup(256)
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
        let parsed = true
        try {
          JSON.parse(s)
        } catch {
          parsed = false
        }
        const expected = Buffer.byteLength(s) > 256 ? 'oversized' : parsed ? null : 'not_json'
        const before = { ...stats.malformedByReason }
        deliver('strategy.x', s)
        if (expected !== null) expect(stats.malformedByReason[expected]).toBe(before[expected] + 1)
      }),
      { numRuns: 2000, seed: 7 },
    )
  })
})

describe('Ingest fast path (flat objects kept as text)', () => {
  it('serves every kept event exactly as JSON.parse would have built it, whichever path took it', () => {
    const { deliver, ring, stats } = setup()
    const messages = [
      '{"symbol":"AAPL","bid":1.5,"ask":1.6,"source":"quotes"}', // flat: fast path
      '{"symbol":"MSFT","book":{"bid":[1,2]},"source":"depth"}', // nested: full path
      '{"agent_id":"a-1","note":"x\\"y"}', // escape: full path
      '{"source":1,"agent_id":"a-2","n":1e3}', // exponent: full path
      '{"source":"first","source":"last"}', // duplicate keys, fast path
      '{}',
    ]
    for (const m of messages) deliver('data.market.quotes', m)
    expect(stats.totalAccepted).toBe(messages.length)
    const page = ring.query({ since: 0, limit: 50 })
    expect(page.events.map((e) => e.payload)).toEqual(messages.map((m) => JSON.parse(m) as unknown))
    expect(page.events.map((e) => e.source)).toEqual(['quotes', 'depth', 'a-1', 'a-2', 'last', null])
    expect(ring.query({ source: 'last' }).events).toHaveLength(1)
  })

  it('still refuses on the fast path what the full path refuses, for the same reason', () => {
    const { deliver, stats } = setup()
    deliver('data.market.quotes', 'not json')
    deliver('data.market.quotes', '{"a":1e999}')
    deliver('data.market.quotes', '[1,2]')
    deliver('data.market.quotes', '{"a":1,}')
    expect(stats.totalAccepted).toBe(0)
    expect(stats.malformedByReason.not_json).toBe(2)
    expect(stats.malformedByReason.non_finite).toBe(1)
    expect(stats.malformedByReason.not_object).toBe(1)
  })
})

describe('Ingest on raw bytes (handleBytes, what BusClient uses)', () => {
  /** Everything a user can see of an ingest: counters, refusals, the ring, the registry. */
  function seenBy(viaBytes: boolean, maxBytes: number, deliveries: Array<[string, string]>) {
    const t = setup(maxBytes, viaBytes)
    for (const [ch, m] of deliveries) t.deliver(ch, m)
    const now = 1_700_000_000_000
    return {
      accepted: t.stats.totalAccepted,
      malformed: t.stats.totalMalformed,
      byReason: { ...t.stats.malformedByReason },
      last: t.stats.lastMalformed,
      channels: t.stats.snapshot(now),
      events: t.ring.query({ since: 0, limit: 200 }),
      ring: t.ring.stats(),
      agents: t.registry.list(now),
      seen: t.seen,
      errors: t.ingest.internalErrors,
    }
  }
  const same = (maxBytes: number, deliveries: Array<[string, string]>) =>
    expect(seenBy(true, maxBytes, deliveries)).toEqual(seenBy(false, maxBytes, deliveries))

  it('sees exactly what the string path sees, message for message', () => {
    const deliveries: Array<[string, string]> = [
      ['data.market.quotes', '{"symbol":"AAPL","bid":1.5,"ask":1.6,"source":"quotes"}'],
      ['data.market.quotes', '{"symbol":"Zürich","source":"é"}'], // non-ASCII: string path
      ['data.market.quotes', 'not json'],
      ['data.market.quotes', '{"a":1e999}'],
      ['data.market.quotes', `{"pad":"${'x'.repeat(600)}"}`], // oversized at 512
      ['data.market.quotes', `{"pad":"${'é'.repeat(200)}"}`], // oversized only in UTF-8 bytes
      ['strategy.candidate', '{"symbol":"NQ","action":"BUY","confidence":0.7}'],
      ['heartbeat.a-1', heartbeat('a-1')],
      ['heartbeat.a-2', '{"agent_id":"a-2"}'], // bad shape
      ['quant.regime.state', '{"regime":"calm","confidence":0.5}'],
      ['risk.killswitch', '{"engaged":true}'],
      ['risk.killswitch.ack', '{"agent_id":"a-1","request_id":"r1"}'],
      ['agent.a-1.ack', '{"command_id":"c1","ok":true}'],
      ['data.market.d\u00e9pth', '{"x":1}'],
      ['data.market.dépth', '{"x":1}'], // a non-ASCII channel name
      ['data.market.quotes', '{"symbol":"MSFT","source":"quotes"}'],
    ]
    same(512, deliveries)
    same(64 * 1024, deliveries)
  })

  it('finds many channels by their bytes, however they alternate', () => {
    const deliveries: Array<[string, string]> = []
    for (let i = 0; i < 500; i++) {
      const ch = i % 3 === 0 ? `data.market.c${(i * 7) % 23}` : 'data.market.quotes'
      deliveries.push([ch, `{"i":${i},"source":"s${i % 5}"}`])
    }
    same(64 * 1024, deliveries)
  })

  it('agrees with the string path on random texts and channels', () => {
    const channel = fc.constantFrom('data.market.quotes', 'data.market.é', 'strategy.x', 'heartbeat.h-1', 'agent.a.ack', 'risk.killswitch.ack')
    const text = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.json({ maxDepth: 2 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string({ maxLength: 5 }), fc.double(), fc.boolean()), { maxKeys: 5 }).map((o) => JSON.stringify(o)),
    )
    fc.assert(
      fc.property(fc.array(fc.tuple(channel, text), { maxLength: 20 }), (ds) => {
        same(200, ds)
      }),
      { numRuns: 300, seed: 11 },
    )
  })
})
