/**
 * One owner per state directory, and one Save & Restart per config directory, with REAL built host
 * processes (out/main/server.js, what `npm run serve` runs):
 * - a second host on the same state directory starts no core: it exits with EXIT_LOCKED and names
 *   the first (pid, door, URL); after a kill -9 of the first a new one starts at once (no stale lock);
 * - two hosts on different state directories but one config.toml: Save & Restart asked of both at
 *   once runs on one and is refused on the other (409 busy, naming the holder), never interleaved.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createApiWorkspace, ensureBuilt, errorOf, hostSettings, makeTokens, randomTag, sha256, startApiHost, type ApiHost, type ApiWorkspace } from '../../test-support/api-harness'
import { hasTestDocker, removeFixtures, startFixtures, waitForLog } from '../../test-support/docker-fixtures'
import { hostExitOf, startHostProcess, type RunningHost } from '../../test-support/host-process'
import { hasTestRedis } from '../../test-support/redis-fixture'
import { testSettings } from '../../test-support/test-settings'
import { EXIT_LOCKED } from './instance'

const cleanups: Array<() => Promise<unknown>> = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined)
})

async function workspace(): Promise<ApiWorkspace> {
  const ws = await createApiWorkspace()
  cleanups.push(() => ws.cleanup())
  return ws
}

const exited = (h: RunningHost) => h.proc.exitCode !== null || h.proc.signalCode !== null
/** RunningHost.stop() waits for an 'exit' that a killed process already emitted. */
const stop = (h: RunningHost) => (exited(h) ? Promise.resolve() : h.stop())

/** Resolves once `h` has printed `text` (lines after the URL's may come a moment later). */
async function printed(h: RunningHost, text: string): Promise<string> {
  for (let i = 0; i < 50 && !h.output().includes(text); i++) await new Promise((r) => setTimeout(r, 100))
  return h.output()
}

const kill9 = (h: RunningHost) =>
  new Promise<void>((r) => {
    if (exited(h)) return r()
    h.proc.once('exit', () => r())
    h.proc.kill('SIGKILL')
  })

describe('the instance lock on the state directory', () => {
  it('refuses a second host with EXIT_LOCKED naming the first; after kill -9 of the first a new one starts at once', async () => {
    ensureBuilt()
    const ws = await workspace()
    const settings = testSettings({ stateDir: ws.stateDir, config: { path: ws.configPath }, services: [] })
    const first = await startHostProcess(settings)
    cleanups.push(() => stop(first))
    const pid = first.proc.pid as number

    const second = await hostExitOf(settings)
    expect(second.code, second.output).toBe(EXIT_LOCKED)
    expect(second.output).toContain(`Another Stackdeck owns the state directory ${ws.stateDir}`)
    expect(second.output).toContain(`pid ${pid} (headless, ${first.url}`)
    expect(second.output).toContain(`--url ${first.url}`)
    // It started no core: no API line, and the first still answers.
    expect(second.output).not.toContain('headless host on')
    expect((await fetch(`${first.url}/health`)).status).toBe(200)

    // A host on ANOTHER state directory is not held back by this lock.
    const other = await workspace()
    const beside = await startHostProcess(testSettings({ stateDir: other.stateDir, config: { path: other.configPath }, services: [] }))
    cleanups.push(() => stop(beside))

    await kill9(first)
    const t0 = Date.now()
    const third = await startHostProcess(settings)
    cleanups.push(() => stop(third))
    // "At once": no lock timeout or stale-file wait, only the host's own start-up.
    expect(Date.now() - t0).toBeLessThan(15_000)
    const line = `State directory ${ws.stateDir} (owned by this process, pid ${third.proc.pid})`
    expect(await printed(third, line)).toContain(line)
  })
})

const enabled = hasTestDocker() && hasTestRedis()

describe.skipIf(!enabled)('the Save & Restart lock on the config directory', () => {
  it('two hosts on different state directories and one config.toml: one run at a time, the other refused naming the holder', async () => {
    ensureBuilt()
    const ws = await workspace()
    const run = randomTag()
    const labels = { sdapi: run, role: 'slow' }
    const [id] = await startFixtures({ service: 'slow', count: 1, labels, configDir: ws.configDir })
    cleanups.push(() => removeFixtures({ sdapi: run }))
    await waitForLog(id as string, /started pid=/)
    const tokens = makeTokens()
    // A reload whose evidence never comes: each run waits out its 4 s verify, holding the lock
    // long enough that two runs asked for at once must overlap unless one is refused.
    const services = [{ name: 'slow', selector: labels, reload: { signal: 'SIGUSR1', logPattern: 'never printed by the fixture', timeoutMs: 4000 } }]
    const base = hostSettings({ workspace: ws, tokens, tag: `lock-${run}`, services })
    const hosts: ApiHost[] = []
    for (const name of ['state-a', 'state-b']) {
      const h = await startApiHost({ ...base, stateDir: join(ws.dir, name) }, tokens)
      cleanups.push(() => h.dispose())
      hosts.push(h)
    }
    const [a, b] = hosts as [ApiHost, ApiHost]
    const before = await readFile(ws.configPath, 'utf8')
    const textA = before.replace('log_level = "info"', 'log_level = "debug"')
    const textB = before.replace('log_level = "info"', 'log_level = "warning"')
    expect(new Set([before, textA, textB]).size).toBe(3)

    const ask = (h: ApiHost, text: string) =>
      h.client.post('/api/rpc/workflow.saveAndRestart', { text, baseHash: sha256(before), reason: `lock test ${run}` }, tokens.operate)
    const [ra, rb] = await Promise.all([ask(a, textA), ask(b, textB)])

    const answers = [
      { host: a, r: ra, text: textA },
      { host: b, r: rb, text: textB },
    ]
    const refused = answers.filter((x) => x.r.status === 409)
    const ran = answers.filter((x) => x.r.status !== 409)
    expect(refused.length, JSON.stringify(answers.map((x) => [x.r.status, x.r.text.slice(0, 400)]))).toBe(1)
    expect(ran.length).toBe(1)
    const winner = ran[0] as (typeof answers)[number]
    const loser = refused[0] as (typeof answers)[number]
    const err = errorOf(loser.r)
    expect(err?.code).toBe('busy')
    // Named: the file, the other instance's pid, URL and state directory.
    expect(String(err?.message)).toContain(`Save & Restart is already running on ${ws.configPath} in another Stackdeck: pid ${winner.host.proc.pid}`)
    expect(String(err?.message)).toContain(winner.host.url)
    expect(String(err?.message)).toContain(join(ws.dir, winner.host === a ? 'state-a' : 'state-b'))
    expect(String(err?.message)).toContain('refused, not queued')
    // The file is the winner's, whole: the refused run wrote nothing.
    expect(await readFile(ws.configPath, 'utf8')).toBe(winner.text)

    // Once the winner's run is over the lock is free: the other host's next run gets past it (it
    // fails on the base hash, which proves it reached the run's own checks, not the lock).
    const again = await ask(loser.host, loser.text)
    expect(errorOf(again)?.code, again.text.slice(0, 400)).not.toBe('busy')
  })
})
