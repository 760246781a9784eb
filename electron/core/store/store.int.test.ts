import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeMessage, rng, type FuzzChannel } from '../../../test-support/bus-fuzz-payloads'
import type { EventStore } from './event-store'
import { currentVersion, LATEST_VERSION, migrate, MIGRATIONS } from './migrations'
import { openEventStore } from './open-store'
import { openPgEngine } from './pg-engine'
import type { SqlEngine } from './sql-engine'

/**
 * The whole store suite, against both engines: embedded PGlite (in a worker thread, files in a temp
 * dir) and the test environment's private PostgreSQL (a schema of its own per run, dropped after).
 */
const PG_URL = process.env['STACKDECK_TEST_PG_URL']
const runId = `t${process.pid}_${Date.now().toString(36)}`
const dirs: string[] = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'stackdeck-store-'))
  dirs.push(d)
  return d
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

interface EngineCase {
  name: string
  open: (schema: string, dataDir?: string) => ReturnType<typeof openEventStore>
  dropSchema: (schema: string) => Promise<void>
}

const engines: EngineCase[] = [
  { name: 'PGlite', open: (schema, dataDir) => openEventStore({ dataDir: dataDir ?? join(tempDir(), 'db'), schema, host: 'host-a' }), dropSchema: async () => undefined },
  {
    name: 'PostgreSQL',
    open: (schema) => {
      if (!PG_URL) throw new Error('STACKDECK_TEST_PG_URL is not set: run inside scripts/with-test-env.sh')
      return openEventStore({ url: PG_URL, dataDir: '', schema, host: 'host-a' })
    },
    dropSchema: async (schema) => {
      const e = await openPgEngine({ url: PG_URL!, schema: 'public' })
      await e.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await e.close()
    },
  },
]

const T0 = Date.parse('2026-03-02T03:00:00Z')

/** The bus fuzz suite's generator, as text: every fate (accepted or refused), since the store must survive any. */
function fuzzPayloads(seed: number, n: number): Array<{ channel: string; payload: string }> {
  const r = rng(seed)
  const channels: FuzzChannel[] = [
    { channel: 'agent.heartbeat', kind: 'heartbeat' },
    { channel: 'orchestrator.regime', kind: 'regime' },
    { channel: 'risk.killswitch', kind: 'killswitch' },
    { channel: 'scanner.signals', kind: 'plain' },
  ]
  const out: Array<{ channel: string; payload: string }> = []
  while (out.length < n) {
    const m = makeMessage(r, r.pick(channels), ['agent-1', 'agent-2'])
    out.push({ channel: m.channel, payload: typeof m.data === 'string' ? m.data : m.data.toString('utf8') })
  }
  return out
}

describe.each(engines)('the history store on $name', (eng) => {
  const schema = `${runId}_${eng.name.toLowerCase()}`
  let store: EventStore
  let engine: SqlEngine
  let dataDir: string

  beforeAll(async () => {
    dataDir = join(tempDir(), 'db')
    const o = await eng.open(schema, dataDir)
    store = o.store
    engine = o.engine
    expect(o.migrated).toEqual({ from: 0, to: LATEST_VERSION })
  }, 120_000)
  afterAll(async () => {
    await engine?.close()
    await eng.dropSchema(schema)
  })

  it('stores a batch in one statement and pages through it by cursor, filtered by time, glob, source and agent', async () => {
    const batch = Array.from({ length: 250 }, (_, i) => ({
      receivedAt: T0 + i * 1000,
      channel: i % 2 ? 'agent.heartbeat' : 'orchestrator.regime_100%',
      type: i % 2 ? 'heartbeat' : 'regime',
      source: i % 5 === 0 ? 'scanner-1' : 'orchestrator',
      agent: i % 2 ? `agent-${i % 3}` : null,
      payload: JSON.stringify({ i }),
    }))
    expect(await store.append(batch)).toBe(250)

    const seen: number[] = []
    let after: number | undefined
    for (;;) {
      const page = await store.query({ channel: 'agent.*', limit: 50, ...(after !== undefined ? { after } : {}) })
      seen.push(...page.events.map((e) => (JSON.parse(e.payload) as { i: number }).i))
      if (page.next === null) break
      after = page.next
    }
    expect(seen).toEqual(batch.map((b, i) => (b.channel === 'agent.heartbeat' ? i : -1)).filter((i) => i >= 0))

    const hour = await store.query({ from: T0 + 10_000, to: T0 + 20_000, type: 'regime', limit: 1000 })
    expect(hour.events.map((e) => (JSON.parse(e.payload) as { i: number }).i)).toEqual([10, 12, 14, 16, 18])
    expect(hour.events[0]).toMatchObject({ channel: 'orchestrator.regime_100%', host: 'host-a', receivedAt: new Date(T0 + 10_000).toISOString() })
    // `%` and `_` in a glob match only themselves.
    expect((await store.query({ channel: 'orchestrator.regime_1%%', limit: 10 })).events).toHaveLength(0)
    expect((await store.query({ channel: 'orchestrator.regime_100?', limit: 1000 })).events).toHaveLength(125)
    expect((await store.query({ source: 'scanner-1', agent: 'agent-2', limit: 1000 })).events.map((e) => (JSON.parse(e.payload) as { i: number }).i)).toEqual([5, 35, 65, 95, 125, 155, 185, 215, 245])
    const newest = await store.query({ order: 'desc', limit: 3 })
    expect(newest.events.map((e) => (JSON.parse(e.payload) as { i: number }).i)).toEqual([249, 248, 247])
    expect((await store.query({ order: 'desc', before: newest.next!, limit: 1 })).events[0]!.payload).toBe('{"i":246}')
  })

  it('counts per minute and channel for the charts', async () => {
    const counts = await store.countsPerMinute({ from: T0, to: T0 + 120_000 })
    expect(counts).toEqual([
      { minute: new Date(T0).toISOString(), channel: 'agent.heartbeat', count: 30 },
      { minute: new Date(T0).toISOString(), channel: 'orchestrator.regime_100%', count: 30 },
      { minute: new Date(T0 + 60_000).toISOString(), channel: 'agent.heartbeat', count: 30 },
      { minute: new Date(T0 + 60_000).toISOString(), channel: 'orchestrator.regime_100%', count: 30 },
    ])
  })

  it("keeps an agent's status timeline and the state history, in order", async () => {
    await store.recordTransitions([
      { agent: 'exec-1', at: T0 + 1000, from: null, to: 'alive' },
      { agent: 'exec-1', at: T0 + 60_000, from: 'alive', to: 'silent', detail: { lastHeartbeatAgeMs: 31_000 } },
      { agent: 'exec-1', at: T0 + 120_000, from: 'silent', to: 'dead' },
      { agent: 'exec-2', at: T0 + 5000, from: null, to: 'alive' },
    ])
    const tl = await store.agentTimeline('exec-1', { from: T0, to: T0 + 3_600_000 })
    expect(tl.map((t) => `${t.from ?? '-'}>${t.to}`)).toEqual(['->alive', 'alive>silent', 'silent>dead'])
    expect(tl[1]!.detail).toEqual({ lastHeartbeatAgeMs: 31_000 })

    await store.recordState([
      { at: T0 + 2000, kind: 'killswitch', who: 'alice', why: 'spread blew out', detail: { engaged: true } },
      { at: T0 + 3000, kind: 'trading', who: 'killswitch', why: null, detail: { enabled: false, source: 'killswitch' } },
    ])
    const hist = await store.stateHistory({ from: T0, to: T0 + 10_000 })
    expect(hist.map((h) => [h.kind, h.who, h.why])).toEqual([
      ['killswitch', 'alice', 'spread blew out'],
      ['trading', 'killswitch', null],
    ])
    expect((await store.stateHistory({ kind: 'trading' }))[0]!.detail).toEqual({ enabled: false, source: 'killswitch' })
  })

  it("stores the bus fuzz suite's hostile payloads and serves them back without breaking queries", async () => {
    const payloads = fuzzPayloads(4242, 300)
    const base = T0 + 10_000_000
    await store.append(payloads.map((p, i) => ({ receivedAt: base + i, channel: p.channel, payload: p.payload, type: null, source: null, agent: null })))
    const back = await store.query({ from: base, limit: 1000 })
    expect(back.events).toHaveLength(300)
    back.events.forEach((e, i) => expect(e.payload).toBe(payloads[i]!.payload.replaceAll('\u0000', '\uFFFD')))
    expect((await store.query({ channel: '*', from: base, limit: 5 })).events).toHaveLength(5)
  })

  it('stores a batch sent again (a lost commit answer) once, and pages by bus id as GET /bus/events does', async () => {
    const base = 1_700_000_000_000_000
    const ev = (i: number) => ({ busId: base + i, receivedAt: T0 + 5_000_000 + i, channel: i % 2 ? 'data.market.ticks' : 'data.marketing', type: i % 2 ? 'data.market' : 'data', source: i % 4 === 1 ? 'feed-a' : 'feed-b', payload: JSON.stringify({ i }) })
    const batch = Array.from({ length: 40 }, (_, i) => ev(i))
    await store.append(batch)
    await store.append(batch.slice(10, 30))
    const all = await store.busPage({ since: base - 1, limit: 1000 })
    expect(all.events.map((e) => e.id - base)).toEqual(batch.map((_, i) => i))
    expect(all.top).toBe(base + 39)
    expect(all.events[3]).toEqual({ id: base + 3, channel: 'data.market.ticks', type: 'data.market', source: 'feed-b', ts: new Date(T0 + 5_000_003).toISOString(), payload: { i: 3 } })
    // The ring's type filter: a channel prefix at a dot boundary ('data.market' is not 'data.marketing').
    const market = await store.busPage({ since: base + 10, limit: 5, type: 'data.market' })
    expect(market.events.map((e) => e.id - base)).toEqual([11, 13, 15, 17, 19])
    expect(market.top).toBe(base + 39)
    expect((await store.busPage({ since: base - 1, limit: 100, type: 'data.market', source: 'feed-a' })).events.map((e) => e.id - base)).toEqual([1, 5, 9, 13, 17, 21, 25, 29, 33, 37])
    expect(await store.busPage({ since: base + 39, limit: 10 })).toEqual({ events: [], top: null })
  })

  it('keeps the agent registry: latest status and detail, a last heartbeat that never moves back', async () => {
    await store.upsertAgents([
      { id: 'exec-9', status: 'active', lastBeat: T0 + 10_000, detail: { name: 'Exec 9', group: 'execution' } },
      { id: 'scan-1', status: 'active', lastBeat: null },
    ])
    await store.upsertAgents([{ id: 'exec-9', status: 'dead', lastBeat: T0 + 5000 }])
    const agents = await store.agents()
    expect(agents.find((a) => a.id === 'exec-9')).toMatchObject({ status: 'dead', lastBeat: new Date(T0 + 10_000).toISOString(), detail: { name: 'Exec 9', group: 'execution' } })
    expect(agents.find((a) => a.id === 'scan-1')).toMatchObject({ status: 'active', lastBeat: null })
  })

  it('retention drops the oldest events first, by age and by size', async () => {
    const before = await store.stats()
    expect(before.events).toBeGreaterThan(500)
    const { dropped } = await store.enforceRetention({ maxAgeMs: 60_000, now: T0 + 120_000 })
    expect(dropped).toBe(60)
    const oldest = (await store.query({ limit: 1 })).events[0]!
    expect(oldest.receivedAt).toBe(new Date(T0 + 60_000).toISOString())

    const s = await store.stats()
    const limit = Math.floor(s.diskBytes / 2)
    const r = await store.enforceRetention({ maxBytes: limit })
    expect(r.dropped).toBeGreaterThan(0)
    const after = await store.stats()
    expect(after.events).toBe(s.events - r.dropped)
    // What is left is the newest: the first survivor follows the last one dropped.
    expect((await store.query({ limit: 1 })).events[0]!.cursor).toBeGreaterThan(oldest.cursor + r.dropped - 1)
  })

  it('migrations run from an empty database and from every earlier version, and are idempotent', async () => {
    expect(await currentVersion(engine)).toBe(LATEST_VERSION)
    expect(await migrate(engine)).toEqual({ from: LATEST_VERSION, to: LATEST_VERSION })
    for (let v = 0; v < MIGRATIONS.length; v++) {
      const s = `${schema}_v${v}`
      const o = await eng.open(s, join(tempDir(), 'db'))
      try {
        // A fresh database at version v (0 = empty), then the rest.
        await o.engine.query('DROP TABLE IF EXISTS events, agents, agent_transitions, state_history, schema_migrations CASCADE')
        if (v > 0) await migrate(o.engine, MIGRATIONS.slice(0, v))
        // A row written at version v (v1's columns, which every version has) must survive the rest.
        if (v > 0) await o.engine.query(`INSERT INTO events (received_at, channel, payload, bytes, host) VALUES (now(), 'old', '{}', 2, 'h')`)
        expect(await currentVersion(o.engine)).toBe(v === 0 ? 0 : MIGRATIONS[v - 1]!.version)
        expect(await migrate(o.engine)).toEqual({ from: v === 0 ? 0 : MIGRATIONS[v - 1]!.version, to: LATEST_VERSION })
        await o.store.append([{ busId: 7, receivedAt: T0, channel: 'x', payload: '{}' }])
        expect((await o.store.query({})).events.map((e) => e.channel)).toEqual(v > 0 ? ['old', 'x'] : ['x'])
      } finally {
        await o.engine.close()
        await eng.dropSchema(s)
      }
    }
  }, 120_000)

  it('a database newer than this build is refused, not written to', async () => {
    await engine.query(`INSERT INTO schema_migrations (version, name) VALUES (${LATEST_VERSION + 1}, 'from the future')`)
    await expect(migrate(engine)).rejects.toThrow(/newer than this Stackdeck knows/)
    await engine.query(`DELETE FROM schema_migrations WHERE version = ${LATEST_VERSION + 1}`)
  })
})

describe('the embedded store survives a restart', () => {
  it('events written before closing are there after reopening the same directory', async () => {
    const dataDir = join(tempDir(), 'db')
    const a = await openEventStore({ dataDir, host: 'h' })
    await a.store.append([{ receivedAt: T0, channel: 'risk.killswitch', payload: '{"engaged":true}' }])
    await a.engine.close()
    const b = await openEventStore({ dataDir, host: 'h' })
    try {
      expect(b.migrated).toEqual({ from: LATEST_VERSION, to: LATEST_VERSION })
      expect((await b.store.query({})).events.map((e) => e.payload)).toEqual(['{"engaged":true}'])
    } finally {
      await b.engine.close()
    }
  }, 120_000)
})
