/**
 * Bus ingest benchmark: Stackdeck's subscribe + parse + registry + ring path against a bare
 * ioredis PSUBSCRIBE that only counts messages, in the same run, on the same Redis.
 *
 *   node --import tsx bench/bus-bench.ts            (REDIS_URL or STACKDECK_TEST_REDIS_URL)
 *   BUS_BENCH_MESSAGES=200000 BUS_BENCH_ROUNDS=5 ...
 *
 * Method ("drain" mode): the subscriber's socket is paused, a publisher child process floods N
 * messages (pipelined), Redis holds them in the subscriber's output buffer, then the socket is
 * resumed and we time how fast the subscriber gets through all N. That measures the subscriber
 * alone, not the publisher. It needs `CONFIG SET client-output-buffer-limit pubsub 0 0 0`
 * (restored afterwards); if CONFIG is refused it falls back to "live" mode (publisher and
 * subscriber concurrently), whose rate is capped by the publisher.
 *
 * The mix: ~93% `data.market.quotes` ticks, 5% `strategy.candidate`, 1% heartbeats from 50
 * agents, 1% malformed (not JSON).
 *
 * Both sides get one uncounted warm-up round (JIT, connections), then `rounds` measured rounds,
 * bare and bus back to back (who goes first alternates), on the same Redis and the same messages. The goal: bus / bare throughput
 * (medians) >= 0.6. A missed goal is reported (MET / NOT MET and the BENCH_JSON line), never an
 * exit code: the bench exits non-zero only when it could not measure.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Redis } from 'ioredis'
import { BusClient, DEFAULT_PATTERNS } from '../electron/core/bus/bus-client'
import { controlPatterns, DEFAULT_CHANNELS } from '../electron/core/bus/ingest'
import { goal, median, printBenchJson, printGoals, type Goal } from './report'

/** The bus goal: full processing reaches at least this share of bare ioredis throughput. */
export const GOAL_RATIO = 0.6

export interface BusBenchOptions {
  redisUrl: string
  messages?: number
  rounds?: number
  log?: (line: string) => void
}

export interface BusBenchResult {
  name: 'bus-ingest'
  mode: 'drain' | 'live'
  messages: number
  rounds: number
  bare: { runs: number[]; median: number; cpuNsPerMsg: number }
  bus: { runs: number[]; median: number; cpuNsPerMsg: number; malformedCounted: number }
  /** bus / bare msgs/s, medians; the goal is >= GOAL_RATIO. */
  ratio: number
  /** Median of the per-round bus / bare ratios (each pair ran back to back, under the same load). */
  pairedRatio: number
  /** bare / bus CPU time per message (this process only): the same ratio, less sensitive to a busy machine. */
  cpuRatio: number
  goals: Goal[]
}

interface Sample {
  rate: number
  cpuNsPerMsg: number
}

const fmt = (x: number) => `${Math.round(x).toLocaleString('en-US')} msgs/s`


async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`bus-bench: timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 1))
  }
}

// ---------------------------------------------------------------- publisher (child process)

export function buildMessages(n: number): Array<[string, string]> {
  const out = new Array<[string, string]>(n)
  const symbols = ['AAPL', 'MSFT', 'NVDA', 'ES', 'NQ', 'CL', 'GC', 'EURUSD']
  for (let i = 0; i < n; i++) {
    const symbol = symbols[i % symbols.length]!
    if (i % 100 === 0) {
      const agent = `bench-agent-${(i / 100) % 50}`
      out[i] = [
        `heartbeat.${agent}`,
        JSON.stringify({
          agent_id: agent,
          name: agent,
          group: 'signals',
          status: 'active',
          timestamp: new Date().toISOString(),
          step: i,
        }),
      ]
    } else if (i % 100 === 1) out[i] = ['data.market.quotes', `not json ${i}`]
    else if (i % 20 === 2) {
      out[i] = [
        'strategy.candidate',
        JSON.stringify({
          symbol,
          action: i % 3 ? 'BUY' : 'SELL',
          confidence: 0.71,
          source: 'bench-strategy',
        }),
      ]
    } else {
      const mid = 100 + (i % 997) / 10
      out[i] = [
        'data.market.quotes',
        JSON.stringify({
          symbol,
          bid: mid - 0.01,
          ask: mid + 0.01,
          ts: 1_700_000_000_000 + i,
          source: 'bench-quotes',
        }),
      ]
    }
  }
  return out
}

async function publisherMain(url: string): Promise<void> {
  const pub = new Redis(url)
  let messages: Array<[string, string]> = []
  process.on('message', (msg: { cmd: 'go'; n: number } | { cmd: 'exit' }) => {
    void (async () => {
      if (msg.cmd === 'exit') {
        await pub.quit()
        process.exit(0)
      }
      if (messages.length !== msg.n) messages = buildMessages(msg.n)
      const t0 = performance.now()
      for (let i = 0; i < messages.length; i += 2000) {
        const p = pub.pipeline()
        for (const [ch, m] of messages.slice(i, i + 2000)) p.publish(ch, m)
        await p.exec()
      }
      process.send?.({ done: messages.length, ms: performance.now() - t0 })
    })()
  })
  process.send?.({ ready: true })
}

// ---------------------------------------------------------------- subscriber side

class Publisher {
  private constructor(private readonly child: ChildProcess) {}
  static async start(url: string): Promise<Publisher> {
    const child = fork(fileURLToPath(import.meta.url), ['--publisher', url], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve())
      child.once('exit', (code) => reject(new Error(`publisher exited with ${code}`)))
    })
    return new Publisher(child)
  }
  flood(n: number): Promise<{ done: number; ms: number }> {
    return new Promise((resolve) => {
      this.child.once('message', (m) => resolve(m as { done: number; ms: number }))
      this.child.send({ cmd: 'go', n })
    })
  }
  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r))
    this.child.send({ cmd: 'exit' })
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
    if (this.child.exitCode === null) this.child.kill('SIGKILL')
  }
}

interface Phase {
  socket(): { pause(): void; resume(): void }
  received(): number
  stop(): Promise<void>
}

async function barePhase(url: string, patterns: string[]): Promise<Phase> {
  const sub = new Redis(url)
  let count = 0
  sub.on('pmessage', () => {
    count++
  })
  await sub.psubscribe(...patterns)
  return { socket: () => sub.stream, received: () => count, stop: async () => void (await sub.quit()) }
}

async function busPhase(url: string): Promise<Phase & { bus: BusClient }> {
  const bus = new BusClient(
    {
      url,
      killswitchKey: 'stackdeck-bench:killswitch',
      tradingKey: 'stackdeck-bench:trading',
      regimeKey: null,
    },
    { setTradingEnabled: async () => undefined, audit: () => undefined },
  )
  await bus.start()
  await bus.whenReady()
  return {
    bus,
    socket: () => bus.link.sub.stream,
    received: () => bus.stats.totalAccepted + bus.stats.totalMalformed,
    stop: () => bus.stop(),
  }
}

async function measure(phase: Phase, pub: Publisher, n: number, mode: 'drain' | 'live'): Promise<Sample> {
  let flooding: Promise<unknown> = Promise.resolve()
  if (mode === 'drain') {
    phase.socket().pause()
    await pub.flood(n)
  }
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  if (mode === 'drain') phase.socket().resume()
  else flooding = pub.flood(n)
  await until(() => phase.received() >= n, 120_000, 'the subscriber to receive everything')
  const cpu = process.cpuUsage(c0)
  const ms = performance.now() - t0
  await flooding
  return { rate: (n * 1000) / ms, cpuNsPerMsg: ((cpu.user + cpu.system) * 1000) / n }
}

export async function runBusBench(opts: BusBenchOptions): Promise<BusBenchResult> {
  const n = opts.messages ?? 200_000
  const rounds = opts.rounds ?? 5
  const log = opts.log ?? ((l: string) => console.log(l))
  const admin = new Redis(opts.redisUrl)
  const patterns = [...new Set([...DEFAULT_PATTERNS, ...controlPatterns(DEFAULT_CHANNELS)])]
  let mode: 'drain' | 'live' = 'drain'
  let restore: string | null = null
  try {
    const cur = (await admin.config('GET', 'client-output-buffer-limit')) as string[]
    restore = cur[1] ?? null
    await admin.config('SET', 'client-output-buffer-limit', 'pubsub 0 0 0')
  } catch {
    mode = 'live'
  }
  const pub = await Publisher.start(opts.redisUrl)
  const bare: Sample[] = []
  const bus: Sample[] = []
  let malformedCounted = 0
  try {
    await pub.flood(Math.min(n, 20_000)) // warm-up: JIT, connections, message generation
    // One uncounted round of each side: the same JIT and connection warm-up for both.
    const warm = Math.min(n, 50_000)
    for (const phase of [() => barePhase(opts.redisUrl, patterns), () => busPhase(opts.redisUrl)]) {
      const p = await phase()
      try {
        await measure(p, pub, warm, mode)
      } finally {
        await p.stop()
      }
    }
    const runBare = async () => {
      const b = await barePhase(opts.redisUrl, patterns)
      try {
        bare.push(await measure(b, pub, n, mode))
      } finally {
        await b.stop()
      }
    }
    const runBus = async () => {
      const s = await busPhase(opts.redisUrl)
      try {
        bus.push(await measure(s, pub, n, mode))
        malformedCounted = s.bus.stats.totalMalformed
      } finally {
        await s.stop()
      }
    }
    for (let r = 0; r < rounds; r++) {
      // Alternate who goes first, so neither side always meets the other's leftovers (heap, Redis).
      if (r % 2 === 0) {
        await runBare()
        await runBus()
      } else {
        await runBus()
        await runBare()
      }
      const [lb, ls] = [bare.at(-1)!, bus.at(-1)!]
      log(
        `  round ${r + 1}: bare ${fmt(lb.rate)} (${Math.round(lb.cpuNsPerMsg)} ns cpu/msg), bus ${fmt(ls.rate)} (${Math.round(ls.cpuNsPerMsg)} ns cpu/msg)`,
      )
    }
  } finally {
    await pub.stop()
    if (restore !== null)
      await admin.config('SET', 'client-output-buffer-limit', restore).catch(() => undefined)
    await admin.del('stackdeck-bench:killswitch', 'stackdeck-bench:trading')
    await admin.quit()
  }
  const side = (xs: Sample[]) => ({
    runs: xs.map((x) => Math.round(x.rate)),
    median: median(xs.map((x) => x.rate)),
    cpuNsPerMsg: median(xs.map((x) => x.cpuNsPerMsg)),
  })
  const b = side(bare)
  const s = side(bus)
  const ratio = s.median / b.median
  const result: BusBenchResult = {
    name: 'bus-ingest',
    mode,
    messages: n,
    rounds,
    bare: b,
    bus: { ...s, malformedCounted },
    ratio,
    pairedRatio: median(bus.map((x, i) => x.rate / bare[i]!.rate)),
    cpuRatio: b.cpuNsPerMsg / s.cpuNsPerMsg,
    goals: [goal('bus ingest throughput / bare ioredis (medians, same run)', ratio, '>=', GOAL_RATIO)],
  }
  log(`bus-bench (${mode} mode, ${n.toLocaleString('en-US')} messages x ${rounds} rounds, medians)`)
  log(`  bare ioredis psubscribe (count only) : ${fmt(b.median)}  ${Math.round(b.cpuNsPerMsg)} ns cpu/msg`)
  log(`  stackdeck bus (parse+registry+ring)  : ${fmt(s.median)}  ${Math.round(s.cpuNsPerMsg)} ns cpu/msg`)
  log(`  ratio (throughput, medians)          : ${result.ratio.toFixed(3)}`)
  log(`  ratio (throughput, per-round median) : ${result.pairedRatio.toFixed(3)}`)
  log(`  ratio (cpu per message)              : ${result.cpuRatio.toFixed(3)}`)
  printGoals(result.goals, log)
  return result
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (isMain) {
  if (process.argv[2] === '--publisher') {
    await publisherMain(process.argv[3]!)
  } else {
    const url = process.env.REDIS_URL ?? process.env.STACKDECK_TEST_REDIS_URL
    if (!url) {
      console.error('bus-bench: set REDIS_URL or STACKDECK_TEST_REDIS_URL')
      process.exit(2)
    }
    const { goals, ...figures } = await runBusBench({
      redisUrl: url,
      messages: Number(process.env.BUS_BENCH_MESSAGES ?? 200_000),
      rounds: Number(process.env.BUS_BENCH_ROUNDS ?? 5),
    })
    // A missed goal is a result, not a failure: exit 0 (an exception above exits non-zero).
    printBenchJson('bus', { ...figures, goals })
  }
}
