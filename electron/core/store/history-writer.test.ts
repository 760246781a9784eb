import { describe, expect, it } from 'vitest'
import type { EventRecord } from './event-store'
import { HistoryWriter, type EventFeed } from './history-writer'

/** A ring-like feed: cursors 1..n, keeping only the newest `capacity`. */
function ring(capacity: number) {
  const all: EventRecord[] = []
  const feed: EventFeed & { push: (n: number, at?: number) => void } = {
    push(n, at = 0) {
      for (let i = 0; i < n; i++) all.push({ receivedAt: at, channel: i % 2 ? 'agent.heartbeat' : 'orchestrator.regime', payload: String(all.length + 1) })
    },
    head: () => all.length,
    readAfter(cursor, max) {
      const oldest = Math.max(1, all.length - capacity + 1)
      const from = Math.max(cursor + 1, oldest)
      const events = all.slice(from - 1, from - 1 + max)
      return { events, next: from - 1 + events.length, missed: Math.max(0, oldest - (cursor + 1)) }
    },
  }
  return feed
}

function sink() {
  const stored: string[] = []
  let failWith: string | null = null
  return {
    stored,
    fail: (m: string | null) => void (failWith = m),
    append: async (b: readonly EventRecord[]) => {
      if (failWith) throw new Error(failWith)
      stored.push(...b.map((e) => e.payload))
      return b.length
    },
  }
}

describe('HistoryWriter', () => {
  it('starts at the head (history begins when Stackdeck does), then writes every new event in order, in batches', async () => {
    const feed = ring(10_000)
    feed.push(5)
    const s = sink()
    const w = new HistoryWriter({ feed, sink: s, maxBatch: 100 })
    w.start()
    feed.push(250)
    await w.tick()
    expect(s.stored).toEqual(Array.from({ length: 250 }, (_, i) => String(i + 6)))
    expect(w.status()).toMatchObject({ state: 'writing', written: 250, buffered: 0, dropped: { evicted: 0, overflow: 0 } })
    await w.stop()
  })

  it('keeps only the channels it is told to', async () => {
    const feed = ring(100)
    const s = sink()
    const w = new HistoryWriter({ feed, sink: s, keep: (e) => e.channel.startsWith('agent.') })
    w.start()
    feed.push(10)
    await w.tick()
    expect(s.stored).toEqual(['2', '4', '6', '8', '10'])
    await w.stop()
  })

  it('an outage pauses writing with the reason, buffers within its bound, and catches up in order; overflow and eviction are counted', async () => {
    let now = 1_000_000
    const feed = ring(50)
    const s = sink()
    const changes: string[] = []
    const w = new HistoryWriter({ feed, sink: s, maxBatch: 20, maxBuffered: 60, retryMinMs: 100, now: () => now, onChange: (st) => changes.push(`${st.state}${st.reason ? `: ${st.reason}` : ''}`) })
    w.start()
    s.fail('connect ECONNREFUSED 127.0.0.1:5432')
    feed.push(40, now)
    await w.tick()
    expect(w.status()).toMatchObject({ state: 'paused', reason: 'connect ECONNREFUSED 127.0.0.1:5432', buffered: 40, written: 0 })
    now += 50
    expect(w.status().lagMs).toBe(50)
    // Still down, and more arrives than the buffer holds: the oldest buffered are dropped, counted.
    feed.push(40, now)
    now += 100
    await w.tick()
    expect(w.status()).toMatchObject({ state: 'paused', buffered: 60, dropped: { evicted: 0, overflow: 20 } })
    // The ring (50) evicts what the writer did not read in time: counted too.
    feed.push(70, now)
    s.fail(null)
    now += 1000
    await w.tick()
    expect(w.status()).toMatchObject({ state: 'writing', reason: null, buffered: 0, dropped: { evicted: 20, overflow: 20 + 50 } })
    // What was stored is in order and has no duplicates.
    const n = s.stored.map(Number)
    expect(n).toEqual([...n].sort((a, b) => a - b))
    expect(new Set(n).size).toBe(n.length)
    expect(n.at(-1)).toBe(150)
    expect(w.status().written + w.status().dropped.evicted + w.status().dropped.overflow).toBe(150)
    expect(changes).toEqual(['writing', 'paused: connect ECONNREFUSED 127.0.0.1:5432', 'writing'])
    await w.stop()
  })

  it('waits longer between attempts while the database stays down, and stop() reports what it could not write', async () => {
    let now = 0
    const feed = ring(1000)
    const s = sink()
    let attempts = 0
    const w = new HistoryWriter({
      feed,
      sink: { append: async (b) => (attempts++, s.append(b)) },
      retryMinMs: 100,
      retryMaxMs: 400,
      now: () => now,
    })
    w.start()
    s.fail('timeout')
    feed.push(3)
    for (let t = 0; t < 2000; t += 50) {
      now = t
      await w.tick()
    }
    // 100, 200, 400, 400, 400 … : about 6 attempts in 2 s, not 40.
    expect(attempts).toBeGreaterThanOrEqual(5)
    expect(attempts).toBeLessThanOrEqual(8)
    const st = await w.stop(10)
    expect(st).toMatchObject({ state: 'stopped', buffered: 3, written: 0 })
  })

  it('keeps pulling the ring on its timer while a slow write is in flight, so the ring evicts nothing the buffer could hold', async () => {
    // A ring of 50 and a database that takes 10 ticks per INSERT: 30 events arrive per tick. If
    // the writer only pulled between writes, the ring would evict most of them during each write.
    const feed = ring(50)
    const stored: string[] = []
    // Assigned inside the sink; the cast keeps TypeScript from narrowing it to null at the call sites.
    let release = null as (() => void) | null
    const w = new HistoryWriter({
      feed,
      flushEveryMs: 5,
      maxBatch: 1000,
      sink: {
        append: async (b) => {
          await new Promise<void>((res) => (release = res))
          stored.push(...b.map((e) => e.payload))
          return b.length
        },
      },
    })
    w.start()
    for (let i = 0; i < 40; i++) {
      feed.push(30)
      await new Promise((r) => setTimeout(r, 8))
      if (i % 10 === 9) release?.()
    }
    const deadline = Date.now() + 2000
    while (w.status().buffered > 0 && Date.now() < deadline) {
      release?.()
      await new Promise((r) => setTimeout(r, 5))
    }
    const st = await w.stop()
    expect(st.dropped).toEqual({ evicted: 0, overflow: 0 })
    expect(stored.map(Number)).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1))
  })
})
