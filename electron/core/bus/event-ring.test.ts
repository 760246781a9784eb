import { describe, expect, it } from 'vitest'
import { EventRing } from './event-ring'

function filled(n: number, opts: ConstructorParameters<typeof EventRing>[0] = {}) {
  const ring = new EventRing({ firstId: 1, ...opts })
  for (let i = 0; i < n; i++) {
    const channel = i % 3 === 0 ? 'heartbeat.a1' : i % 3 === 1 ? 'data.market.quotes' : 'risk.limits'
    const type = channel.startsWith('heartbeat')
      ? 'heartbeat'
      : channel.startsWith('data')
        ? 'data.market'
        : 'risk'
    ring.push(channel, type, i % 2 === 0 ? 'even' : 'odd', 1_700_000_000_000 + i, { i }, 10)
  }
  return ring
}

describe('EventRing', () => {
  it('gives strictly increasing ids and pages by cursor without gaps or repeats', () => {
    const ring = filled(450)
    const seen: number[] = []
    let cursor = 0
    for (;;) {
      const page = ring.query({ since: cursor, limit: 200 })
      if (page.events.length === 0) break
      expect(page.events.length).toBeLessThanOrEqual(200)
      seen.push(...page.events.map((e) => e.id))
      cursor = page.nextCursor
    }
    expect(seen).toHaveLength(450)
    expect(seen).toEqual([...seen].sort((a, b) => a - b))
    expect(new Set(seen).size).toBe(450)
    expect(
      seen.map((id) => (ring.query({ since: id - 1, limit: 1 }).events[0]?.payload as { i: number }).i),
    ).toEqual(Array.from({ length: 450 }, (_, i) => i))
  })

  it('caps limit at 200 and returns the newest events when since is absent', () => {
    const ring = filled(500)
    expect(ring.query({ limit: 1000 }).events).toHaveLength(200)
    const tail = ring.query({ limit: 3 })
    expect(tail.events.map((e) => (e.payload as { i: number }).i)).toEqual([497, 498, 499])
    expect(tail.nextCursor).toBe(ring.lastId)
  })

  it('filters by type (channel prefix at a dot boundary) and by source', () => {
    const ring = filled(30)
    const hb = ring.query({ since: 0, type: 'heartbeat', limit: 200 }).events
    expect(hb).toHaveLength(10)
    expect(hb.every((e) => e.channel === 'heartbeat.a1')).toBe(true)
    expect(ring.query({ since: 0, type: 'data', limit: 200 }).events).toHaveLength(10)
    expect(ring.query({ since: 0, type: 'data.market.quotes', limit: 200 }).events).toHaveLength(10)
    expect(ring.query({ since: 0, type: 'dat', limit: 200 }).events).toHaveLength(0)
    const odd = ring.query({ since: 0, source: 'odd', type: 'risk', limit: 200 }).events
    expect(odd.every((e) => e.source === 'odd' && e.type === 'risk')).toBe(true)
    expect(odd.length).toBe(5)
  })

  it('advances the cursor past skipped events when a filtered page is short', () => {
    const ring = filled(30)
    const page = ring.query({ since: 0, type: 'nothing-matches', limit: 10 })
    expect(page.events).toEqual([])
    expect(page.nextCursor).toBe(ring.lastId)
    const full = ring.query({ since: 0, type: 'heartbeat', limit: 2 })
    expect(full.nextCursor).toBe(full.events[1]!.id)
  })

  it('evicts the oldest beyond capacity and reports what a reader missed', () => {
    const ring = filled(25, { capacity: 10 })
    expect(ring.size).toBe(10)
    expect(ring.firstId).toBe(16)
    expect(ring.evicted).toBe(15)
    const page = ring.query({ since: 5, limit: 200 })
    expect(page.dropped).toBe(10)
    expect(page.events[0]!.id).toBe(16)
    expect(ring.query({ since: 20 }).dropped).toBe(0)
  })

  it('keeps within its byte budget', () => {
    const ring = new EventRing({ firstId: 1, capacity: 1000, maxBytes: 100 })
    for (let i = 0; i < 50; i++) ring.push('c', 'c', null, 0, { i }, 30)
    expect(ring.stats().bytes).toBeLessThanOrEqual(100)
    expect(ring.size).toBe(3)
  })

  it('serves the batcher the newest events after a cursor and counts the rest', () => {
    const ring = filled(50)
    const r = ring.after(10, 5)
    expect(r.events.map((e) => e.id)).toEqual([46, 47, 48, 49, 50])
    expect(r.skipped).toBe(35)
    expect(ring.after(50, 5)).toEqual({ events: [], skipped: 0 })
  })

  it('seeds ids from the clock so cursors from an earlier run are older', () => {
    const a = new EventRing({ firstId: 1_000_000 })
    a.push('c', 'c', null, 0, {}, 1)
    const b = new EventRing()
    b.push('c', 'c', null, 0, {}, 1)
    expect(b.lastId).toBeGreaterThan(a.lastId)
    expect(Number.isSafeInteger(b.lastId)).toBe(true)
  })

  it('rawAfter hands the history writer each event as stored, without materialising it, and counts what it missed', () => {
    const ring = new EventRing({ firstId: 1, capacity: 4 })
    ring.pushBytes('data.market.ES', 'data.market', 1000, Buffer.from('{"symbol":"ES","source":"feed","agent_id":"a1"}'))
    ring.pushText('heartbeat.a2', 'heartbeat', 2000, '{ "agent_id" : "a2", "step": 3 }', 30)
    ring.push('risk.limits', 'risk', 'risk-svc', 3000, { agent_id: 'a3', nested: { x: 1 } }, 10)
    const first = ring.rawAfter(0, 2)
    expect(first).toEqual({
      events: [
        { id: 1, ts: 1000, channel: 'data.market.ES', type: 'data.market', source: 'feed', agent: 'a1', text: '{"symbol":"ES","source":"feed","agent_id":"a1"}' },
        { id: 2, ts: 2000, channel: 'heartbeat.a2', type: 'heartbeat', source: 'a2', agent: 'a2', text: '{ "agent_id" : "a2", "step": 3 }' },
      ],
      next: 2,
      missed: 0,
    })
    expect(ring.rawAfter(2, 10).events).toEqual([{ id: 3, ts: 3000, channel: 'risk.limits', type: 'risk', source: 'risk-svc', agent: 'a3', text: '{"agent_id":"a3","nested":{"x":1}}' }])
    // Reading raw leaves the lazy slots lazy: query() still parses them, once, on its own.
    expect(ring.query({ since: 0 }).events.map((e) => e.payload)).toEqual([{ symbol: 'ES', source: 'feed', agent_id: 'a1' }, { agent_id: 'a2', step: 3 }, { agent_id: 'a3', nested: { x: 1 } }])
    // Past capacity (4): ids 1 and 2 are gone; a reader at cursor 1 missed id 2 and continues at 3.
    for (let i = 0; i < 3; i++) ring.pushText('news', 'news', 4000 + i, `{"n":${i}}`, 7)
    const late = ring.rawAfter(1, 10)
    expect(late.missed).toBe(1)
    expect(late.events.map((e) => e.id)).toEqual([3, 4, 5, 6])
    expect(late.next).toBe(6)
    expect(ring.rawAfter(6, 10)).toEqual({ events: [], next: 6, missed: 0 })
  })
})
