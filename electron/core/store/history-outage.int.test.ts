import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventRecord } from './event-store'
import { HistoryWriter, type EventFeed } from './history-writer'
import { openEventStore } from './open-store'

/**
 * A database outage mid-ingest, against a real PostgreSQL that this test starts, kills and restarts
 * itself (the shared test database stays up for the other suites).
 */
const SCRIPT = join(import.meta.dirname, '../../../scripts/testenv/postgres.sh')
const pg = (action: 'start' | 'stop', dir: string) => execFileSync('bash', [SCRIPT, action, dir], { encoding: 'utf8' }).trim()

let dir: string
let url: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stackdeck-pg-outage-'))
  url = pg('start', dir)
}, 60_000)
afterAll(() => {
  try {
    pg('stop', dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

function feed() {
  const all: EventRecord[] = []
  const f: EventFeed & { push: (n: number) => void } = {
    push: (n) => {
      for (let i = 0; i < n; i++) all.push({ receivedAt: Date.now(), channel: 'agent.heartbeat', payload: JSON.stringify({ n: all.length + 1 }) })
    },
    head: () => all.length,
    readAfter: (cursor, max) => {
      const events = all.slice(cursor, cursor + max)
      return { events, next: cursor + events.length, missed: 0 }
    },
  }
  return f
}

describe('the history writer across a PostgreSQL outage', () => {
  it('pauses with the reason, keeps buffering, and after the restart stores everything exactly once, in order', async () => {
    const { store, engine } = await openEventStore({ url, dataDir: '', schema: 'outage', host: 'h' })
    const f = feed()
    const w = new HistoryWriter({ feed: f, sink: store, retryMinMs: 100, retryMaxMs: 500 })
    try {
      w.start()
      f.push(500)
      await w.tick()
      expect(w.status()).toMatchObject({ state: 'writing', written: 500 })

      pg('stop', dir)
      f.push(700)
      await w.tick()
      const down = w.status()
      expect(down.state).toBe('paused')
      expect(down.reason).toBeTruthy()
      expect(down.buffered).toBe(700)

      pg('start', dir)
      const deadline = Date.now() + 30_000
      while (Date.now() < deadline && (w.status().state !== 'writing' || w.status().buffered > 0)) {
        await new Promise((r) => setTimeout(r, 100))
        await w.tick()
      }
      expect(w.status()).toMatchObject({ state: 'writing', reason: null, written: 1200, buffered: 0, dropped: { evicted: 0, overflow: 0 } })
      const got: number[] = []
      let after: number | undefined
      for (;;) {
        const page = await store.query({ limit: 1000, ...(after !== undefined ? { after } : {}) })
        got.push(...page.events.map((e) => (JSON.parse(e.payload) as { n: number }).n))
        if (page.next === null) break
        after = page.next
      }
      expect(got).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1))
    } finally {
      await w.stop(100)
      await engine.close()
    }
  }, 90_000)
})
