/**
 * Save & Restart on 5, 20 and 50 real fixture containers. Per size, in the same run and against
 * the same containers, rounds rotating the order of:
 *   - Stackdeck's run (mode 'paused' when the op accepts a mode), giving two figures:
 *       engine-side freeze: first `pause` to last `unpause` event of those containers, from
 *         `docker events` (the daemon's timeNano; bench/engine-events.ts),
 *       report-side freeze: the run report's `freezeWindowMs`;
 *   - raw: Promise.all(pause) then Promise.all(unpause) of the same containers via dockerode, the
 *     floor, timed from the engine's events (the same way) and from the client clock;
 *   - shell: a serial `docker pause` loop, `cp` to a backup, write the new file, a serial
 *     `docker unpause` loop (what a trader would script), timed inside the script.
 *
 *   bash scripts/with-test-env.sh node --import tsx bench/workflow-bench.ts [--sizes 5,20,50] [--rounds 3]
 *
 * Two Stackdeck modes: "no wait" (services without a reload signal or evidence pattern, so the run
 * ends after the write and unpause) and "reload" (each service signalled and its 'Config reloaded'
 * line awaited). Goals (the freeze of Save & Restart), on the no-wait runs, medians over the rounds:
 *   engine-side freeze <= 1.1 x raw (engine-side), report-side freeze <= 1.25 x raw (engine-side);
 *   growth 5 -> 50 containers (freeze50 / freeze5, engine-side) <= 1.25 x raw's own growth;
 *   and the older one: the freeze for 20 containers <= 0.3 of the shell script's.
 * A row "hot apply, 20 containers" runs a hot-only change with mode 'hot' (when the op accepts
 * it): goal 0 pause events, total time printed against the paused path on the same containers.
 * A missed goal is reported (MET / NOT MET, BENCH_JSON), never an exit code.
 */
import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { workflowOperations } from '../electron/core/api/contract/workflow'
import {
  buildWorkflowCore,
  createWorkflowFixtures,
  defaultServices,
  sha256,
  TRADER,
  withRiskMaxPosition,
  type FixtureServiceSpec,
  type WorkflowCore,
  type WorkflowFixtures,
} from '../test-support/workflow-harness'
import { engineEventCounts, engineFreezeWindow } from './engine-events'
import { goal, median, printBenchJson, printGoals, type Goal } from './report'

const run = promisify(execFile)
/** Older goal: Stackdeck's freeze for 20 containers against the shell script's. */
const GOAL_SHELL_RATIO = 0.3
/** The freeze goals of Save & Restart. */
const GOAL_ENGINE_VS_RAW = 1.1
const GOAL_REPORT_VS_RAW = 1.25
const GOAL_GROWTH_VS_RAW = 1.25
const HOT_SIZE = 20

type Mode = 'no-wait' | 'reload'
type ApplyMode = 'paused' | 'hot'

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? (process.argv[i + 1] ?? def) : def
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Does workflow.saveAndRestart take a `mode` input yet? (Another change adds it; never assumed.) */
function modeSupported(): boolean {
  const input = workflowOperations['workflow.saveAndRestart'].input as { properties?: Record<string, unknown> }
  return Object.keys(input.properties ?? {}).includes('mode')
}

/** The services of the fixture stack; without a signal and pattern nothing waits for evidence. */
function servicesFor(n: number, mode: Mode): FixtureServiceSpec[] {
  return defaultServices(n).map((s) => (mode === 'reload' ? s : { ...s, signal: null, logPattern: null }))
}

/**
 * What a shell script does, timed from inside it (nanosecond stamps around the pause and unpause
 * loops) so process start-up is not counted in the freeze window.
 */
const BASELINE_SH = `
set -e
host="$1"; file="$2"; new="$3"; shift 3
t0=$(date +%s%N)
for id in "$@"; do docker -H "$host" pause "$id" >/dev/null; done
cp -p "$file" "$file.bak.$(date +%Y%m%d_%H%M%S).$$"
cat "$new" > "$file"
for id in "$@"; do docker -H "$host" unpause "$id" >/dev/null; done
t1=$(date +%s%N)
echo "$t0 $t1"
`

interface ShellSample {
  freezeMs: number
  totalMs: number
}

async function shell(fx: WorkflowFixtures, nextPath: string): Promise<ShellSample> {
  const t0 = performance.now()
  const { stdout } = await run('bash', ['-c', BASELINE_SH, 'baseline', fx.host, fx.configPath, nextPath, ...fx.ids], {
    maxBuffer: 1 << 20,
  })
  const totalMs = performance.now() - t0
  const [a, b] = stdout.trim().split(/\s+/).map(Number)
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) throw new Error(`baseline printed ${stdout}`)
  return { freezeMs: (b - a) / 1e6, totalMs }
}

/** The engine's view of the window [t0, t1] (epoch ms): null when its events are missing. */
async function engineMs(fx: WorkflowFixtures, t0: number, t1: number): Promise<number | null> {
  // The daemon writes the event as the call returns; ask for a little past the end.
  const w = await engineFreezeWindow(fx.docker, fx.ids, t0 - 1, t1 + 30)
  return w === null ? null : w.ms
}

interface SdSample {
  engineMs: number | null
  reportMs: number
  totalMs: number
}

let flip = 0
async function stackdeck(core: WorkflowCore, fx: WorkflowFixtures, apply: ApplyMode | null): Promise<SdSample> {
  const before = await readFile(fx.configPath, 'utf8')
  // A real change every run, so every run writes and backs up. [risk] max_position is x-apply: hot.
  const text = withRiskMaxPosition(before, String(5000 + (flip++ % 2)))
  const input = { text, baseHash: sha256(before), reason: 'bench', ...(apply !== null ? { mode: apply } : {}) }
  const t0 = Date.now()
  const report = await core.handlers['workflow.saveAndRestart'](
    input,
    TRADER,
  )
  const t1 = Date.now()
  if (report.outcome !== 'applied') throw new Error(`run ended ${report.outcome}: ${report.message}`)
  if (report.freezeWindowMs === null) throw new Error('run reported no freeze window')
  return { engineMs: await engineMs(fx, t0, t1), reportMs: report.freezeWindowMs, totalMs: report.totalMs }
}

interface RawSample {
  engineMs: number | null
  clientMs: number
}

/** The floor: every pause at once, then every unpause at once, nothing else. */
async function raw(fx: WorkflowFixtures): Promise<RawSample> {
  const cs = fx.ids.map((id) => fx.docker.getContainer(id))
  const t0 = Date.now()
  const c0 = performance.now()
  await Promise.all(cs.map((c) => c.pause()))
  await Promise.all(cs.map((c) => c.unpause()))
  const clientMs = performance.now() - c0
  const t1 = Date.now()
  return { engineMs: await engineMs(fx, t0, t1), clientMs }
}

const med = (xs: Array<number | null>): number | null => {
  const ok = xs.filter((x): x is number => x !== null)
  // A figure from fewer than all rounds would not be a median over the rounds: say it is missing.
  return ok.length === xs.length && ok.length > 0 ? median(ok) : null
}

interface Row {
  n: number
  mode: Mode
  stackdeck: { engineMs: number | null; reportMs: number; totalMs: number }
  raw: { engineMs: number | null; clientMs: number }
  shell: { freezeMs: number; totalMs: number }
}

async function measure(n: number, mode: Mode, rounds: number, apply: ApplyMode | null): Promise<Row> {
  const fx = await createWorkflowFixtures({ services: servicesFor(n, mode) })
  const core = await buildWorkflowCore(fx, { keepBackups: 5 })
  const nextPath = `${fx.root}/next.toml`
  try {
    // Warm-up, uncounted: connections, code paths, the daemon's caches.
    await stackdeck(core, fx, apply)
    await raw(fx)
    const sd: SdSample[] = []
    const rw: RawSample[] = []
    const sh: ShellSample[] = []
    const order = ['sd', 'raw', 'sh'] as const
    for (let r = 0; r < rounds; r++) {
      // Rotate who goes first, so none always meets a warmer engine.
      for (let k = 0; k < order.length; k++) {
        const who = order[(k + r) % order.length]
        // Keep the event windows apart: one run's last unpause never falls in the next one's window.
        await sleep(40)
        if (who === 'sd') sd.push(await stackdeck(core, fx, apply))
        else if (who === 'raw') rw.push(await raw(fx))
        else {
          const cur = await readFile(fx.configPath, 'utf8')
          await writeFile(nextPath, withRiskMaxPosition(cur, String(7000 + r)))
          const next = await readFile(nextPath, 'utf8')
          sh.push(await shell(fx, nextPath))
          // Honest baseline: it must really have replaced the file (a silent no-op would look fast).
          if ((await readFile(fx.configPath, 'utf8')) !== next) throw new Error('the baseline script did not write config.toml')
          // The script replaced the file behind Stackdeck's back: load it again before the next run.
          await core.config.load()
        }
      }
    }
    return {
      n,
      mode,
      stackdeck: {
        engineMs: med(sd.map((s) => s.engineMs)),
        reportMs: median(sd.map((s) => s.reportMs)),
        totalMs: median(sd.map((s) => s.totalMs)),
      },
      raw: { engineMs: med(rw.map((s) => s.engineMs)), clientMs: median(rw.map((s) => s.clientMs)) },
      shell: { freezeMs: median(sh.map((s) => s.freezeMs)), totalMs: median(sh.map((s) => s.totalMs)) },
    }
  } finally {
    await core.stop()
    await fx.dispose()
  }
}

interface HotRow {
  n: number
  measured: boolean
  /** Why not, when not measured. */
  why?: string
  hot?: { pauses: number; unpauses: number; engineFreezeMs: number; totalMs: number; reportMode: unknown; reportFreezeMs: number | null }
  paused?: { engineMs: number | null; totalMs: number }
}

/** Hot-only change (max_position is x-apply: hot) with mode 'hot', against the paused path on the same containers. */
async function measureHot(n: number, rounds: number, supported: boolean): Promise<HotRow> {
  if (!supported) return { n, measured: false, why: 'mode not supported yet' }
  const fx = await createWorkflowFixtures({ services: servicesFor(n, 'reload') })
  const core = await buildWorkflowCore(fx, { keepBackups: 5 })
  try {
    const hot: Array<{ pauses: number; unpauses: number; engineFreezeMs: number; totalMs: number; reportMode: unknown; reportFreezeMs: number | null }> = []
    const paused: SdSample[] = []
    await stackdeck(core, fx, 'paused') // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const which of r % 2 === 0 ? (['hot', 'paused'] as const) : (['paused', 'hot'] as const)) {
        await sleep(40)
        if (which === 'paused') {
          paused.push(await stackdeck(core, fx, 'paused'))
          continue
        }
        const before = await readFile(fx.configPath, 'utf8')
        const text = withRiskMaxPosition(before, String(5000 + (flip++ % 2)))
        const input = { text, baseHash: sha256(before), reason: 'bench (hot)', mode: 'hot' as const }
        const t0 = Date.now()
        let report: Awaited<ReturnType<WorkflowCore['handlers']['workflow.saveAndRestart']>>
        try {
          report = await core.handlers['workflow.saveAndRestart'](
            input,
            TRADER,
          )
        } catch (err) {
          const msg = err instanceof Error ? err.message : String(err)
          return { n, measured: false, why: /\bmode\b/i.test(msg) ? 'mode not supported yet' : `the hot run was refused: ${msg}` }
        }
        const t1 = Date.now()
        if (report.outcome !== 'applied')
          return {
            n,
            measured: false,
            why: /\bmode\b/i.test(report.message) ? 'mode not supported yet' : `the hot run ended ${report.outcome}: ${report.message}`,
          }
        const c = await engineEventCounts(fx.docker, fx.ids, t0 - 1, t1 + 30)
        const engineFreezeMs =
          c.firstPauseNs !== null && c.lastUnpauseNs !== null ? Number(c.lastUnpauseNs - c.firstPauseNs) / 1e6 : 0
        const reportMode = (report as { mode?: unknown }).mode
        hot.push({ pauses: c.pauses, unpauses: c.unpauses, engineFreezeMs, totalMs: report.totalMs, reportMode, reportFreezeMs: report.freezeWindowMs })
      }
    }
    return {
      n,
      measured: true,
      hot: {
        pauses: Math.max(...hot.map((h) => h.pauses)),
        unpauses: Math.max(...hot.map((h) => h.unpauses)),
        engineFreezeMs: median(hot.map((h) => h.engineFreezeMs)),
        totalMs: median(hot.map((h) => h.totalMs)),
        reportMode: hot.at(-1)?.reportMode ?? null,
        reportFreezeMs: hot.at(-1)?.reportFreezeMs ?? null,
      },
      paused: { engineMs: med(paused.map((p) => p.engineMs)), totalMs: median(paused.map((p) => p.totalMs)) },
    }
  } finally {
    await core.stop()
    await fx.dispose()
  }
}

const f0 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(0))
const r2 = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`)
const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b)

function table(rows: Row[]): string {
  const head = [
    'containers',
    'mode',
    'engine SD ms',
    'report SD ms',
    'raw engine ms',
    'raw client ms',
    'engine/raw',
    'report/raw',
    'shell ms',
    'SD/shell',
    'total SD ms',
    'total shell ms',
  ]
  const lines = rows.map((r) => [
    String(r.n),
    r.mode,
    f0(r.stackdeck.engineMs),
    f0(r.stackdeck.reportMs),
    f0(r.raw.engineMs),
    f0(r.raw.clientMs),
    r2(r.stackdeck.engineMs, r.raw.engineMs),
    r2(r.stackdeck.reportMs, r.raw.engineMs),
    f0(r.shell.freezeMs),
    r2(r.stackdeck.reportMs, r.shell.freezeMs),
    f0(r.stackdeck.totalMs),
    f0(r.shell.totalMs),
  ])
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)))
  return [head, ...lines].map((l) => l.map((c, i) => c.padStart(w[i] ?? 0)).join('  ')).join('\n')
}

async function main(): Promise<void> {
  const sizes = arg('sizes', '5,20,50').split(',').map(Number)
  const rounds = Number(arg('rounds', '3'))
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sizes wants positive integers, got ${arg('sizes', '')}`)
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds wants a positive integer`)
  const supported = modeSupported()
  // Force the paused path when there is a choice: under 'auto' this hot-only change would not pause.
  const apply: ApplyMode | null = supported ? 'paused' : null
  const rows: Row[] = []
  for (const n of sizes) {
    for (const mode of ['no-wait', 'reload'] as const) {
      console.error(`[workflow-bench] ${n} containers, ${mode}…`)
      rows.push(await measure(n, mode, rounds, apply))
    }
  }
  console.error(`[workflow-bench] hot apply, ${HOT_SIZE} containers…`)
  const hot = await measureHot(HOT_SIZE, rounds, supported)

  console.log(
    `Save & Restart freeze, medians of ${rounds} rounds (mode input: ${supported ? "'paused' passed explicitly" : 'not supported by the op, default path'})`,
  )
  console.log('  engine = first pause to last unpause event (docker events, daemon clock); report = the run report\'s freezeWindowMs;')
  console.log('  raw = Promise.all(pause) then Promise.all(unpause) of the same containers; shell = serial docker pause/cp/write/unpause script')
  console.log(table(rows))

  const goals: Goal[] = []
  const nw = rows.filter((r) => r.mode === 'no-wait')
  for (const r of nw) {
    goals.push(goal(`${r.n} containers: engine-side freeze / raw (engine-side)`, ratio(r.stackdeck.engineMs, r.raw.engineMs), '<=', GOAL_ENGINE_VS_RAW))
    goals.push(goal(`${r.n} containers: report-side freeze / raw (engine-side)`, ratio(r.stackdeck.reportMs, r.raw.engineMs), '<=', GOAL_REPORT_VS_RAW))
  }
  const lo = nw.find((r) => r.n === Math.min(...sizes))
  const hi = nw.find((r) => r.n === Math.max(...sizes))
  let growth: Record<string, number | null> | null = null
  if (lo !== undefined && hi !== undefined && lo !== hi) {
    growth = {
      from: lo.n,
      to: hi.n,
      engine: ratio(hi.stackdeck.engineMs, lo.stackdeck.engineMs),
      report: ratio(hi.stackdeck.reportMs, lo.stackdeck.reportMs),
      rawEngine: ratio(hi.raw.engineMs, lo.raw.engineMs),
      rawClient: ratio(hi.raw.clientMs, lo.raw.clientMs),
    }
    console.log(
      `growth ${lo.n} -> ${hi.n} containers (freeze${hi.n} / freeze${lo.n}): Stackdeck engine-side ${r2(hi.stackdeck.engineMs, lo.stackdeck.engineMs)}, ` +
        `report-side ${r2(hi.stackdeck.reportMs, lo.stackdeck.reportMs)}; raw engine-side ${r2(hi.raw.engineMs, lo.raw.engineMs)}, raw client ${r2(hi.raw.clientMs, lo.raw.clientMs)}`,
    )
    goals.push(
      goal(`growth ${lo.n}->${hi.n}, Stackdeck engine-side / raw engine-side growth`, ratio(growth.engine ?? null, growth.rawEngine ?? null), '<=', GOAL_GROWTH_VS_RAW),
    )
  }
  // The freeze window ends at the last unpause, before any reload wait: the shell goal applies to both modes.
  for (const r of rows.filter((x) => x.n === 20))
    goals.push(goal(`20 containers (${r.mode}): report-side freeze / shell script's`, ratio(r.stackdeck.reportMs, r.shell.freezeMs), '<=', GOAL_SHELL_RATIO))

  if (hot.measured && hot.hot && hot.paused) {
    console.log(
      `hot apply, ${hot.n} containers: ${hot.hot.pauses} pause / ${hot.hot.unpauses} unpause events, engine-side freeze ${hot.hot.engineFreezeMs.toFixed(0)} ms ` +
        `(report: mode ${String(hot.hot.reportMode)}, freezeWindowMs ${f0(hot.hot.reportFreezeMs)}); total ${hot.hot.totalMs.toFixed(0)} ms ` +
        `vs paused path ${hot.paused.totalMs.toFixed(0)} ms (${r2(hot.hot.totalMs, hot.paused.totalMs)}), paused engine-side freeze ${f0(hot.paused.engineMs)} ms`,
    )
    goals.push(goal(`hot apply, ${hot.n} containers: pause events`, hot.hot.pauses, '==', 0, 'events'))
  } else {
    console.log(`hot apply: not measured (${hot.why ?? 'unknown'})`)
    goals.push(goal(`hot apply, ${hot.n} containers: pause events`, null, '==', 0, 'events'))
  }
  printGoals(goals)
  printBenchJson('workflow', { rounds, modeInput: supported, rows, growth, hot, goals })
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
}
