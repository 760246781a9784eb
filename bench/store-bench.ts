/**
 * The history store (issue 16): what keeping every bus event costs the host, how fast the stored
 * history answers, and what it takes on disk. Both engines: embedded PGlite (in its worker thread,
 * files in a temp dir) and the test PostgreSQL (a fresh schema, dropped afterwards).
 *
 *   bash scripts/with-test-env.sh node --import tsx bench/store-bench.ts [options]
 *   npm run bench -- --only store [options]
 *
 *   --minutes M     measured ingest window per run (default 1; the issue's full run: 10)
 *   --warmup S      unmeasured seconds before each window (default 10)
 *   --events N      stored events the queries run on (default 1000000; the issue's: 10000000)
 *   --days D        the time those events span, ending now (default 7)
 *   --rate R        bus events per second besides the heartbeats (default 10000)
 *   --agents A      agents beating at 1 Hz on heartbeat.<id> (default 1000)
 *   --engines LIST  pglite,postgres (default both)
 *   --phases LIST   ingest,queries (default both)
 *   --repeats K     timed runs per query, after one warm-up (default 15)
 *
 * 1. Ingest. A publisher in its own process sends `rate` events/s over five channel kinds (quotes
 *    on data.market.<symbol>, trades, strategy candidates, risk exposure, news) plus `agents`
 *    heartbeats/s, paced by the wall clock. This process runs the real BusClient and, for the
 *    "store on" runs, the real HistoryService (the writer over busEventFeed, as create-core wires
 *    it). Per engine, one run with the store off and then one with it on, under the same load:
 *      - store lag: every 250 ms, the newest stored event's age (now - its received_at, read back
 *        through EventStore.query), p99 over the window. Goal < 1 s;
 *      - drops: history status dropped.evicted + dropped.overflow at the end. Goal 0;
 *      - host CPU: process.cpuUsage() over the window, store on / store off. Goal <= 1.5x. It counts
 *        every thread of this process, PGlite's worker included; PostgreSQL's own processes are not
 *        this process (their CPU is printed beside it, from /proc, when found);
 *      - heartbeat -> registry: every heartbeat carries its publish time (sent_ms); a listener added
 *        after the bus's own on the subscriber sees the message right after ingest handled it,
 *        checks the registry holds that beat, and records now - sent_ms. p99, store on / store off:
 *        goal <= 1.1x. The Monitor's absolute target (heartbeat -> grid p99 < 250 ms, of which this
 *        is the first leg) is a second goal.
 * 2. Queries on `events` stored events, bulk-loaded with the engine's own SQL (INSERT ... SELECT
 *    FROM generate_series, the same channel/type/agent mix as the publisher, spread evenly over
 *    `days`), through EventStore.query, page size 1000 (the API's largest):
 *      - last hour of type data.market (the busiest type, ~73% of events) and of type strategy (~5%);
 *      - an agent's day (agent-0003: heartbeats and strategy candidates, one whole UTC day).
 *    p95 over `repeats` runs. Goal on PostgreSQL < 100 ms; PGlite's figure printed beside it, no
 *    goal. Baseline for the ratio: one sequential scan of the same table (count(*) WHERE bytes >= 0,
 *    a column no index holds), the cost of answering without the indexes. PostgreSQL is ANALYZEd
 *    first (what autovacuum does within a minute of the load); PGlite has no autovacuum and the
 *    store never runs ANALYZE, so its figures are taken as the store leaves it and again after one.
 * 3. Disk: pg_total_relation_size('events') / count on each engine (after the ingest runs, whose
 *    rows came through the writer, and after the bulk load), and PGlite's data directory on disk.
 *
 * Nothing here asserts: a missed goal is a result (MET / NOT MET and the BENCH_JSON line); the bench
 * exits non-zero only when it could not measure.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { cpus, hostname, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Redis } from 'ioredis'
import { BusClient } from '../electron/core/bus/bus-client'
import { EventStore, type EventQuery, type EventRecord } from '../electron/core/store/event-store'
import { HistoryService } from '../electron/core/store/history-service'
import { openEventStore, type StoreLocation } from '../electron/core/store/open-store'
import { openPgEngine } from '../electron/core/store/pg-engine'
import type { SqlEngine } from '../electron/core/store/sql-engine'
import { busEventFeed } from '../electron/core/wiring/history-bridges'
import { goal, median, printBenchJson, printGoals, type Goal } from './report'

const LAG_GOAL_MS = 1000
const CPU_GOAL_RATIO = 1.5
const HEARTBEAT_GOAL_RATIO = 1.1
/** The Monitor's heartbeat-to-grid p99 target (bench/ui-monitor-bench.ts); registry is its first leg. */
const HEARTBEAT_TARGET_MS = 250
const QUERY_GOAL_MS = 100
const PAGE = 1000
const LAG_SAMPLE_MS = 250

type Engine = 'pglite' | 'postgres'

// ---------------------------------------------------------------- options

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
function num(name: string, def: number): number {
  const s = arg(name)
  const v = s === undefined ? def : Number(s)
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number, got ${s}`)
  return v
}
function list<T extends string>(name: string, known: readonly T[]): T[] {
  const s = arg(name)
  if (s === undefined) return [...known]
  const xs = s.split(',').filter(Boolean)
  const bad = xs.filter((x) => !(known as readonly string[]).includes(x))
  if (bad.length || xs.length === 0) throw new Error(`--${name}: unknown ${bad.join(', ') || '(empty)'}; known: ${known.join(', ')}`)
  return xs as T[]
}

// ---------------------------------------------------------------- the load (shared by publisher and bulk load)

const SYMBOLS = ['ES', 'NQ', 'AAPL', 'MSFT', 'NVDA', 'TSLA', 'CL', 'GC']
const GROUPS = ['ingestion', 'signals', 'execution', 'orchestration']
/** agent-0000 … agent-0019 are strategies: they also publish strategy.candidate with their agent_id. */
const STRATEGY_AGENTS = 20
const QUERY_AGENT = 'agent-0003'
const agentId = (i: number) => `agent-${String(i).padStart(4, '0')}`
const containerOf = (i: number) => `${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}c0de`

/** One non-heartbeat event, by its sequence number: 80% quotes, 10% trades, 5% strategy, 3% risk, 2% news. */
function eventMessage(seq: number, now: number): [string, string] {
  const k = seq % 100
  const s = SYMBOLS[seq % SYMBOLS.length]!
  const mid = 100 + (seq % 997) / 10
  if (k < 80) {
    return [
      `data.market.${s}`,
      JSON.stringify({ symbol: s, bid: +(mid - 0.01).toFixed(2), ask: +(mid + 0.01).toFixed(2), bid_size: 100 + (seq % 900), ask_size: 200 + (seq % 700), ts: now, seq, source: 'feed-quotes' }),
    ]
  }
  if (k < 90) {
    return ['data.market.trades', JSON.stringify({ symbol: s, price: +mid.toFixed(2), size: 1 + (seq % 500), side: seq % 2 ? 'buy' : 'sell', trade_id: `T${seq}`, ts: now, source: 'feed-trades' })]
  }
  if (k < 95) {
    return [
      'strategy.candidate',
      JSON.stringify({ agent_id: agentId(seq % STRATEGY_AGENTS), symbol: s, action: seq % 3 ? 'BUY' : 'SELL', confidence: +(0.5 + (seq % 50) / 100).toFixed(2), horizon_s: 300, reason: 'momentum breakout above VWAP', source: 'strategy-momentum' }),
    ]
  }
  if (k < 98) {
    return ['risk.exposure', JSON.stringify({ account: `ACC-${seq % 4}`, gross: 1_250_000 + (seq % 10_000), net: -35_000 + (seq % 70_000), var_95: 41_000 + (seq % 3000), limit_gross: 2_000_000, utilisation: 0.63, ts: now, source: 'risk-engine' })]
  }
  return [
    'news.signal.entity',
    JSON.stringify({ entity: s, headline: `${s}: guidance raised after quarterly results beat consensus on margins and volume`, sentiment: 0.42, relevance: 0.88, ts: now, source: 'news-nlp' }),
  ]
}

function heartbeatMessage(i: number, step: number, now: number): [string, string] {
  const id = agentId(i)
  return [
    `heartbeat.${id}`,
    JSON.stringify({
      agent_id: id,
      name: `Agent ${i}`,
      group: GROUPS[i % GROUPS.length],
      status: 'active',
      timestamp: new Date(now).toISOString(),
      step,
      hostname: `node-${i % 8}`,
      container_id: containerOf(i),
      cpu_pct: 12.5,
      rss_mb: 180 + (i % 64),
      queue_depth: i % 7,
      sent_ms: now,
    }),
  ]
}

// ---------------------------------------------------------------- publisher (child process)

function publisherMain(url: string, rate: number, agents: number): void {
  const TICK_MS = 10
  const MAX_INFLIGHT = 20
  const redis = new Redis(url, { maxRetriesPerRequest: null, connectionName: 'store-bench-publisher' })
  redis.on('error', (err) => process.stderr.write(`[store-bench publisher] redis: ${err.message}\n`))
  const steps = new Array<number>(agents).fill(0)
  const start = Date.now()
  let beatCursor = 0
  let eventCursor = 0
  const sent = { beats: 0, events: 0, skipped: 0 }
  let inflight = 0
  const timer = setInterval(() => {
    const now = Date.now()
    const beatsDue = Math.floor(((now - start) * agents) / 1000)
    const eventsDue = Math.floor(((now - start) * rate) / 1000)
    if (inflight >= MAX_INFLIGHT) {
      // Redis (or this process) is behind: skip this tick's share rather than queue without bound.
      sent.skipped += beatsDue - beatCursor + (eventsDue - eventCursor)
      beatCursor = beatsDue
      eventCursor = eventsDue
      return
    }
    const p = redis.pipeline()
    for (; beatCursor < beatsDue; beatCursor++) {
      const i = beatCursor % agents
      const [ch, m] = heartbeatMessage(i, ++steps[i]!, now)
      p.publish(ch, m)
      sent.beats++
    }
    for (; eventCursor < eventsDue; eventCursor++) {
      const [ch, m] = eventMessage(eventCursor, now)
      p.publish(ch, m)
      sent.events++
    }
    if (p.length === 0) return
    inflight++
    p.exec()
      .catch((err: Error) => process.stderr.write(`[store-bench publisher] pipeline: ${err.message}\n`))
      .finally(() => inflight--)
  }, TICK_MS)
  process.on('message', (m: { cmd: 'count' } | { cmd: 'exit' }) => {
    if (m.cmd === 'count') process.send?.({ at: Date.now(), ...sent })
    else {
      clearInterval(timer)
      redis.disconnect()
      process.exit(0)
    }
  })
  process.send?.({ ready: true })
}

interface Sent {
  at: number
  beats: number
  events: number
  skipped: number
}

class Publisher {
  private constructor(private readonly child: ChildProcess) {}
  static async start(url: string, rate: number, agents: number): Promise<Publisher> {
    const child = fork(fileURLToPath(import.meta.url), ['--publisher', url, String(rate), String(agents)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve())
      child.once('exit', (code) => reject(new Error(`publisher exited with ${code}`)))
    })
    return new Publisher(child)
  }
  get pid(): number | undefined {
    return this.child.pid
  }
  count(): Promise<Sent> {
    return new Promise((resolve) => {
      this.child.once('message', (m) => resolve(m as Sent))
      this.child.send({ cmd: 'count' })
    })
  }
  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r))
    this.child.send({ cmd: 'exit' })
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
    if (this.child.exitCode === null) this.child.kill('SIGKILL')
  }
}

// ---------------------------------------------------------------- helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)))

function pct(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!
}

/** Bytes a directory takes on disk (allocated blocks), recursively. */
function duBytes(dir: string): number {
  let total = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) total += duBytes(p)
    else total += statSync(p).blocks * 512
  }
  return total
}

/**
 * utime+stime, in seconds, of the PostgreSQL server listening on `port` (its postmaster, found by
 * its `-p <port>` argument, and the postmaster's children), from Linux /proc; null when not found.
 * Other servers on the machine (other test environments) are not counted.
 */
function postgresCpuSeconds(port: string): number | null {
  const procs: Array<{ pid: string; ppid: string; cmd: string; cpu: number }> = []
  let dirs: string[]
  try {
    dirs = readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  } catch {
    return null
  }
  for (const pid of dirs) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')
      if (!cmd.includes('postgres')) continue
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      procs.push({ pid, ppid: f[1]!, cmd, cpu: (Number(f[11]) + Number(f[12])) / 100 })
    } catch {
      // gone, or not ours to read
    }
  }
  const master = procs.find((p) => / -p (\S+)/.exec(p.cmd)?.[1] === port)
  if (!master) return null
  return procs.filter((p) => p === master || p.ppid === master.pid).reduce((a, p) => a + p.cpu, 0)
}

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`
const ms1 = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a')
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN)
const rx = (v: number) => (Number.isFinite(v) ? `${v.toFixed(3)}x` : 'n/a')

let schemaSeq = 0
const freshSchema = () => `bench_store_${process.pid}_${Date.now().toString(36)}_${schemaSeq++}`

async function dropSchema(url: string, schema: string): Promise<void> {
  const e = await openPgEngine({ url, schema: 'public' })
  try {
    await e.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await e.close()
  }
}

interface Where {
  engine: Engine
  loc: StoreLocation
  /** Remove what the run created (PGlite's directory, PostgreSQL's schema). */
  cleanup(): Promise<void>
  /** The PGlite data directory, to measure on disk. */
  dataDir: string | null
}

function placeFor(engine: Engine, pgUrl: string | undefined): Where {
  if (engine === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'stackdeck-store-bench-'))
    const dataDir = join(dir, 'history')
    return {
      engine,
      loc: { dataDir, host: `${hostname()}:${process.pid}` },
      dataDir,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    }
  }
  if (!pgUrl) throw new Error('STACKDECK_TEST_PG_URL is not set')
  const schema = freshSchema()
  return { engine, loc: { url: pgUrl, dataDir: '', schema, host: `${hostname()}:${process.pid}` }, dataDir: null, cleanup: () => dropSchema(pgUrl, schema) }
}

// ---------------------------------------------------------------- 1. ingest

interface IngestRun {
  mode: 'off' | Engine
  seconds: number
  /** Events and heartbeats the bus accepted per second in the window. */
  acceptedPerS: number
  /** What the publisher sent per second in the window (and skipped, when Redis fell behind). */
  sentPerS: number
  skippedByPublisher: number
  cpuCores: number
  postgresCpuCores: number | null
  eventLoopP99Ms: number
  /** 1-minute load average at the end of the window, and the machine's cores: other work shows here. */
  loadAvg: number
  heartbeat: { n: number; p50: number; p99: number; max: number; notInRegistry: number }
  store: null | {
    lagP50Ms: number
    lagP99Ms: number
    lagMaxMs: number
    lagSamples: number
    writerLagMaxMs: number
    written: number
    dropped: { evicted: number; overflow: number }
    state: string
    reason: string | null
    events: number
    diskBytes: number
    bytesPerEvent: number
    payloadBytesPerEvent: number
    dataDirBytes: number | null
    types: Record<string, number>
  }
}

async function startBus(url: string): Promise<BusClient> {
  const bus = new BusClient(
    { url, killswitchKey: 'stackdeck-store-bench:killswitch', tradingKey: 'stackdeck-store-bench:trading', regimeKey: null },
    { setTradingEnabled: async () => undefined, audit: () => undefined },
  )
  await bus.start()
  await bus.whenReady()
  return bus
}

/** Heartbeat -> registry: right after ingest handled a heartbeat, is it in the registry, and how old is it? */
function watchHeartbeats(bus: BusClient): { take(): { lat: number[]; missing: number }; reset(): void; off(): void } {
  const prefix = Buffer.from('heartbeat.')
  const key = Buffer.from('"sent_ms":')
  const stepKey = Buffer.from('"step":')
  let lat: number[] = []
  let missing = 0
  const readInt = (b: Buffer, at: number) => {
    let v = 0
    for (let i = at; i < b.length; i++) {
      const c = b[i]!
      if (c < 48 || c > 57) break
      v = v * 10 + (c - 48)
    }
    return v
  }
  const onMsg = (pattern: string, channel: Buffer, message: Buffer) => {
    if (pattern !== 'heartbeat.*' || channel.length <= prefix.length || channel.compare(prefix, 0, prefix.length, 0, prefix.length) !== 0) return
    const k = message.indexOf(key)
    if (k < 0) return
    const now = Date.now()
    const sent = readInt(message, k + key.length)
    const s = message.indexOf(stepKey)
    const step = s < 0 ? -1 : readInt(message, s + stepKey.length)
    const agent = bus.registry.get(channel.toString('latin1', prefix.length), now)
    if (agent?.step !== step) missing++
    else lat.push(now - sent)
  }
  bus.link.sub.on('pmessageBuffer', onMsg)
  return {
    take: () => ({ lat, missing }),
    reset: () => {
      lat = []
      missing = 0
    },
    off: () => void bus.link.sub.off('pmessageBuffer', onMsg),
  }
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now()
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`store-bench: timed out waiting for ${what}`)
    await sleep(50)
  }
}

async function ingestRun(mode: IngestRun['mode'], o: { redisUrl: string; pgUrl: string | undefined; pub: Publisher; warmupS: number; windowS: number }): Promise<IngestRun> {
  const place = mode === 'off' ? null : placeFor(mode, o.pgUrl)
  const bus = await startBus(o.redisUrl)
  const beats = watchHeartbeats(bus)
  let svc: HistoryService | null = null
  try {
    if (place) {
      svc = new HistoryService({
        location: place.loc,
        feed: busEventFeed(bus),
        channels: [],
        retention: { maxAgeDays: 30, maxBytes: 2 * 1024 ** 3, warnAtPercent: 80 },
        notify: (n) => console.error(`[store-bench] history alert: ${n.title}`),
        log: (m) => console.error(`[store-bench] history: ${m}`),
      })
      svc.start()
      await waitFor(() => svc!.status().state === 'writing', 60_000, `the ${mode} store to open`)
    }
    await sleep(o.warmupS * 1000)

    // The measured window.
    const lags: number[] = []
    let writerLagMax = 0
    let sampling = true
    const sampler = (async () => {
      if (!svc) return
      const store = svc.ready()
      while (sampling) {
        const t = Date.now()
        const st = svc.status()
        writerLagMax = Math.max(writerLagMax, st.lagMs)
        const { events } = await store.query({ order: 'desc', limit: 1 })
        const newest = events[0] ? Date.parse(events[0].receivedAt) : NaN
        if (Number.isFinite(newest)) lags.push(Date.now() - newest)
        await sleep(LAG_SAMPLE_MS - (Date.now() - t))
      }
    })()
    const eld = monitorEventLoopDelay({ resolution: 10 })
    beats.reset()
    const sent0 = await o.pub.count()
    const acc0 = bus.stats.totalAccepted
    const pgPort = o.pgUrl ? new URL(o.pgUrl).port || '5432' : ''
    const pg0 = mode === 'postgres' ? postgresCpuSeconds(pgPort) : null
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    eld.enable()
    await sleep(o.windowS * 1000)
    eld.disable()
    const cpu = process.cpuUsage(c0)
    const seconds = (performance.now() - t0) / 1000
    const pg1 = mode === 'postgres' ? postgresCpuSeconds(pgPort) : null
    const acc1 = bus.stats.totalAccepted
    const sent1 = await o.pub.count()
    const hb = beats.take()
    sampling = false
    await sampler

    let store: IngestRun['store'] = null
    if (svc && place) {
      // Stop the inflow, let the writer catch up with what the ring holds, then read the figures.
      beats.off()
      await bus.stop()
      // Caught up: nothing buffered and nothing more written for a second (the ring is read every 200 ms).
      for (let t = Date.now(), last = -1; Date.now() - t < 30_000; ) {
        const st = svc.status()
        if (st.buffered === 0 && st.written === last) break
        last = st.written
        await sleep(1000)
      }
      const es = svc.ready()
      const stats = await es.stats()
      const types = await typeCounts(es)
      const st = svc.status()
      await svc.stop()
      svc = null
      store = {
        lagP50Ms: pct(lags, 50),
        lagP99Ms: pct(lags, 99),
        lagMaxMs: lags.length ? Math.max(...lags) : NaN,
        lagSamples: lags.length,
        writerLagMaxMs: writerLagMax,
        written: st.written,
        dropped: st.dropped,
        state: st.state,
        reason: st.reason,
        events: stats.events,
        diskBytes: stats.diskBytes,
        bytesPerEvent: stats.events ? stats.diskBytes / stats.events : NaN,
        payloadBytesPerEvent: stats.events ? stats.payloadBytes / stats.events : NaN,
        dataDirBytes: place.dataDir ? duBytes(place.dataDir) : null,
        types,
      }
    }
    return {
      mode,
      seconds,
      acceptedPerS: (acc1 - acc0) / seconds,
      sentPerS: (sent1.beats + sent1.events - sent0.beats - sent0.events) / ((sent1.at - sent0.at) / 1000),
      skippedByPublisher: sent1.skipped - sent0.skipped,
      cpuCores: (cpu.user + cpu.system) / 1e6 / seconds,
      postgresCpuCores: pg0 !== null && pg1 !== null ? (pg1 - pg0) / seconds : null,
      eventLoopP99Ms: eld.percentile(99) / 1e6,
      loadAvg: loadavg()[0]!,
      heartbeat: { n: hb.lat.length, p50: pct(hb.lat, 50), p99: pct(hb.lat, 99), max: hb.lat.length ? Math.max(...hb.lat) : NaN, notInRegistry: hb.missing },
      store,
    }
  } finally {
    beats.off()
    if (svc) await svc.stop().catch(() => undefined)
    await bus.stop().catch(() => undefined)
    if (place) await place.cleanup().catch((err: unknown) => console.error(`[store-bench] cleanup: ${(err as Error).message}`))
  }
}

/** Stored events per type, through the store's own query path is not possible (no group-by API): a count per known type. */
async function typeCounts(es: EventStore): Promise<Record<string, number>> {
  // EventStore has no per-type count; countsPerMinute groups by channel, which maps onto the types.
  const rows = await es.countsPerMinute({ from: 0, to: Date.now() + 60_000 })
  const out: Record<string, number> = {}
  for (const r of rows) {
    const t = r.channel.startsWith('data.market.') ? 'data.market' : r.channel.startsWith('heartbeat.') ? 'heartbeat' : r.channel.split('.')[0] === 'news' ? 'news.signal.entity' : r.channel.split('.')[0]!
    out[t] = (out[t] ?? 0) + r.count
  }
  return out
}

// ---------------------------------------------------------------- 2. queries

/**
 * The same mix as the live publisher, heartbeats included (1,000 per 10,000 events): per 1,000
 * events 727 quotes, 91 trades, 91 heartbeats, 45 strategy candidates, 27 risk, 19 news; a hash of
 * the row number picks the kind, so kinds interleave as on the bus. Times evenly spaced over
 * [start, start + span), in cursor order, as the writer would have stored them.
 */
const BULK_SQL = `
INSERT INTO events (received_at, channel, type, source, agent, payload, bytes, host)
SELECT t, channel, type, source, agent, payload, octet_length(payload), 'bench-load'
FROM (
  SELECT t, k, sym, mid, g,
    CASE WHEN k < 818 THEN CASE WHEN k < 727 THEN 'data.market.' || sym ELSE 'data.market.trades' END
         WHEN k < 909 THEN 'heartbeat.' || hb
         WHEN k < 954 THEN 'strategy.candidate'
         WHEN k < 981 THEN 'risk.exposure'
         ELSE 'news.signal.entity' END AS channel,
    CASE WHEN k < 818 THEN 'data.market' WHEN k < 909 THEN 'heartbeat' WHEN k < 954 THEN 'strategy' WHEN k < 981 THEN 'risk' ELSE 'news.signal.entity' END AS type,
    CASE WHEN k < 727 THEN 'feed-quotes' WHEN k < 818 THEN 'feed-trades' WHEN k < 909 THEN hb WHEN k < 954 THEN 'strategy-momentum' WHEN k < 981 THEN 'risk-engine' ELSE 'news-nlp' END AS source,
    CASE WHEN k < 818 THEN NULL WHEN k < 909 THEN hb WHEN k < 954 THEN st ELSE NULL END AS agent,
    CASE
      WHEN k < 727 THEN format('{"symbol":"%s","bid":%s,"ask":%s,"bid_size":%s,"ask_size":%s,"ts":%s,"seq":%s,"source":"feed-quotes"}', sym, mid - 0.01, mid + 0.01, 100 + g % 900, 200 + g % 700, ms, g)
      WHEN k < 818 THEN format('{"symbol":"%s","price":%s,"size":%s,"side":"%s","trade_id":"T%s","ts":%s,"source":"feed-trades"}', sym, mid, 1 + g % 500, CASE WHEN g % 2 = 0 THEN 'sell' ELSE 'buy' END, g, ms)
      WHEN k < 909 THEN format('{"agent_id":"%s","name":"Agent %s","group":"%s","status":"active","timestamp":"%s","step":%s,"hostname":"node-%s","container_id":"%s","cpu_pct":12.5,"rss_mb":%s,"queue_depth":%s,"sent_ms":%s}',
                               hb, a, (ARRAY['ingestion','signals','execution','orchestration'])[1 + a % 4], to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), g / 1000, a % 8, lpad(to_hex(a * 40503), 8, '0') || 'c0de', 180 + a % 64, a % 7, ms)
      WHEN k < 954 THEN format('{"agent_id":"%s","symbol":"%s","action":"%s","confidence":%s,"horizon_s":300,"reason":"momentum breakout above VWAP","source":"strategy-momentum"}', st, sym, CASE WHEN g % 3 = 0 THEN 'SELL' ELSE 'BUY' END, 0.5 + (g % 50) / 100.0)
      WHEN k < 981 THEN format('{"account":"ACC-%s","gross":%s,"net":%s,"var_95":%s,"limit_gross":2000000,"utilisation":0.63,"ts":%s,"source":"risk-engine"}', g % 4, 1250000 + g % 10000, -35000 + g % 70000, 41000 + g % 3000, ms)
      ELSE format('{"entity":"%s","headline":"%s: guidance raised after quarterly results beat consensus on margins and volume","sentiment":0.42,"relevance":0.88,"ts":%s,"source":"news-nlp"}', sym, sym, ms)
    END AS payload
  FROM (
    SELECT g, t, (extract(epoch FROM t) * 1000)::bigint AS ms, k, a,
      (ARRAY['ES','NQ','AAPL','MSFT','NVDA','TSLA','CL','GC'])[1 + (g % 8)::int] AS sym,
      round(100 + (g % 997) / 10.0, 2) AS mid,
      'agent-' || lpad(a::text, 4, '0') AS hb,
      'agent-' || lpad((g % ${STRATEGY_AGENTS})::text, 4, '0') AS st
    FROM (
      SELECT g, to_timestamp(($3::float8 + g * $4::float8) / 1000.0) AS t,
        ((hashint8(g)::bigint & 2147483647) % 1000)::int AS k,
        ((hashint8(g + 7919)::bigint & 2147483647) % $5::int)::int AS a
      FROM generate_series($1::bigint, $2::bigint) AS g
    ) s0
  ) s1
) s2
ORDER BY g`

/** The engine, remembering the last statement it ran, so a query built by EventStore can be EXPLAINed. */
function recording(e: SqlEngine): SqlEngine & { last: { sql: string; params: readonly unknown[] } | null } {
  const r: SqlEngine & { last: { sql: string; params: readonly unknown[] } | null } = {
    kind: e.kind,
    last: null,
    query: <R>(sql: string, params: readonly unknown[] = []) => {
      r.last = { sql, params }
      return e.query<R>(sql, params)
    },
    batch: (s) => e.batch(s),
    close: () => e.close(),
  }
  return r
}

interface QueryFigure {
  name: string
  rows: number
  firstMs: number
  medianMs: number
  p95Ms: number
  /** p95 / the sequential scan's median. */
  vsScan: number
  plan: string
}

interface QueryPhase {
  engine: Engine
  events: number
  loadSeconds: number
  scanMs: number
  figures: QueryFigure[]
  /** PGlite only: the same queries after an ANALYZE (the store never runs one; PGlite has no autovacuum). */
  analyzed: { scanMs: number; figures: QueryFigure[] } | null
  disk: { events: number; totalBytes: number; tableBytes: number; indexBytes: number; bytesPerEvent: number; payloadBytesPerEvent: number; dataDirBytes: number | null }
  /** EventStore.append of 5,000-event batches into the loaded table (after the figures above). */
  append: { p50Ms: number; p95Ms: number; eventsPerS: number }
}

async function timeIt<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now()
  const v = await fn()
  return [performance.now() - t0, v]
}

/** The plan's scan nodes, outermost first ("Limit > Sort > Bitmap Heap Scan on events > ..."). */
async function planOf(e: SqlEngine, stmt: { sql: string; params: readonly unknown[] }): Promise<string> {
  const rows = await e.query<Record<string, string>>(`EXPLAIN ${stmt.sql}`, stmt.params)
  return rows
    .map((r) => String(Object.values(r)[0]))
    .map((l) => /^\s*(?:->\s*)?([A-Z][A-Za-z ]+?(?: using \S+)?(?: on \S+)?)(?:\s+\(|$)/.exec(l)?.[1])
    .filter((x): x is string => Boolean(x))
    .join(' > ')
}

async function runQueries(store: EventStore, rec: ReturnType<typeof recording>, end: number, repeats: number): Promise<{ scanMs: number; figures: QueryFigure[] }> {
  const scans: number[] = []
  for (let i = 0; i < 3; i++) scans.push((await timeIt(() => rec.query(`SELECT count(*)::float8 AS n FROM events WHERE bytes >= 0`)))[0])
  const scanMs = median(scans)
  // A whole UTC day inside the span: the day before the last one.
  const day = Math.floor(end / 86_400_000) * 86_400_000 - 86_400_000
  const cases: Array<[string, EventQuery]> = [
    ['last hour, type data.market', { type: 'data.market', from: end - 3_600_000, to: end, limit: PAGE }],
    ['last hour, type strategy', { type: 'strategy', from: end - 3_600_000, to: end, limit: PAGE }],
    [`an agent's day (${QUERY_AGENT})`, { agent: QUERY_AGENT, from: day, to: day + 86_400_000, limit: PAGE }],
  ]
  const figures: QueryFigure[] = []
  for (const [name, q] of cases) {
    const [firstMs, first] = await timeIt(() => store.query(q))
    const stmt = rec.last!
    const runs: number[] = []
    for (let i = 0; i < repeats; i++) runs.push((await timeIt(() => store.query(q)))[0])
    const p95 = pct(runs, 95)
    figures.push({ name, rows: first.events.length, firstMs, medianMs: median(runs), p95Ms: p95, vsScan: ratio(p95, scanMs), plan: await planOf(rec, stmt) })
  }
  return { scanMs, figures }
}

/** An event as busEventFeed hands it to the writer: type from the subscribed pattern, source and agent from the payload. */
function recordOf([channel, text]: [string, string], receivedAt: number): EventRecord {
  const p = JSON.parse(text) as { source?: string; agent_id?: string }
  const type = channel.startsWith('data.market.') ? 'data.market' : channel.startsWith('heartbeat.') ? 'heartbeat' : channel === 'news.signal.entity' ? channel : channel.split('.')[0]!
  return { receivedAt, channel, type, source: p.source ?? p.agent_id ?? null, agent: p.agent_id ?? null, payload: text }
}

/**
 * The writer's capacity on this table: EventStore.append of `batches` batches of the writer's size
 * (5,000, HistoryWriter's maxBatch) of the live mix, one after the other, as the writer does.
 */
async function appendTiming(store: EventStore, batches: number, size: number): Promise<{ p50Ms: number; p95Ms: number; eventsPerS: number }> {
  const runs: number[] = []
  let seq = 0
  for (let b = 0; b < batches; b++) {
    const now = Date.now()
    const recs: EventRecord[] = []
    for (let i = 0; i < size; i++, seq++) recs.push(recordOf(seq % 11 === 10 ? heartbeatMessage(seq % 1000, seq, now) : eventMessage(seq, now), now))
    runs.push((await timeIt(() => store.append(recs)))[0])
  }
  return { p50Ms: median(runs), p95Ms: pct(runs, 95), eventsPerS: (batches * size * 1000) / runs.reduce((a, b) => a + b, 0) }
}

async function diskOf(e: SqlEngine): Promise<{ events: number; totalBytes: number; tableBytes: number; indexBytes: number; bytesPerEvent: number; payloadBytesPerEvent: number }> {
  const [r] = await e.query<Record<string, number>>(
    `SELECT count(*)::float8 AS n, coalesce(avg(bytes), 0)::float8 AS payload, pg_total_relation_size('events')::float8 AS total,
            pg_relation_size('events')::float8 AS heap, pg_indexes_size('events')::float8 AS idx FROM events`,
  )
  const n = Number(r?.['n'] ?? 0)
  const total = Number(r?.['total'] ?? 0)
  return { events: n, totalBytes: total, tableBytes: Number(r?.['heap'] ?? 0), indexBytes: Number(r?.['idx'] ?? 0), bytesPerEvent: n ? total / n : NaN, payloadBytesPerEvent: Number(r?.['payload'] ?? 0) }
}

async function queryPhase(engine: Engine, o: { pgUrl: string | undefined; events: number; days: number; agents: number; repeats: number }): Promise<QueryPhase> {
  const place = placeFor(engine, o.pgUrl)
  try {
    const { engine: db } = await openEventStore(place.loc)
    const rec = recording(db)
    const store = new EventStore(rec, 'bench-load')
    let disk: QueryPhase['disk']
    let loadSeconds: number
    let main: { scanMs: number; figures: QueryFigure[] }
    let analyzed: QueryPhase['analyzed'] = null
    let append: QueryPhase['append']
    const end = Date.now() - 1000
    try {
      const span = o.days * 86_400_000
      const start = end - span
      const step = span / o.events
      const chunk = 250_000
      const t0 = performance.now()
      for (let lo = 0; lo < o.events; lo += chunk) {
        const hi = Math.min(o.events, lo + chunk) - 1
        await db.query(BULK_SQL, [lo, hi, start, step, o.agents])
        console.error(`[store-bench] ${engine}: loaded ${(hi + 1).toLocaleString('en-US')} / ${o.events.toLocaleString('en-US')} events (${((performance.now() - t0) / 1000).toFixed(0)} s)`)
      }
      loadSeconds = (performance.now() - t0) / 1000
      if (engine === 'postgres') await db.query('ANALYZE events')
      main = await runQueries(store, rec, end, o.repeats)
      if (engine === 'pglite') {
        await db.query('ANALYZE events')
        analyzed = await runQueries(store, rec, end, o.repeats)
      }
      disk = { ...(await diskOf(db)), dataDirBytes: null }
      append = await appendTiming(store, 10, 5000)
    } finally {
      await db.close()
    }
    if (place.dataDir) disk.dataDirBytes = duBytes(place.dataDir)
    return { engine, events: o.events, loadSeconds, scanMs: main.scanMs, figures: main.figures, analyzed, disk, append }
  } finally {
    await place.cleanup().catch((err: unknown) => console.error(`[store-bench] cleanup: ${(err as Error).message}`))
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const minutes = num('minutes', 1)
  const warmupS = num('warmup', 10)
  const events = Math.round(num('events', 1_000_000))
  const days = num('days', 7)
  const rate = num('rate', 10_000)
  const agents = Math.round(num('agents', 1000))
  const repeats = Math.round(num('repeats', 15))
  const engines = list<Engine>('engines', ['pglite', 'postgres'])
  const phases = list('phases', ['ingest', 'queries'] as const)
  const redisUrl = process.env.STACKDECK_TEST_REDIS_URL ?? process.env.REDIS_URL
  const pgUrl = process.env.STACKDECK_TEST_PG_URL
  if (phases.includes('ingest') && !redisUrl) throw new Error('store-bench: set STACKDECK_TEST_REDIS_URL (run under scripts/with-test-env.sh)')
  const usable = engines.filter((e) => e !== 'postgres' || pgUrl)
  if (usable.length < engines.length) console.error('[store-bench] STACKDECK_TEST_PG_URL is not set: PostgreSQL not measured')

  console.log(
    `store-bench: ingest ${minutes} min per run (+${warmupS} s warm-up), ${rate.toLocaleString('en-US')} events/s + ${agents} agents at 1 Hz; ` +
      `queries on ${events.toLocaleString('en-US')} events over ${days} days; engines ${engines.join(', ')}`,
  )
  const goals: Goal[] = []
  const ingest: IngestRun[] = []
  const queries: QueryPhase[] = []

  if (phases.includes('ingest')) {
    const pub = await Publisher.start(redisUrl!, rate, agents)
    try {
      // Each engine's run right after a store-off run of its own: on a machine shared with other
      // work, the baseline next to it has the same neighbours.
      for (const mode of usable.flatMap((e) => ['off', e] as const)) {
        console.error(`[store-bench] ingest, store ${mode === 'off' ? 'off' : `on (${mode})`}…`)
        ingest.push(await ingestRun(mode, { redisUrl: redisUrl!, pgUrl, pub, warmupS, windowS: minutes * 60 }))
      }
    } finally {
      await pub.stop()
      const r = new Redis(redisUrl!)
      await r.del('stackdeck-store-bench:killswitch', 'stackdeck-store-bench:trading').catch(() => undefined)
      await r.quit().catch(() => undefined)
    }
    /** The store-off run just before a run (itself for an off run). */
    const baseOf = (r: IngestRun) => ingest.slice(0, ingest.indexOf(r) + 1).findLast((x) => x.mode === 'off') ?? r
    console.log(`\ningest (${(ingest[0]!.seconds / 60).toFixed(1)} min windows; baseline = the same load with the store off, the run just before, this run)`)
    console.log(`  load average (1 min) at the end of each window, on ${cpus().length} cores: ${ingest.map((r) => `${r.mode} ${r.loadAvg.toFixed(2)}`).join(', ')}`)
    console.log('  run              sent/s  accepted/s  host CPU (cores)   vs off  PG server CPU  loop p99   hb->registry p50/p99/max (n)     vs off (p99)')
    for (const r of ingest) {
      const hb = r.heartbeat
      const off = baseOf(r)
      console.log(
        `  ${(r.mode === 'off' ? 'store off' : `store on, ${r.mode}`).padEnd(16)} ${Math.round(r.sentPerS).toString().padStart(6)}  ${Math.round(r.acceptedPerS).toString().padStart(10)}  ` +
          `${r.cpuCores.toFixed(3).padStart(16)}  ${rx(ratio(r.cpuCores, off.cpuCores)).padStart(7)}  ${(r.postgresCpuCores === null ? '-' : r.postgresCpuCores.toFixed(3)).padStart(13)}  ${ms1(r.eventLoopP99Ms).padStart(8)}  ` +
          `${`${hb.p50}/${hb.p99}/${hb.max} ms (${hb.n})`.padEnd(30)}  ${rx(ratio(hb.p99, off.heartbeat.p99))}` +
          (hb.notInRegistry ? `  (${hb.notInRegistry} beats not in the registry)` : '') +
          (r.skippedByPublisher ? `  (publisher skipped ${r.skippedByPublisher})` : ''),
      )
    }
    for (const r of ingest) {
      if (!r.store) continue
      const s = r.store
      console.log(
        `  ${r.mode}: store lag p50 ${ms1(s.lagP50Ms)}, p99 ${ms1(s.lagP99Ms)}, max ${ms1(s.lagMaxMs)} (${s.lagSamples} samples; writer's own lagMs max ${s.writerLagMaxMs} ms); ` +
          `written ${s.written.toLocaleString('en-US')}, dropped evicted ${s.dropped.evicted} + overflow ${s.dropped.overflow}; final state ${s.state}${s.reason ? ` (${s.reason})` : ''}`,
      )
      console.log(
        `  ${r.mode}: ${s.events.toLocaleString('en-US')} events stored, ${mib(s.diskBytes)} = ${s.bytesPerEvent.toFixed(0)} B/event on disk (payload ${s.payloadBytesPerEvent.toFixed(0)} B)` +
          (s.dataDirBytes !== null ? `; data dir ${mib(s.dataDirBytes)}` : '') +
          `; by type ${Object.entries(s.types).map(([t, n]) => `${t} ${((100 * n) / Math.max(1, s.events)).toFixed(1)}%`).join(', ')}`,
      )
    }
    for (const engine of engines) {
      const r = ingest.find((x) => x.mode === engine)
      const s = r?.store ?? null
      const off = r ? baseOf(r) : null
      goals.push(goal(`ingest ${engine}: store lag p99`, s ? s.lagP99Ms : null, '<', LAG_GOAL_MS, 'ms'))
      goals.push(goal(`ingest ${engine}: dropped (evicted + overflow)`, s ? s.dropped.evicted + s.dropped.overflow : null, '==', 0, 'events'))
      goals.push(goal(`ingest ${engine}: host CPU store on / store off`, r && off ? ratio(r.cpuCores, off.cpuCores) : null, '<=', CPU_GOAL_RATIO))
      goals.push(goal(`ingest ${engine}: heartbeat->registry p99 store on / store off`, r && off ? ratio(r.heartbeat.p99, off.heartbeat.p99) : null, '<=', HEARTBEAT_GOAL_RATIO))
      goals.push(goal(`ingest ${engine}: heartbeat->registry p99, store on (Monitor target)`, r ? r.heartbeat.p99 : null, '<', HEARTBEAT_TARGET_MS, 'ms'))
    }
  }

  if (phases.includes('queries')) {
    for (const engine of usable) {
      console.error(`[store-bench] queries, ${engine}: bulk load of ${events.toLocaleString('en-US')} events…`)
      queries.push(await queryPhase(engine, { pgUrl, events, days, agents, repeats }))
    }
    console.log(`\nqueries on ${events.toLocaleString('en-US')} events over ${days} days, page ${PAGE}, ${repeats} runs after one warm-up; baseline = one sequential scan of the same table`)
    const show = (label: string, scanMs: number, figures: QueryFigure[]) => {
      console.log(`  ${label}: sequential scan (count(*) WHERE bytes >= 0) ${ms1(scanMs)}`)
      for (const f of figures) {
        console.log(
          `    ${f.name.padEnd(30)} ${String(f.rows).padStart(5)} rows  first ${ms1(f.firstMs).padStart(9)}  median ${ms1(f.medianMs).padStart(9)}  p95 ${ms1(f.p95Ms).padStart(9)}  p95/scan ${rx(f.vsScan)}  plan: ${f.plan}`,
        )
      }
    }
    for (const q of queries) {
      console.log(`  ${q.engine}: bulk load ${q.loadSeconds.toFixed(1)} s (${Math.round(q.events / q.loadSeconds).toLocaleString('en-US')} events/s)`)
      show(q.engine === 'postgres' ? 'postgres (after ANALYZE)' : 'pglite (as the store leaves it: never analyzed)', q.scanMs, q.figures)
      if (q.analyzed) show('pglite after ANALYZE', q.analyzed.scanMs, q.analyzed.figures)
      const d = q.disk
      console.log(
        `  ${q.engine} disk: ${mib(d.totalBytes)} for ${d.events.toLocaleString('en-US')} events = ${d.bytesPerEvent.toFixed(0)} B/event (table ${mib(d.tableBytes)}, indexes ${mib(d.indexBytes)}; payload ${d.payloadBytesPerEvent.toFixed(0)} B)` +
          (d.dataDirBytes !== null ? `; data dir ${mib(d.dataDirBytes)}` : ''),
      )
      const a = q.append
      console.log(
        `  ${q.engine} writer capacity: EventStore.append of 5,000 live-mix events into this table: p50 ${ms1(a.p50Ms)}, p95 ${ms1(a.p95Ms)} per batch = ` +
          `${Math.round(a.eventsPerS).toLocaleString('en-US')} events/s (${rx(a.eventsPerS / (rate + agents))} of the ingest load, ${(rate + agents).toLocaleString('en-US')}/s)`,
      )
    }
    const pgq = queries.find((q) => q.engine === 'postgres')
    if (engines.includes('postgres')) {
      for (const name of ['last hour, type data.market', 'last hour, type strategy', `an agent's day (${QUERY_AGENT})`]) {
        const f = pgq?.figures.find((x) => x.name === name)
        goals.push(goal(`queries postgres (${events.toLocaleString('en-US')} events): ${name}, p95`, f ? f.p95Ms : null, '<', QUERY_GOAL_MS, 'ms'))
      }
    }
  }

  console.log('')
  printGoals(goals)
  printBenchJson('store', { options: { minutes, warmupS, events, days, rate, agents, repeats, engines, phases }, ingest, queries, goals })
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (isMain) {
  if (process.argv[2] === '--publisher') {
    publisherMain(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]))
  } else {
    main().catch((err: unknown) => {
      console.error(err)
      process.exitCode = 1
    })
  }
}
