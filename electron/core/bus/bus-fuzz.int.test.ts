/**
 * Bus fuzz on the REAL built host with the private test Redis: at least 10,000 seeded payloads
 * (deep nesting, huge key counts, non-finite numbers, non-objects, invalid JSON and UTF-8,
 * oversized, unicode junk) published on every kind of subscribed channel: heartbeats, the regime,
 * killswitch and its acks, command acks and plain event channels.
 *
 * Checked: while it runs, every WS `bus.update` frame arrives (no seq gap: a batch that failed to
 * serialise used to be dropped for every client) and parses; afterwards `/bus/events` (every page),
 * `/regime/state`, `/agents` and `/bus/status` answer 200 with JSON, the regime is the last valid
 * one sent, and per channel the host's accepted count and refusals by reason equal what the
 * generator built. Replay a failure with STACKDECK_FUZZ_SEED=<seed printed below>.
 */
import type { Redis } from 'ioredis'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AgentT, BusStatusT, BusUpdateT, EventsPageT, RegimeViewT } from '../api/contract/bus'
import { makeTokens, randomTag, sleep, type ApiHost, waitFor } from '../../../test-support/api-harness'
import { startStackdeckUnderTest } from '../../../test-support/stackdeck-under-test'
import type { HistoryStatusT } from '../api/contract/history'
import {
  makeMessage,
  rng,
  type FuzzChannel,
  type FuzzMessage,
  type Outcome,
} from '../../../test-support/bus-fuzz-payloads'
import { hasTestDocker } from '../../../test-support/docker-fixtures'
import { hasTestRedis, newTestRedis } from '../../../test-support/redis-fixture'

const enabled = hasTestDocker() && hasTestRedis()
const SEED = Number(process.env['STACKDECK_FUZZ_SEED'] ?? Date.now() % 2_147_483_647)
const TOTAL = Math.max(10_000, Number(process.env['STACKDECK_BUS_FUZZ_MESSAGES'] ?? 10_000))
/** Published between two checks that the host has taken everything: keeps Redis's pub/sub output buffer small. */
const BATCH = 500
const RUN = `bfz${randomTag()}`
const tokens = makeTokens()
/** The host keeps the regime in this fixed key; the suite restores it afterwards. */
const REGIME_KEY = 'stackdeck:regime'

const agents = Array.from({ length: 12 }, (_, i) => `${RUN}-a${i}`)
const channels: FuzzChannel[] = [
  ...agents.slice(0, 6).map((a) => ({ channel: `heartbeat.${a}`, kind: 'heartbeat' as const, agentId: a })),
  { channel: 'quant.regime.state', kind: 'regime' },
  { channel: 'risk.killswitch.ack', kind: 'killswitch-ack' },
  { channel: 'risk.killswitch', kind: 'killswitch' },
  ...agents.slice(0, 3).map((a) => ({ channel: `agent.${a}.ack`, kind: 'command-ack' as const })),
  { channel: `strategy.${RUN}`, kind: 'plain' },
  { channel: `data.market.${RUN}`, kind: 'plain' },
  { channel: `risk.${RUN}`, kind: 'plain' },
  { channel: 'news.signal.entity', kind: 'plain' },
]
/** risk.killswitch makes the host re-read two keys per message; a few hundred say enough. */
const weight = (c: FuzzChannel) => (c.kind === 'killswitch' ? 0.25 : 1)

describe.skipIf(!enabled)('bus fuzz: no message poisons REST or the live stream', () => {
  let stopSut: (() => Promise<void>) | undefined
  let host: ApiHost
  let pub: Redis
  let sock: WebSocket
  let regimeBefore: string | null = null
  const frames: BusUpdateT[] = []
  const frameErrors: string[] = []
  const sent: FuzzMessage[] = []

  beforeAll(async () => {
    console.log(`[bus-fuzz] seed ${SEED} (replay: STACKDECK_FUZZ_SEED=${SEED}), ${TOTAL} messages`)
    pub = newTestRedis()
    regimeBefore = await pub.get(REGIME_KEY)
    // The history store is on too: every payload that reaches the ring is also stored and served back.
    const sut = await startStackdeckUnderTest({
      run: RUN,
      tag: RUN,
      tokens,
      api: { rateLimitPerMinute: 100_000 },
      schedule: { enabled: false },
      redis: { killswitchPausesStack: false },
      store: true,
    })
    stopSut = sut.stop
    host = sut.host
    await waitFor('the host bus to be ready', async () => (await status()).connection.state === 'ready')
    sock = new WebSocket(`ws://127.0.0.1:${host.port}/api/ws`, ['stackdeck.v1', `bearer.${tokens.read}`])
    await new Promise((res, rej) => {
      sock.once('open', res)
      sock.once('error', rej)
    })
    sock.on('message', (d: Buffer) => {
      try {
        const m = JSON.parse(d.toString('utf8')) as { event?: string; payload?: unknown }
        if (m.event === 'bus.update') frames.push(m.payload as BusUpdateT)
      } catch (err) {
        frameErrors.push((err as Error).message)
      }
    })
  })

  afterAll(async () => {
    sock?.close()
    await stopSut?.()
    if (pub) {
      if (regimeBefore === null) await pub.del(REGIME_KEY)
      else await pub.set(REGIME_KEY, regimeBefore)
      pub.disconnect()
    }
  })

  async function status(): Promise<BusStatusT> {
    const r = await host.client.get('/bus/status', tokens.read)
    expect(r.status).toBe(200)
    return r.json as BusStatusT
  }

  /** Messages the host has counted on our channels (accepted + refused). */
  async function received(): Promise<number> {
    const mine = new Set(channels.map((c) => c.channel))
    return (await status()).channels
      .filter((c) => mine.has(c.channel))
      .reduce((n, c) => n + c.count + c.malformed, 0)
  }

  it(`takes ${TOTAL} random payloads on every subscribed channel kind, within a time bound`, async () => {
    const r = rng(SEED)
    const totalWeight = channels.reduce((n, c) => n + weight(c), 0)
    const pickChannel = () => {
      let x = r.next() * totalWeight
      for (const c of channels) if ((x -= weight(c)) < 0) return c
      return channels[channels.length - 1]!
    }
    const t0 = Date.now()
    const before = await received()
    expect(before).toBe(0)
    // The two reported repros first, by name.
    const repro = `{"a":${'['.repeat(6000)}${']'.repeat(6000)}}`
    const fixed: FuzzMessage[] = [
      {
        channel: `strategy.${RUN}`,
        kind: 'plain',
        data: repro,
        expect: 'too_deep',
        gen: 'reported-strategy',
      },
      {
        channel: 'quant.regime.state',
        kind: 'regime',
        data: `{"regime":"poison","confidence":0.5,"x":${repro}}`,
        expect: 'too_deep',
        gen: 'reported-regime',
      },
      {
        channel: `heartbeat.${agents[0]}`,
        kind: 'heartbeat',
        data: `{"agent_id":"${agents[0]}","name":"n","group":"signals","status":"active","timestamp":1,"step":1e999}`,
        expect: 'non_finite',
        gen: 'reported-step',
      },
    ]
    let queue = [...fixed]
    while (sent.length < TOTAL) {
      while (queue.length < BATCH && sent.length + queue.length < TOTAL)
        queue.push(makeMessage(r, pickChannel(), agents))
      const p = pub.pipeline()
      for (const m of queue) p.publish(m.channel, m.data)
      await p.exec()
      sent.push(...queue)
      queue = []
      // Wait for the host to count everything so far: pub/sub drops a subscriber whose buffer
      // overflows, and then the counters could not add up for reasons outside this test.
      let got = 0
      await waitFor(
        `the host to count ${sent.length} messages`,
        async () => (got = await received()) >= sent.length,
        30_000,
        50,
      ).catch((err: Error) => {
        throw new Error(`${err.message} (counted ${got}; seed ${SEED})`)
      })
      expect(got, `seed ${SEED}`).toBe(sent.length)
    }
    const seconds = (Date.now() - t0) / 1000
    console.log(
      `[bus-fuzz] ${sent.length} messages on ${channels.length} channels in ${seconds.toFixed(1)} s`,
    )
    expect(seconds).toBeLessThan(90)
    expect(host.alive()).toBe(true)
  })

  it('the refusal counters add up, per channel and per reason', async () => {
    const s = await status()
    const want = new Map<string, Map<Outcome, number>>()
    for (const m of sent) {
      const byOutcome = want.get(m.channel) ?? new Map<Outcome, number>()
      byOutcome.set(m.expect, (byOutcome.get(m.expect) ?? 0) + 1)
      want.set(m.channel, byOutcome)
    }
    const mismatches: string[] = []
    for (const [channel, byOutcome] of want) {
      const got = s.channels.find((c) => c.channel === channel)
      const { accepted = 0, ...refused } = Object.fromEntries(byOutcome) as Record<Outcome, number>
      const actual = { count: got?.count ?? 0, refused: got?.malformedByReason ?? {} }
      const expected = { count: accepted, refused }
      if (JSON.stringify(sortKeys(actual)) !== JSON.stringify(sortKeys(expected))) {
        mismatches.push(
          `${channel}: expected ${JSON.stringify(sortKeys(expected))}, got ${JSON.stringify(sortKeys(actual))}`,
        )
      }
    }
    expect(mismatches, `seed ${SEED}`).toEqual([])
    const reasons = new Set(sent.map((m) => m.expect))
    for (const r of [
      'accepted',
      'oversized',
      'not_json',
      'not_object',
      'too_deep',
      'too_many_keys',
      'non_finite',
      'bad_shape',
    ] as const) {
      expect(reasons.has(r), `generator produced ${r}`).toBe(true)
    }
    const refusedSent = sent.filter((m) => m.expect !== 'accepted').length
    expect(s.totals.malformed).toBe(refusedSent)
    expect(Object.values(s.totals.malformedByReason).reduce((a, b) => a + b, 0)).toBe(refusedSent)
  })

  it('the history store keeps what the ring accepted and serves every page back', async () => {
    const ringCount = async () => {
      let since = 0
      let n = 0
      for (;;) {
        const page = (await host.client.get(`/bus/events?since=${since}&limit=200`, tokens.read)).json as EventsPageT
        n += page.events.length
        if (page.events.length === 0 || page.nextCursor <= since) return n
        since = page.nextCursor
      }
    }
    const storedCount = async () => {
      let n = 0
      let after = 0
      for (;;) {
        const r = await host.client.get(`/history/events?after=${after}&limit=1000`, tokens.read)
        expect(r.status, r.text.slice(0, 300)).toBe(200)
        const page = r.json as { events: Array<{ payload: string }>; next: number | null }
        for (const e of page.events) expect(typeof e.payload).toBe('string')
        n += page.events.length
        if (page.next === null) return n
        after = page.next
      }
    }
    // The ring holds all of this run (capacity 10k): once the writer caught up, the store holds the same.
    let ring = 0
    let stored = 0
    await waitFor('the store to hold what the ring holds', async () => {
      ring = await ringCount()
      stored = await storedCount()
      return stored === ring
    }, 30_000).catch(() => undefined)
    const st = (await host.client.get('/history/status', tokens.read)).json as HistoryStatusT
    console.log(`[bus-fuzz] history: ${stored} stored of ${ring} in the ring, dropped ${JSON.stringify(st.dropped)}`)
    expect({ stored, dropped: st.dropped, state: st.state }, `seed ${SEED}`).toEqual({ stored: ring, dropped: { evicted: 0, overflow: 0 }, state: 'writing' })
    expect(stored).toBeGreaterThan(1000)
  })

  it('REST still serialises: every page of /bus/events, /regime/state, /agents', async () => {
    let since = 0
    let pages = 0
    let events = 0
    for (;;) {
      const r = await host.client.get(`/bus/events?since=${since}&limit=200`, tokens.read)
      expect(r.status, r.text.slice(0, 300)).toBe(200)
      const page = r.json as EventsPageT
      expect(page).toBeDefined()
      expect(r.text).not.toContain('stackdeck:unserialisable') // nothing needed repairing
      pages++
      events += page.events.length
      if (page.events.length === 0 || page.nextCursor <= since) break
      since = page.nextCursor
    }
    expect(events).toBeGreaterThan(1000)
    console.log(`[bus-fuzz] /bus/events: ${events} events in ${pages} pages`)

    const reg = await host.client.get('/regime/state', tokens.read)
    expect(reg.status).toBe(200)
    const lastRegime = [...sent].reverse().find((m) => m.kind === 'regime' && m.expect === 'accepted')!
    expect((reg.json as RegimeViewT).regime).toBe(
      (JSON.parse(lastRegime.data as string) as { regime: string }).regime,
    )

    const ag = await host.client.get('/agents', tokens.read)
    expect(ag.status).toBe(200)
    const list = (ag.json as { agents: AgentT[] }).agents.filter((a) => a.id.startsWith(RUN))
    const beat = new Set(
      sent
        .filter((m) => m.kind === 'heartbeat' && m.expect === 'accepted')
        .map((m) => (JSON.parse(m.data as string) as { agent_id: string }).agent_id),
    )
    expect(list.map((a) => a.id).sort()).toEqual([...beat].sort())
    for (const a of list) {
      if (a.step !== undefined) expect(Number.isFinite(a.step)).toBe(true)
      for (const an of a.anomalies) {
        expect(Number.isFinite(an.previous) && Number.isFinite(an.received), an.message).toBe(true)
        expect(an.message).not.toMatch(/Infinity|null/)
      }
    }
  })

  it('the WS stream carried every batch, and still answers', async () => {
    const seqAtEnd = frames.at(-1)?.seq ?? 0
    await sleep(1500) // rates are re-sent every second: the stream must still be flowing
    expect(frameErrors).toEqual([])
    expect(frames.length).toBeGreaterThan(10)
    expect(frames.at(-1)!.seq).toBeGreaterThan(seqAtEnd)
    const seqs = frames.map((f) => f.seq)
    const gaps = seqs.filter((s, i) => i > 0 && s !== seqs[i - 1]! + 1)
    expect(gaps, 'bus.update batches missing on the wire').toEqual([])
    const agentsSeen = new Set(frames.flatMap((f) => f.agents.map((a) => a.id)))
    for (const a of agents.slice(0, 6)) {
      if (sent.some((m) => m.channel === `heartbeat.${a}` && m.expect === 'accepted'))
        expect(agentsSeen.has(a)).toBe(true)
    }
    const reply = new Promise<{ ok?: boolean }>((res) => {
      sock.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString('utf8')) as { id?: unknown; ok?: boolean }
        if (m.id === 'fz') res(m)
      })
    })
    sock.send(JSON.stringify({ id: 'fz', op: 'bus.events', input: { limit: 200 } }))
    expect(await reply).toMatchObject({ ok: true })
  })
})

function sortKeys(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v
  return Object.fromEntries(
    Object.entries(v)
      .filter(([, x]) => x !== 0)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, x]) => [k, sortKeys(x)]),
  )
}
