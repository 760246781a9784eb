/**
 * Stack-wide pause + unpause: Stackdeck's StackService (parallel calls, each confirmed by inspect,
 * targets from the live snapshot) against
 *   - raw: parallel dockerode pause/unpause over the same ids, no confirmation (the floor), and
 *   - shell: a serial `docker -H <host> pause <id>` loop, then `docker unpause` (what a script does).
 *
 *   bash scripts/with-test-env.sh node --import tsx bench/stack-bench.ts [--sizes 5,20,50] [--rounds 5]
 *
 * Each round runs the three methods in a rotating order; the table shows medians.
 */
import { execFile } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import Docker from 'dockerode'
import { removeFixtures, startFixtures, testDockerHost, testLabels } from '../test-support/docker-fixtures'
import { StackService } from '../electron/core/stack/stack-service'
import { printBenchJson } from './report'

const run = promisify(execFile)
const ctx = { who: 'bench', door: 'system' as const }

interface Row {
  n: number
  method: 'shell' | 'raw' | 'stackdeck'
  pauseMs: number
  unpauseMs: number
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now()
  await fn()
  return performance.now() - t0
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? (process.argv[i + 1] ?? def) : def
}

async function assertAll(docker: Docker, ids: string[], paused: boolean, who: string) {
  const states = await Promise.all(
    ids.map(async (id) => (await docker.getContainer(id).inspect()).State.Paused),
  )
  if (states.some((p) => p !== paused))
    throw new Error(`${who}: not every container is ${paused ? 'paused' : 'running'}`)
}

export async function runStackBench(sizes: number[], rounds: number): Promise<Row[]> {
  const host = testDockerHost()
  const docker = new Docker({ socketPath: host.replace(/^unix:\/\//, '') })
  const rows: Row[] = []
  for (const n of sizes) {
    const app = `sdt-bench-${n}-${Math.random().toString(36).slice(2, 6)}`
    const ids = await startFixtures({
      count: n,
      service: `bench${n}`,
      labels: { app },
      env: { HEARTBEAT_INTERVAL: '30' },
    })
    const stack = new StackService({
      endpoints: [{ id: 'local', url: host }],
      services: [
        {
          name: 'bench',
          selector: { ...testLabels(), app },
          reload: { signal: null, logPattern: null, timeoutMs: 1000 },
        },
      ],
      actionTimeoutMs: 60_000,
      announce: () => undefined,
    })
    try {
      await stack.start()
      for (
        let i = 0;
        stack.snapshot().services[0]?.containers.filter((c) => c.state === 'running').length !== n;
        i++
      ) {
        if (i > 400) throw new Error('containers did not show up')
        await new Promise((r) => setTimeout(r, 50))
      }
      const methods: Record<Row['method'], () => Promise<[number, number]>> = {
        stackdeck: async () => {
          let ok = true
          const p = await timed(async () => (ok = (await stack.pause(ctx)).ok && ok))
          await assertAll(docker, ids, true, 'stackdeck')
          const u = await timed(async () => (ok = (await stack.unpause(ctx)).ok && ok))
          if (!ok) throw new Error('stackdeck action not ok')
          return [p, u]
        },
        raw: async () => {
          const p = await timed(() => Promise.all(ids.map((id) => docker.getContainer(id).pause())))
          await assertAll(docker, ids, true, 'raw')
          const u = await timed(() => Promise.all(ids.map((id) => docker.getContainer(id).unpause())))
          return [p, u]
        },
        shell: async () => {
          const loop = (verb: string) =>
            run(
              'bash',
              [
                '-c',
                `for id in "$@"; do docker -H "${host}" ${verb} "$id" >/dev/null || exit 1; done`,
                'loop',
                ...ids,
              ],
              {
                env: { ...process.env, DOCKER_CONTEXT: '' },
                maxBuffer: 1 << 20,
              },
            )
          const p = await timed(() => loop('pause'))
          await assertAll(docker, ids, true, 'shell')
          const u = await timed(() => loop('unpause'))
          return [p, u]
        },
      }
      const order: Array<Row['method']> = ['stackdeck', 'raw', 'shell']
      // Warm-up: connections, code paths and the daemon's caches.
      for (const m of order) await methods[m]()
      const samples: Record<Row['method'], Array<[number, number]>> = { stackdeck: [], raw: [], shell: [] }
      for (let r = 0; r < rounds; r++) {
        for (let k = 0; k < order.length; k++) {
          const m = order[(k + r) % order.length] as Row['method']
          samples[m].push(await methods[m]())
        }
      }
      for (const m of ['shell', 'raw', 'stackdeck'] as const) {
        rows.push({
          n,
          method: m,
          pauseMs: median(samples[m].map((s) => s[0])),
          unpauseMs: median(samples[m].map((s) => s[1])),
        })
      }
    } finally {
      await stack.stop()
      await removeFixtures({ app })
    }
  }
  return rows
}

export function formatTable(rows: Row[]): string {
  const out = [
    'containers | method    | pause ms | unpause ms | total ms | vs raw | vs shell',
    '---|---|---|---|---|---|---',
  ]
  for (const r of rows) {
    const raw = rows.find((x) => x.n === r.n && x.method === 'raw') as Row
    const shell = rows.find((x) => x.n === r.n && x.method === 'shell') as Row
    const total = r.pauseMs + r.unpauseMs
    const ratio = (base: Row) => `${(total / (base.pauseMs + base.unpauseMs)).toFixed(2)}x`
    out.push(
      `${String(r.n).padStart(10)} | ${r.method.padEnd(9)} | ${r.pauseMs.toFixed(1).padStart(8)} | ${r.unpauseMs.toFixed(1).padStart(10)} | ${total.toFixed(1).padStart(8)} | ${ratio(raw).padStart(6)} | ${ratio(shell)}`,
    )
  }
  return out.join('\n')
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/bench\//, '/bench/'))) {
  const sizes = arg('sizes', '5,20,50').split(',').map(Number)
  const rounds = Number(arg('rounds', '5'))
  runStackBench(sizes, rounds)
    .then((rows) => {
      console.log(
        `\nStack-wide pause then unpause, median of ${rounds} rounds (engine: ${testDockerHost()})\n`,
      )
      console.log(formatTable(rows))
      // No goal of its own (the freeze goals live in the workflow bench); figures only.
      const ratios = rows.map((r) => {
        const raw = rows.find((x) => x.n === r.n && x.method === 'raw') as Row
        return { ...r, vsRaw: (r.pauseMs + r.unpauseMs) / (raw.pauseMs + raw.unpauseMs) }
      })
      printBenchJson('stack', { rounds, rows: ratios, goals: [] })
    })
    .catch((err: unknown) => {
      console.error(err)
      process.exitCode = 1
    })
}
