/**
 * `npm run bench`: every benchmark, one after the other, each in its own process so one bench's
 * heap, sockets and timers never colour the next one's figures. Runs inside the private test
 * environment (scripts/with-test-env.sh provides the Docker engine, Redis and fixture image).
 *
 *   npm run bench                      all of them
 *   npm run bench -- --only stack,bus  a subset, by name
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

const BENCHES = ['stack', 'bus', 'config', 'workflow', 'ui-monitor'] as const

function selected(): string[] {
  const i = process.argv.indexOf('--only')
  if (i < 0) return [...BENCHES]
  const names = (process.argv[i + 1] ?? '').split(',').filter(Boolean)
  if (names.length === 0) throw new Error(`--only wants a name list; known: ${BENCHES.join(', ')}`)
  const unknown = names.filter((n) => !(BENCHES as readonly string[]).includes(n))
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; known: ${BENCHES.join(', ')}`)
  return names
}

function runOne(file: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit', env: process.env })
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
    child.on('error', () => resolve(1))
  })
}

async function main(): Promise<void> {
  const results: Array<{ name: string; code: number | 'absent'; seconds: number }> = []
  for (const name of selected()) {
    const file = join(import.meta.dirname, `${name}-bench.ts`)
    if (!existsSync(file)) {
      console.log(`\n===== bench: ${name} absent (${file} does not exist), skipped`)
      results.push({ name, code: 'absent', seconds: 0 })
      continue
    }
    console.log(`\n===== bench: ${name}`)
    const t0 = performance.now()
    const code = await runOne(file)
    results.push({ name, code, seconds: (performance.now() - t0) / 1000 })
  }
  console.log('\n===== benchmarks run')
  for (const r of results)
    console.log(`  ${r.name.padEnd(11)} ${r.code === 'absent' ? 'absent' : r.code === 0 ? 'ok' : `exit ${r.code}`}  ${r.seconds.toFixed(0)} s`)
  if (results.some((r) => typeof r.code === 'number' && r.code !== 0)) process.exitCode = 1
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
