/// <reference lib="dom" />
/**
 * The Monitor tab under load, in Debian's Chromium against the real headless host and Redis:
 * 1,000 agents beating at 1 Hz plus 10,000 events per second (bench/ui-load-publisher.mjs, its own
 * process). Figures, each against a baseline from the same run:
 *   - frame times (requestAnimationFrame deltas): idle Monitor tab vs loaded; target p95 < 16 ms
 *     (Chromium's frame budget; the idle page's p95 is printed beside it as the baseline);
 *   - heartbeat-to-grid latency: the heartbeat's own send time to the commit of its visible row
 *     (the page's `?monitorProbe=1` hook); target p99 < 250 ms; the idle bus latency is the baseline;
 *   - JS heap, sampled every 30 s for `--minutes` (default 10): start vs end and the trend of the
 *     last third, which must be flat (bounded).
 *
 *   bash scripts/with-test-env.sh node --import tsx bench/ui-monitor-bench.ts [--minutes 10]
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium, type Page } from '@playwright/test'
import { startHostProcess, type RunningHost } from '../e2e/support/host-process'
import { testKey, testRedisUrl } from '../e2e/support/redis-fixture'
import { testSettings } from '../e2e/support/test-settings'
import { CHROMIUM, CHROMIUM_ARGS } from '../playwright.config'

const ROOT = resolve(import.meta.dirname, '..')
const AGENTS = 1000
const EVENTS_PER_S = 10_000
const WINDOW_MS = 20_000

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? (process.argv[i + 1] ?? def) : def
}

const dropped = (xs: number[]): number => (xs.length ? (100 * xs.filter((x) => x > 25).length) / xs.length : NaN)

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number
}

declare global {
  interface Window {
    __frames?: number[]
    /** The renderer's probe (renderer/src/features/monitor/probe.ts), present with ?monitorProbe=1. */
    __stackdeckMonitorProbe?: { drainLatencies(): number[]; stats(): Record<string, number> }
  }
}

/** Frame deltas over `ms`, recorded in the page by a requestAnimationFrame loop. */
async function frames(page: Page, ms: number): Promise<number[]> {
  // A string, not a function: tsx would wrap a named inner function in a helper the page lacks.
  await page.evaluate(`(() => {
    window.__frames = []
    let last = performance.now()
    function loop(t) {
      if (!window.__frames) return
      window.__frames.push(t - last)
      last = t
      requestAnimationFrame(loop)
    }
    requestAnimationFrame(loop)
  })()`)
  await new Promise((r) => setTimeout(r, ms))
  return page.evaluate(() => {
    const f = window.__frames ?? []
    window.__frames = undefined
    return f.slice(1)
  })
}

async function latencies(page: Page, ms: number): Promise<number[]> {
  await page.evaluate(() => window.__stackdeckMonitorProbe?.drainLatencies())
  await new Promise((r) => setTimeout(r, ms))
  return page.evaluate(() => window.__stackdeckMonitorProbe?.drainLatencies() ?? [])
}

function publisher(agents: number, eventsPerS: number, prefix: string): ChildProcess {
  return spawn(process.execPath, [join(ROOT, 'bench/ui-load-publisher.mjs')], {
    env: { ...process.env, REDIS_URL: testRedisUrl(), AGENTS: String(agents), EVENTS_PER_S: String(eventsPerS), AGENT_PREFIX: prefix },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}

const stop = (p: ChildProcess | null) =>
  new Promise<void>((r) => {
    if (!p || p.exitCode !== null) return r()
    p.once('exit', () => r())
    p.kill('SIGTERM')
  })

async function main(): Promise<void> {
  const minutes = Number(arg('minutes', '10'))
  if (!existsSync(join(ROOT, 'out/main/server.js'))) throw new Error('build first: npx electron-vite build')
  const prefix = `uib-${Math.random().toString(36).slice(2, 7)}`
  let host: RunningHost | null = null
  let load: ChildProcess | null = null
  let idle: ChildProcess | null = null
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  try {
    host = await startHostProcess(
      testSettings({
        services: [],
        schedule: { enabled: false },
        redis: {
          url: testRedisUrl(),
          heartbeatTimeoutMs: 5000,
          killswitchKey: testKey(`${prefix}:ks`),
          tradingKey: testKey(`${prefix}:trading`),
        },
      }),
    )
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } })
    await page.goto(`${host.url}/?monitorProbe=1#token=${host.token}`)
    await page.getByRole('tab', { name: 'Monitor' }).click()
    await page.getByTestId('bus-state').filter({ hasText: 'ready' }).waitFor()
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable')
    const heap = async () => {
      const m = await cdp.send('Performance.getMetrics')
      return (m.metrics.find((x) => x.name === 'JSHeapUsedSize')?.value ?? NaN) / 1e6
    }

    // Baseline: the same page with a light bus (20 agents, 50 events/s), same probes.
    // Same ids as the load's first agents, so no baseline agent lingers as a dead row at the top.
    idle = publisher(20, 50, prefix)
    await new Promise((r) => setTimeout(r, 3000))
    const [idleFrames, idleLat] = await Promise.all([frames(page, WINDOW_MS), latencies(page, WINDOW_MS)])
    await stop(idle)
    idle = null

    load = publisher(AGENTS, EVENTS_PER_S, prefix)
    await page.locator(`[data-testid=agent-row]`).nth(200).waitFor({ state: 'attached', timeout: 30_000 }).catch(() => undefined)
    await new Promise((r) => setTimeout(r, 5000))
    const heapStart = await heap()
    const [loadFrames, loadLat] = await Promise.all([frames(page, WINDOW_MS), latencies(page, WINDOW_MS)])
    const stats = await page.evaluate(() => window.__stackdeckMonitorProbe?.stats())

    const samples: Array<{ min: number; mb: number }> = [{ min: 0, mb: heapStart }]
    const endAt = Date.now() + minutes * 60_000
    while (Date.now() < endAt) {
      await new Promise((r) => setTimeout(r, Math.min(30_000, endAt - Date.now())))
      // Let the collector run so we read live data, not garbage not yet collected.
      await cdp.send('HeapProfiler.collectGarbage').catch(() => undefined)
      samples.push({ min: (minutes * 60_000 - (endAt - Date.now())) / 60_000, mb: await heap() })
    }
    const endFrames = await frames(page, 10_000)
    const heapEnd = samples.at(-1)?.mb ?? NaN
    const third = samples.slice(Math.floor((samples.length * 2) / 3))
    const trendMbPerMin =
      third.length >= 2 ? ((third.at(-1)?.mb ?? 0) - (third[0]?.mb ?? 0)) / Math.max(1e-9, (third.at(-1)?.min ?? 0) - (third[0]?.min ?? 0)) : NaN

    const row = (name: string, base: number, loaded: number, target: string) =>
      console.log(`${name.padEnd(34)} ${base.toFixed(1).padStart(9)} ${loaded.toFixed(1).padStart(9)} ${(loaded / base).toFixed(2).padStart(7)}  ${target}`)
    console.log(`\nMonitor tab, ${AGENTS} agents at 1 Hz + ${EVENTS_PER_S} events/s, Chromium (${CHROMIUM})`)
    console.log(`${'measure'.padEnd(34)} ${'baseline'.padStart(9)} ${'loaded'.padStart(9)} ${'ratio'.padStart(7)}  target`)
    const p95 = pct(loadFrames, 95)
    const p99lat = pct(loadLat, 99)
    row('frame time p50 (ms)', pct(idleFrames, 50), pct(loadFrames, 50), '')
    // rAF deltas are quantised to the display's vsync (16.7 ms at 60 Hz): a p95 of one interval
    // means no frame was dropped, which is what "under 16 ms of work per frame" buys.
    row('frame time p95 (ms)', pct(idleFrames, 95), p95, `one vsync (<= 17.2 ms): ${p95 <= 17.2 ? 'MET' : 'NOT MET'}`)
    row('frames over 25 ms, dropped (%)', dropped(idleFrames), dropped(loadFrames), '')
    row(`frame time p95 after ${minutes} min (ms)`, pct(idleFrames, 95), pct(endFrames, 95), '')
    row('heartbeat→grid p50 (ms)', pct(idleLat, 50), pct(loadLat, 50), '')
    row('heartbeat→grid p99 (ms)', pct(idleLat, 99), p99lat, `< 250 ms: ${p99lat < 250 ? 'MET' : 'NOT MET'}`)
    row(`JS heap (MB), start→${minutes} min`, heapStart, heapEnd, `last third trend ${trendMbPerMin.toFixed(2)} MB/min`)
    console.log(`latency samples: idle ${idleLat.length}, loaded ${loadLat.length}; page stats ${JSON.stringify(stats)}`)
    console.log(
      JSON.stringify({
        bench: 'ui-monitor',
        agents: AGENTS,
        eventsPerS: EVENTS_PER_S,
        minutes,
        frames: { idleP95: pct(idleFrames, 95), droppedPctIdle: dropped(idleFrames), droppedPctLoaded: dropped(loadFrames), loadedP50: pct(loadFrames, 50), loadedP95: p95, endP95: pct(endFrames, 95) },
        latency: { idleP99: pct(idleLat, 99), loadedP50: pct(loadLat, 50), loadedP99: p99lat, samples: loadLat.length },
        heapMb: { start: heapStart, end: heapEnd, trendMbPerMin, samples },
      }),
    )
  } finally {
    await stop(load)
    await stop(idle)
    await browser.close()
    await host?.stop()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
}
