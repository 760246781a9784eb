/**
 * `npm run bench`: every benchmark, one after the other, each in its own process so one bench's
 * heap, sockets and timers never colour the next one's figures. Runs inside the private test
 * environment (scripts/with-test-env.sh provides the Docker engine, Redis and fixture image).
 *
 *   npm run bench                      all of them
 *   npm run bench -- --only stack,bus  a subset, by name
 *   npm run bench -- --only store --minutes 10 --events 10000000
 *                                      one bench, with its own options (passed through as given;
 *                                      options are refused when more than one bench is selected)
 *
 * Each bench prints MET / NOT MET per goal and one `BENCH_JSON {...}` line; this runner passes the
 * output through, picks that line out, and ends with a summary: per bench, ok or could not measure,
 * and how many goals were MET / NOT MET. Exit code: non-zero ONLY when a bench could not measure
 * (it crashed, its environment was missing, or it printed no BENCH_JSON line); a missed goal is a
 * result, never a failure.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseBenchJson, type BenchSummary } from './report'

const BENCHES = ['stack', 'bus', 'config', 'workflow', 'ui-monitor', 'store'] as const

function selected(): { names: string[]; passThrough: string[] } {
  const argv = process.argv.slice(2)
  const i = argv.indexOf('--only')
  const passThrough = i < 0 ? argv : [...argv.slice(0, i), ...argv.slice(i + 2)]
  if (i < 0) {
    if (passThrough.length > 0) throw new Error(`bench options (${passThrough.join(' ')}) need one bench: --only <name> ...`)
    return { names: [...BENCHES], passThrough }
  }
  const names = (argv[i + 1] ?? '').split(',').filter(Boolean)
  if (names.length === 0) throw new Error(`--only wants a name list; known: ${BENCHES.join(', ')}`)
  const unknown = names.filter((n) => !(BENCHES as readonly string[]).includes(n))
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; known: ${BENCHES.join(', ')}`)
  if (names.length > 1 && passThrough.length > 0) throw new Error(`bench options (${passThrough.join(' ')}) apply to one bench; --only names ${names.length}`)
  return { names, passThrough }
}

/** Run one bench, passing its output through, and keep the BENCH_JSON lines it prints. */
function runOne(file: string, args: readonly string[]): Promise<{ code: number; summaries: BenchSummary[] }> {
  return new Promise((resolve) => {
    const summaries: BenchSummary[] = []
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
      stdio: ['inherit', 'pipe', 'inherit'],
      env: process.env,
    })
    const lines = createInterface({ input: child.stdout })
    lines.on('line', (line) => {
      process.stdout.write(`${line}\n`)
      const s = parseBenchJson(line)
      if (s !== null) summaries.push(s)
    })
    let code: number | null = null
    let closed = false
    const done = () => {
      if (code !== null && closed) resolve({ code, summaries })
    }
    // 'exit' can come before the last lines are read: wait for both.
    lines.on('close', () => {
      closed = true
      done()
    })
    child.on('exit', (c, signal) => {
      code = c ?? (signal ? 128 : 1)
      done()
    })
    child.on('error', () => {
      code = 1
      closed = true
      done()
    })
  })
}

interface Result {
  name: string
  status: 'ok' | 'could not measure' | 'absent'
  why: string
  met: number
  notMet: number
  notMeasured: number
  seconds: number
}

async function main(): Promise<void> {
  const results: Result[] = []
  const { names, passThrough } = selected()
  for (const name of names) {
    const file = join(import.meta.dirname, `${name}-bench.ts`)
    if (!existsSync(file)) {
      console.log(`\n===== bench: ${name} absent (${file} does not exist), skipped`)
      results.push({ name, status: 'absent', why: '', met: 0, notMet: 0, notMeasured: 0, seconds: 0 })
      continue
    }
    console.log(`\n===== bench: ${name}`)
    const t0 = performance.now()
    const { code, summaries } = await runOne(file, passThrough)
    const goals = summaries.flatMap((s) => s.goals)
    const why =
      code !== 0 ? `exit ${code}` : summaries.length === 0 ? 'no BENCH_JSON line' : summaries.length > 1 ? `${summaries.length} BENCH_JSON lines` : ''
    results.push({
      name,
      status: why === '' ? 'ok' : 'could not measure',
      why,
      met: goals.filter((g) => g.met === true).length,
      notMet: goals.filter((g) => g.met === false).length,
      notMeasured: goals.filter((g) => g.met === null).length,
      seconds: (performance.now() - t0) / 1000,
    })
  }
  console.log('\n===== benchmarks run')
  for (const r of results) {
    const status = r.status === 'could not measure' ? `could not measure (${r.why})` : r.status
    const goals =
      r.status === 'absent' ? '' : `goals: ${r.met} MET, ${r.notMet} NOT MET${r.notMeasured ? `, ${r.notMeasured} not measured` : ''}`
    console.log(`  ${r.name.padEnd(11)} ${status.padEnd(20)} ${goals.padEnd(34)} ${r.seconds.toFixed(0)} s`)
  }
  // Missed goals are results; only a bench that could not measure fails the run.
  if (results.some((r) => r.status === 'could not measure')) process.exitCode = 1
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
