/// <reference lib="dom" />
/**
 * The Monitor tab under load, in Debian's Chromium against the real built headless host and the
 * test Redis: 1,000 agents beating at 1 Hz plus 10,000 market events per second, published by
 * bench/ui-load-publisher.mjs in its own process. Every figure is set against a baseline from the
 * same run and the same page:
 *   - frames (a requestAnimationFrame loop in the page): the idle Monitor tab (no bus traffic) vs
 *     loaded, at the start of the load and after `--minutes`. Two views of one frame: the interval
 *     between frames (a dropped frame shows as a ~33 ms interval) and the frame time, from the
 *     frame's start to the end of its rendering work on the main thread (a task posted from the
 *     rAF callback runs right after style, layout and paint). Target: frame time p95 < 16 ms;
 *   - heartbeat-to-grid latency: probe agents put their publish time (ms epoch) in their name; a
 *     MutationObserver on the grid sees the row's text change and records now - sent (one machine,
 *     one clock). Probes are the first ids, so the top rows of the default order: on screen
 *     although the grid is virtualized. Baseline: the probes beating alone, no other traffic.
 *     Target: p99 < 250 ms over the whole load. The row's "last beat" (the host's ingest time)
 *     splits it into publish → host and host → grid. The renderer's own `?monitorProbe=1` hook
 *     is printed as a cross-check;
 *   - JS heap (CDP JSHeapUsedSize after a forced GC, plus DOM nodes), every 30 s for `--minutes`
 *     (default 10): start vs end, and bounded when the last third of the samples sets no new high.
 * Main-thread busy (wall) time is printed beside its CPU time: on a machine shared with other
 * work the first outgrows the second, and every figure above is then pessimistic.
 *
 *   bash scripts/with-test-env.sh node --import tsx bench/ui-monitor-bench.ts [--minutes 10] [--window 20] [--profile]
 *
 * `--profile` adds a CPU profile of the loaded page (after the measured windows) by source module.
 * Exit code 0 whether or not the targets are met; 1 only when the bench itself failed.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import { chromium, type Browser, type CDPSession, type Page } from '@playwright/test'
import { startHostProcess, type RunningHost } from '../test-support/host-process'
import { testKey, testRedisUrl } from '../test-support/redis-fixture'
import { testSettings } from '../test-support/test-settings'
import { CHROMIUM, CHROMIUM_ARGS } from '../playwright.config'
import { goal, printBenchJson, printGoals } from './report'

const ROOT = resolve(import.meta.dirname, '..')
const AGENTS = 1000
const EVENTS_PER_S = 10_000
const PROBES = 10 // the grid shows ~13 rows: every probe is on screen
const HEAP_EVERY_MS = 30_000
const FRAME_TARGET_MS = 16
const LATENCY_TARGET_MS = 250

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : def
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`)
  return v
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)))

function pct(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN
}

/** Per probe heartbeat: publish → grid row, and publish → the host's ingest (the row's "last beat"). */
interface Legs {
  total: number[]
  toHost: number[]
}

declare global {
  interface Window {
    __uib?: {
      startFrames(): void
      stopFrames(): { intervals: number[]; work: number[] }
      watchProbes(ids: string[]): void
      drainLatencies(): Legs
    }
    __stackdeckMonitorProbe?: { drainLatencies(): number[]; stats(): Record<string, number> }
  }
}

/**
 * In-page recorder, as plain JS text: tsx/esbuild would wrap named functions in a `__name` helper
 * the page does not have. Frames are recorded between startFrames/stopFrames; probe rows are
 * watched from watchProbes on, and drainLatencies hands over what was seen since the last drain.
 */
const PAGE_RECORDER = `(() => {
  let fr = null
  const ch = new MessageChannel()
  ch.port1.onmessage = (e) => { if (fr) fr.work.push(performance.now() - e.data) }
  function frame(t) {
    if (!fr) return
    if (fr.last !== null) fr.intervals.push(t - fr.last)
    fr.last = t
    // Runs as the next task: after this frame's rAF callbacks, style, layout and paint.
    ch.port2.postMessage(t)
    requestAnimationFrame(frame)
  }
  let legs = { total: [], toHost: [] }
  function sentOf(row) {
    const cell = row.children[2]
    const m = cell ? /@(\\d{13})/.exec(cell.textContent || '') : null
    return m ? Number(m[1]) : null
  }
  window.__uib = {
    startFrames() {
      fr = { last: null, intervals: [], work: [] }
      requestAnimationFrame(frame)
    },
    stopFrames() {
      const r = fr || { intervals: [], work: [] }
      fr = null
      return { intervals: r.intervals, work: r.work }
    },
    watchProbes(ids) {
      const probes = new Set(ids)
      const seen = new WeakMap() // row element -> the publish time it shows
      const check = (row) => {
        if (!probes.has(row.getAttribute('data-agent-id'))) return
        const sent = sentOf(row)
        if (sent === null) return
        const before = seen.get(row)
        seen.set(row, sent)
        // A row that just mounted shows an older beat: only a change of a row on screen counts.
        if (before === undefined || before === sent) return
        legs.total.push(Date.now() - sent)
        // The "last beat" cell's title is the host's ingest time, ISO with milliseconds.
        const beat = row.children[4]
        legs.toHost.push(beat ? Date.parse(beat.getAttribute('title') || '') - sent : NaN)
      }
      const scroll = document.querySelector('[data-testid=agent-scroll]')
      if (!scroll) throw new Error('no agent grid on the page')
      for (const row of scroll.querySelectorAll('[data-testid=agent-row]')) check(row)
      new MutationObserver((records) => {
        const rows = new Set()
        for (const m of records) {
          const el = m.target.nodeType === 1 ? m.target : m.target.parentElement
          const row = el && el.closest('[data-testid=agent-row]')
          if (row) rows.add(row)
          for (const n of m.addedNodes) if (n.nodeType === 1 && n.matches('[data-testid=agent-row]')) rows.add(n)
        }
        for (const row of rows) check(row)
      }).observe(scroll, { subtree: true, childList: true, characterData: true })
    },
    drainLatencies() {
      const out = legs
      legs = { total: [], toHost: [] }
      return out
    },
  }
})()`

/** Renderer main-thread and heap figures from CDP (cumulative durations in seconds). */
async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  const m = await cdp.send('Performance.getMetrics')
  return Object.fromEntries(m.metrics.map((x) => [x.name, x.value]))
}

/** utime+stime of a process in seconds (Linux /proc), NaN elsewhere. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  } catch {
    return NaN
  }
}

interface Publisher {
  proc: ChildProcess
  /** The latest counters it printed: what really went out. */
  sent(): { at: number; beats: number; events: number; dropped: number }
  stop(): Promise<void>
}

function startPublisher(agents: number, eventsPerS: number, prefix: string): Publisher {
  const proc = spawn(process.execPath, [join(ROOT, 'bench/ui-load-publisher.mjs')], {
    env: { ...process.env, REDIS_URL: testRedisUrl(), AGENTS: String(agents), EVENTS_PER_S: String(eventsPerS), PROBES: String(PROBES), AGENT_PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let last = { at: Date.now(), beats: 0, events: 0, dropped: 0 }
  if (proc.stdout) createInterface({ input: proc.stdout }).on('line', (l) => (last = JSON.parse(l) as typeof last))
  return {
    proc,
    sent: () => last,
    stop: () =>
      new Promise<void>((r) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return r()
        proc.once('exit', () => r())
        proc.kill('SIGTERM')
      }),
  }
}

interface WindowResult {
  intervals: number[]
  work: number[]
  latency: number[]
  toHost: number[]
  appLatency: number[]
  /** Share of wall time the page's main thread spent in tasks, and in script / layout / style. */
  busyPct: number
  split: { script: number; layout: number; style: number }
  /** CPU time (not wall time) of the page's main thread and of its whole renderer process, % of one core. */
  threadCpuPct: number
  processCpuPct: number
  hostCpuPct: number
  sentPerS: { beats: number; events: number; dropped: number }
  pageEventsPerS: number
}

/** One measurement window over `ms`: frames, probe latency, main-thread and host load. */
const drainLegs = async (page: Page, into?: Legs): Promise<Legs> => {
  const legs = (await page.evaluate(() => window.__uib?.drainLatencies())) ?? { total: [], toHost: [] }
  into?.total.push(...legs.total)
  into?.toHost.push(...legs.toHost)
  return legs
}

async function measure(page: Page, cdp: CDPSession, hostPid: number | undefined, pub: Publisher | null, ms: number, keep: Legs): Promise<WindowResult> {
  const received = () => page.evaluate(() => window.__stackdeckMonitorProbe?.stats().received ?? 0)
  await drainLegs(page, keep)
  await page.evaluate(() => window.__stackdeckMonitorProbe?.drainLatencies())
  const [m0, r0, s0, c0, t0] = [await metrics(cdp), await received(), pub?.sent(), cpuSeconds(hostPid), performance.now()]
  await page.evaluate(() => window.__uib?.startFrames())
  await sleep(ms)
  const f = await page.evaluate(() => window.__uib?.stopFrames())
  const legs = await drainLegs(page, keep)
  const secs = (performance.now() - t0) / 1000
  const [m1, r1, s1, c1] = [await metrics(cdp), await received(), pub?.sent(), cpuSeconds(hostPid)]
  const appLatency = await page.evaluate(() => window.__stackdeckMonitorProbe?.drainLatencies() ?? [])
  if (!f) throw new Error('the page recorder is missing')
  const share = (k: string) => (100 * ((m1[k] ?? 0) - (m0[k] ?? 0))) / secs
  const span = s0 && s1 ? Math.max(1e-3, (s1.at - s0.at) / 1000) : 1
  const per = (k: 'beats' | 'events' | 'dropped') => (s0 && s1 ? (s1[k] - s0[k]) / span : 0)
  return {
    intervals: f.intervals.slice(1), // the first one spans the evaluate round trip
    work: f.work,
    latency: legs.total,
    toHost: legs.toHost,
    appLatency,
    busyPct: share('TaskDuration'),
    split: { script: share('ScriptDuration'), layout: share('LayoutDuration'), style: share('RecalcStyleDuration') },
    threadCpuPct: share('ThreadTime'),
    processCpuPct: share('ProcessTime'),
    hostCpuPct: (100 * (c1 - c0)) / secs,
    sentPerS: { beats: per('beats'), events: per('events'), dropped: per('dropped') },
    pageEventsPerS: (r1 - r0) / secs,
  }
}

/**
 * Where a line of the (unminified) renderer bundle comes from: the `// <path>` module markers
 * the bundler writes, and the top-level function around it.
 */
function bundleLocator(): (url: string, line: number) => { module: string; fn: string } {
  const cache = new Map<string, Array<{ module: string; fn: string }>>()
  return (url, line) => {
    const file = join(ROOT, 'out/renderer/assets', url.split('/').pop() ?? '')
    if (!/\.js$/.test(file) || !existsSync(file)) return { module: url ? url.split('/').pop() ?? url : '(native)', fn: '' }
    let lines = cache.get(file)
    if (!lines) {
      let module = '?'
      let fn = ''
      lines = readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => {
          const m = /^\/\/ (\S+\.[cm]?[jt]sx?)$/.exec(l)
          if (m?.[1]) [module, fn] = [m[1], '']
          const f = /^(?:async )?function\*? ?(\w+)|^(?:const|let|var) (\w+) = /.exec(l)
          if (f) fn = f[1] ?? f[2] ?? ''
          return { module, fn }
        })
      cache.set(file, lines)
    }
    return lines[line] ?? { module: '?', fn: '' }
  }
}

/**
 * `--profile`: a sampled CPU profile of the loaded page over `ms`, in its own window after the
 * measured ones so the profiler's overhead colours no figure. Prints self time per source module,
 * the hottest functions, and the app's own functions by total time (callees included).
 */
async function profile(cdp: CDPSession, ms: number): Promise<void> {
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.start')
  await sleep(ms)
  const { profile: p } = await cdp.send('Profiler.stop')
  await cdp.send('Profiler.disable')
  const locate = bundleLocator()
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const where = new Map(
    p.nodes.map((n) => {
      const { functionName, url, lineNumber } = n.callFrame
      const at = locate(url, lineNumber)
      const name = functionName || `(anonymous${at.fn ? ` in ${at.fn}` : ''})`
      return [n.id, { fn: url ? `${name}  ${at.module} (bundle line ${lineNumber + 1})` : name, module: url ? at.module : name, app: at.module.startsWith('renderer/') }]
    }),
  )
  const [self, modules, total] = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>()]
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v)
  let all = 0
  p.samples?.forEach((id, i) => {
    const dt = (p.timeDeltas?.[i] ?? 0) / 1000
    const w = where.get(id)
    all += dt
    if (!w) return
    add(self, w.fn, dt)
    add(modules, w.module, dt)
    const onStack = new Set<string>()
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const up = where.get(n)
      if (up?.app) onStack.add(up.fn)
    }
    for (const k of onStack) add(total, k, dt)
  })
  const print = (title: string, m: Map<string, number>, n: number) => {
    console.log(title)
    for (const [k, v] of [...m].sort((x, y) => y[1] - x[1]).slice(0, n)) console.log(`  ${((100 * v) / all).toFixed(1).padStart(5)} %  ${k}`)
  }
  console.log(`\nCPU profile of the loaded page over ${(all / 1000).toFixed(1)} s (% of wall time)`)
  print('self time by source module:', modules, 12)
  print('self time by function:', self, 15)
  print('total time of the app\'s own functions (renderer/src, callees included):', total, 20)
}

interface HeapSample {
  min: number
  heapMb: number
  rawHeapMb: number
  nodes: number
  listeners: number
}

async function heapSample(cdp: CDPSession, since: number): Promise<HeapSample> {
  const raw = await metrics(cdp)
  // Read live data, not garbage the collector has not reached yet.
  await cdp.send('HeapProfiler.collectGarbage')
  const m = await metrics(cdp)
  return {
    min: (Date.now() - since) / 60_000,
    heapMb: (m['JSHeapUsedSize'] ?? NaN) / 1e6,
    rawHeapMb: (raw['JSHeapUsedSize'] ?? NaN) / 1e6,
    nodes: m['Nodes'] ?? NaN,
    listeners: m['JSEventListeners'] ?? NaN,
  }
}

/** Bounded: the last third of the run sets no new high (5 % + 1 MB of slack for GC noise). */
function boundedness(samples: HeapSample[]): { bounded: boolean; lastThirdMaxMb: number; earlierMaxMb: number; slopeMbPerMin: number } {
  const cut = Math.max(1, Math.floor((samples.length * 2) / 3))
  const earlier = samples.slice(0, cut)
  const last = samples.slice(cut)
  const earlierMax = Math.max(...earlier.map((s) => s.heapMb))
  const lastMax = last.length ? Math.max(...last.map((s) => s.heapMb)) : NaN
  let slope = NaN
  if (last.length >= 2) {
    const mx = last.reduce((a, s) => a + s.min, 0) / last.length
    const my = last.reduce((a, s) => a + s.heapMb, 0) / last.length
    const den = last.reduce((a, s) => a + (s.min - mx) ** 2, 0)
    slope = den > 0 ? last.reduce((a, s) => a + (s.min - mx) * (s.heapMb - my), 0) / den : NaN
  }
  return { bounded: !(lastMax > earlierMax * 1.05 + 1), lastThirdMaxMb: lastMax, earlierMaxMb: earlierMax, slopeMbPerMin: slope }
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '—')
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : '—')
const max = (xs: readonly number[]) => (xs.length ? Math.max(...xs) : NaN)

interface Run {
  minutes: number
  idle: WindowResult
  light: WindowResult
  start: WindowResult
  end: WindowResult
  /** Every probe latency from the start of the load to the end. */
  soak: Legs
  heap: HeapSample[]
  idleHeap: HeapSample
  load: [number, number]
}

function report(r: Run): void {
  const { idle, light, start, end, heap } = r
  const line = (label: string, base: number, a: number, b: number, target = '') =>
    console.log(`${label.padEnd(38)}${f1(base).padStart(9)}${f1(a).padStart(10)}${ratio(a, base).padStart(8)}${f1(b).padStart(10)}${ratio(b, base).padStart(8)}  ${target}`)
  const refresh = pct(idle.intervals, 50)
  const dropped = (w: WindowResult) => (100 * w.intervals.filter((x) => x > 1.5 * refresh).length) / Math.max(1, w.intervals.length)
  const workP95 = max([pct(start.work, 95), pct(end.work, 95)])
  const latP99 = pct(r.soak.total, 99)
  const b = boundedness(heap)
  const [heapStart, heapEnd, heapMax] = [heap[0]?.heapMb ?? NaN, heap.at(-1)?.heapMb ?? NaN, max(heap.map((s) => s.heapMb))]
  const ok = (x: boolean) => (x ? 'MET' : 'NOT MET')

  console.log(`\nMonitor tab: ${AGENTS} agents at 1 Hz + ${EVENTS_PER_S.toLocaleString('en-US')} events/s for ${r.minutes} min; ${cpus().length} CPUs, load average ${r.load.map(f1).join(' → ')}; ${CHROMIUM}`)
  console.log(
    `sent (start / end window): ${f1(start.sentPerS.beats)} / ${f1(end.sentPerS.beats)} beats/s, ${f1(start.sentPerS.events)} / ${f1(end.sentPerS.events)} events/s, ` +
      `${f1(start.sentPerS.dropped + end.sentPerS.dropped)}/s not sent; the host streamed ${f1(start.pageEventsPerS)} / ${f1(end.pageEventsPerS)} events/s to the page`,
  )
  console.log(`${'measure'.padEnd(38)}${'baseline'.padStart(9)}${'loaded'.padStart(10)}${'ratio'.padStart(8)}${`+${r.minutes} min`.padStart(10)}${'ratio'.padStart(8)}  target`)
  console.log('-- frames; baseline: the same tab with no bus traffic')
  for (const p of [50, 95, 99]) line(`frame interval p${p} (ms)`, pct(idle.intervals, p), pct(start.intervals, p), pct(end.intervals, p))
  line('frames dropped (%)', dropped(idle), dropped(start), dropped(end))
  for (const p of [50, 95, 99])
    line(`frame time p${p} (ms)`, pct(idle.work, p), pct(start.work, p), pct(end.work, p), p === 95 ? `p95 < ${FRAME_TARGET_MS} ms: ${ok(workP95 < FRAME_TARGET_MS)}` : '')
  line('page main thread busy (%)', idle.busyPct, start.busyPct, end.busyPct)
  for (const k of ['script', 'layout', 'style'] as const) line(`  of which ${k} (%)`, idle.split[k], start.split[k], end.split[k])
  // CPU time well under the busy (wall) time means the thread was waiting for a CPU: a loaded machine.
  line('page main thread CPU (% of one core)', idle.threadCpuPct, start.threadCpuPct, end.threadCpuPct)
  line('page renderer process CPU (%)', idle.processCpuPct, start.processCpuPct, end.processCpuPct)
  line('host process CPU (% of one core)', idle.hostCpuPct, start.hostCpuPct, end.hostCpuPct)
  const starved = [start, end].some((w) => w.threadCpuPct < 0.7 * w.busyPct) || r.load.some((l) => l > cpus().length)
  if (starved)
    console.log(
      '   note: the page thread was runnable but off-CPU for a good part of its busy time (or the load average exceeded the CPU count): ' +
        'page, host, Redis and publisher were short of cores, with or without other work on the machine',
    )
  console.log(`-- heartbeat → grid row, ${PROBES} probe agents; baseline: the probes alone on the bus`)
  for (const p of [50, 95, 99]) line(`latency p${p} (ms)`, pct(light.latency, p), pct(start.latency, p), pct(end.latency, p))
  line('latency max (ms)', max(light.latency), max(start.latency), max(end.latency))
  line('latency samples', light.latency.length, start.latency.length, end.latency.length)
  line('  of which publish → host ingest, p99', pct(light.toHost, 99), pct(start.toHost, 99), pct(end.toHost, 99))
  line('app probe p99, all rows on screen (ms)', pct(light.appLatency, 99), pct(start.appLatency, 99), pct(end.appLatency, 99))
  line(`p99, the whole load (${r.soak.total.length} samples)`, pct(light.latency, 99), latP99, NaN, `p99 < ${LATENCY_TARGET_MS} ms: ${ok(latP99 < LATENCY_TARGET_MS)}`)
  line('  of which publish → host ingest, p99', pct(light.toHost, 99), pct(r.soak.toHost, 99), NaN)
  console.log(`-- memory after a forced GC; baseline: the loaded tab at the start (idle tab: ${f1(r.idleHeap.heapMb)} MB, ${r.idleHeap.nodes} DOM nodes)`)
  line('JS heap (MB): start, max, end', heapStart, heapMax, heapEnd, `bounded: ${b.bounded ? 'yes' : 'NO'}`)
  line('DOM nodes: start, max, end', heap[0]?.nodes ?? NaN, max(heap.map((s) => s.nodes)), heap.at(-1)?.nodes ?? NaN)
  console.log(`heap samples (min: MB after GC / before): ${heap.map((s) => `${s.min.toFixed(1)}: ${s.heapMb.toFixed(1)}/${s.rawHeapMb.toFixed(1)}`).join(', ')}`)
  console.log(
    `last third max ${f1(b.lastThirdMaxMb)} MB vs earlier max ${f1(b.earlierMaxMb)} MB, last third slope ${Number.isFinite(b.slopeMbPerMin) ? b.slopeMbPerMin.toFixed(3) : '—'} MB/min` +
      (heap.length < 9 ? ' (few samples: the default 10 minutes gives a real verdict)' : ''),
  )
  const fr = (w: WindowResult) => ({
    intervalP50: pct(w.intervals, 50),
    intervalP95: pct(w.intervals, 95),
    droppedPct: dropped(w),
    p50: pct(w.work, 50),
    p95: pct(w.work, 95),
    p99: pct(w.work, 99),
    busyPct: w.busyPct,
    ...w.split,
    threadCpuPct: w.threadCpuPct,
    processCpuPct: w.processCpuPct,
  })
  const la = (w: WindowResult) => ({ p50: pct(w.latency, 50), p95: pct(w.latency, 95), p99: pct(w.latency, 99), toHostP99: pct(w.toHost, 99), n: w.latency.length, appP99: pct(w.appLatency, 99) })
  const goals = [
    goal('frame time p95 under load (ms)', workP95, '<', FRAME_TARGET_MS, 'ms'),
    goal('heartbeat → grid row latency p99, whole load (ms)', latP99, '<', LATENCY_TARGET_MS, 'ms'),
    goal('JS heap bounded over the soak (1 = yes)', b.bounded ? 1 : 0, '==', 1, ''),
  ]
  printGoals(goals)
  printBenchJson('ui-monitor', {
      agents: AGENTS,
      eventsPerS: EVENTS_PER_S,
      minutes: r.minutes,
      loadAverage: r.load,
      machineBusy: starved,
      sent: { start: start.sentPerS, end: end.sentPerS },
      frames: { baseline: fr(idle), loaded: fr(start), end: fr(end), ratioP95: workP95 / pct(idle.work, 95), targetMs: FRAME_TARGET_MS, met: workP95 < FRAME_TARGET_MS },
      latency: { baseline: la(light), loaded: la(start), end: la(end), whole: { p50: pct(r.soak.total, 50), p99: latP99, toHostP99: pct(r.soak.toHost, 99), n: r.soak.total.length }, ratioP99: latP99 / pct(light.latency, 99), targetMs: LATENCY_TARGET_MS, met: latP99 < LATENCY_TARGET_MS },
      heap: { idleMb: r.idleHeap.heapMb, startMb: heapStart, maxMb: heapMax, endMb: heapEnd, ratioEndStart: heapEnd / heapStart, ...b, samples: heap },
      goals,
  })
}

async function main(): Promise<void> {
  const minutes = flag('minutes', 10)
  const windowMs = flag('window', 20) * 1000
  if (!existsSync(join(ROOT, 'out/main/server.js'))) throw new Error('build first: npx electron-vite build')
  const prefix = `uib-${Math.random().toString(36).slice(2, 7)}`
  const probeIds = Array.from({ length: PROBES }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`)
  const stateDir = mkdtempSync(join(tmpdir(), 'stackdeck-ui-bench-'))
  const log = (s: string) => console.log(`[ui-bench] ${new Date().toISOString().slice(11, 19)} ${s}`)
  let host: RunningHost | null = null
  let browser: Browser | null = null
  const pubs: Publisher[] = []
  const cleanup = async () => {
    await Promise.all(pubs.map((p) => p.stop()))
    await browser?.close().catch(() => undefined)
    await host?.stop()
    rmSync(stateDir, { recursive: true, force: true })
    // startHostProcess leaves its settings directory behind.
    if (host) rmSync(dirname(host.settingsPath), { recursive: true, force: true })
  }
  const onSignal = () => void cleanup().finally(() => process.exit(130))
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    const load0 = loadavg()[0] ?? NaN
    host = await startHostProcess(
      testSettings({
        services: [],
        schedule: { enabled: false },
        stateDir,
        redis: { url: testRedisUrl(), heartbeatTimeoutMs: 5000, killswitchKey: testKey(`${prefix}:ks`), tradingKey: testKey(`${prefix}:trading`) },
      }),
    )
    const hostPid = host.proc.pid
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } })
    await page.addInitScript({ content: PAGE_RECORDER })
    await page.goto(`${host.url}/?monitorProbe=1#token=${host.token}`)
    await page.getByRole('tab', { name: 'Monitor' }).click()
    await page.getByTestId('bus-state').filter({ hasText: 'ready' }).waitFor({ timeout: 30_000 })
    await page.evaluate((ids) => window.__uib?.watchProbes(ids), probeIds)
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable')
    const soak: Legs = { total: [], toHost: [] }
    const scratch: Legs = { total: [], toHost: [] }

    log(`baseline: the idle tab (${windowMs / 1000} s)`)
    await sleep(3000)
    const idle = await measure(page, cdp, hostPid, null, windowMs, scratch)
    const idleHeap = await heapSample(cdp, Date.now())

    log(`baseline: ${PROBES} probe agents alone (${windowMs / 1000} s)`)
    const light = startPublisher(PROBES, 0, prefix)
    pubs.push(light)
    await page.locator(`[data-testid=agent-row][data-agent-id="${probeIds[0]}"]`).waitFor({ timeout: 30_000 })
    await sleep(3000)
    const lightW = await measure(page, cdp, hostPid, light, windowMs, scratch)
    // The same ids go on in the full load: the probes never go dead and stay the top rows.
    const load = startPublisher(AGENTS, EVENTS_PER_S, prefix)
    pubs.push(load)
    await light.stop()

    log(`load: ${AGENTS} agents + ${EVENTS_PER_S} events/s, warming up`)
    const totals = page.getByTestId('agent-totals')
    for (let t = Date.now(); ; await sleep(500)) {
      const alive = Number(/(\d+) alive/.exec((await totals.textContent()) ?? '')?.[1] ?? 0)
      if (alive >= AGENTS) break
      if (Date.now() - t > 30_000) {
        log(`warning: ${alive} of ${AGENTS} agents alive after 30 s`)
        break
      }
    }
    await sleep(5000)
    await drainLegs(page)
    const t0 = Date.now()
    const heap: HeapSample[] = [await heapSample(cdp, t0)]
    log(`load: measuring (${windowMs / 1000} s)`)
    const start = await measure(page, cdp, hostPid, load, windowMs, soak)
    const endAt = t0 + minutes * 60_000
    for (let next = t0 + HEAP_EVERY_MS; next <= endAt; next += HEAP_EVERY_MS) {
      await sleep(next - Date.now())
      await drainLegs(page, soak)
      heap.push(await heapSample(cdp, t0))
      log(`${heap.at(-1)?.min.toFixed(1)} min: heap ${f1(heap.at(-1)?.heapMb ?? NaN)} MB, latency p99 so far ${f1(pct(soak.total, 99))} ms`)
    }
    log(`load: measuring again after ${minutes} min (${windowMs / 1000} s)`)
    const end = await measure(page, cdp, hostPid, load, windowMs, soak)
    report({ minutes, idle, light: lightW, start, end, soak, heap, idleHeap, load: [load0, loadavg()[0] ?? NaN] })
    if (process.argv.includes('--profile')) await profile(cdp, windowMs)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await cleanup()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
}
