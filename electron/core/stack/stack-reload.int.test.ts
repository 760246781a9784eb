import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  hasTestDocker,
  removeFixtures,
  startFixtures,
  testDocker,
  testDockerHost,
  testLabels,
  waitForLog,
} from '../../../test-support/docker-fixtures'
import { StackService } from './stack-service'

describe.skipIf(!hasTestDocker())('reload evidence on a real engine (STACKDECK_TEST_DOCKER_HOST)', () => {
  const app = `sdt-reload-${Math.random().toString(36).slice(2, 8)}`
  const sel = (role: string) => ({ ...testLabels(), app, role })
  let stack: StackService
  let orch: string[] = []
  let quiet: string[] = []

  beforeAll(async () => {
    orch = await startFixtures({ count: 3, service: 'orch', labels: { app, role: 'orch' } })
    quiet = await startFixtures({ count: 1, service: 'quiet', labels: { app, role: 'quiet' } })
    await startFixtures({ count: 1, service: 'watcher', labels: { app, role: 'watcher' } })
    await startFixtures({ count: 1, service: 'blind', labels: { app, role: 'blind' } })
    // Let each fixture print its start-up lines so "since" has a past to trim.
    await Promise.all([...orch, ...quiet].map((id) => waitForLog(id, /started pid=/)))
    stack = new StackService({
      endpoints: [{ id: 'local', url: testDockerHost() }],
      services: [
        {
          name: 'orch',
          selector: sel('orch'),
          reload: { signal: 'SIGUSR1', logPattern: 'Config reloaded sha=', timeoutMs: 15_000 },
        },
        // Signalled, but the evidence it waits for never comes.
        {
          name: 'quiet',
          selector: sel('quiet'),
          reload: { signal: 'SIGUSR1', logPattern: 'this line never appears', timeoutMs: 1500 },
        },
        // fsnotify-style: no signal, evidence must be newer than `since`.
        {
          name: 'watcher',
          selector: sel('watcher'),
          reload: { signal: null, logPattern: 'Config reloaded', timeoutMs: 1500 },
        },
        {
          name: 'blind',
          selector: sel('blind'),
          reload: { signal: 'SIGHUP', logPattern: null, timeoutMs: 1000 },
        },
        {
          name: 'empty',
          selector: sel('nobody'),
          reload: { signal: 'SIGHUP', logPattern: 'x', timeoutMs: 1000 },
        },
      ],
      actionTimeoutMs: 20_000,
    })
    await stack.start()
  })

  afterAll(async () => {
    await stack?.stop()
    if (hasTestDocker()) await removeFixtures({ app })
  })

  it('proves a signalled reload from a log line written after the signal', async () => {
    const r = await stack.reload({ services: ['orch'] })
    expect(r.proved).toEqual(['orch'])
    expect(r.notProved).toEqual([])
    const svc = r.services[0]
    expect(svc).toMatchObject({ service: 'orch', signal: 'SIGUSR1', status: 'proved' })
    expect(svc?.containers).toHaveLength(3)
    for (const c of svc?.containers ?? []) {
      expect(c.proved).toBe(true)
      expect(c.line).toMatch(/Config reloaded sha=[0-9a-f]+|Config reloaded sha=missing/)
      expect(Date.parse(c.at ?? '')).toBeGreaterThanOrEqual(Date.parse(r.at) - 5)
    }
    // The engine agrees: each container logged exactly one reload so far.
    for (const id of orch) await waitForLog(id, /Config reloaded/)
  })

  it('does not take an earlier matching line as evidence, even inside the since margin', async () => {
    // A reload line from a second ago: `since` (whole seconds minus 1 s) still returns it;
    // only the per-line timestamp check keeps it out.
    const [w] = (await stack.list()).services.find((s) => s.name === 'watcher')?.containers ?? []
    await testDocker()
      .getContainer(w?.id as string)
      .kill({ signal: 'SIGUSR1' })
    await waitForLog(w?.id as string, /Config reloaded/, 5000)
    const r = await stack.reload({ services: ['watcher'] })
    // The whole report on failure: this once failed in CI with notProved=[] and nothing else to go on.
    expect(r.notProved, JSON.stringify(r)).toEqual(['watcher'])
    expect(r.services[0]?.containers[0]).toMatchObject({ proved: false })
    expect(r.services[0]?.containers[0]?.error).toMatch(/within 1500 ms/)
    // With `since` before that line (the config was written earlier), the same line does count.
    const r2 = await stack.reload({ services: ['watcher'], since: new Date(Date.now() - 10_000) })
    expect(r2.proved).toEqual(['watcher'])
  })

  it('times out when the evidence never appears, and says which services are unverifiable or empty', async () => {
    const t0 = Date.now()
    const r = await stack.reload({ services: ['quiet', 'blind', 'empty'] })
    const took = Date.now() - t0
    expect(took).toBeGreaterThanOrEqual(1400)
    expect(took).toBeLessThan(6000)
    expect(r.proved).toEqual([])
    expect(r.notProved).toEqual(['quiet', 'empty'])
    expect(r.unverifiable).toEqual(['blind'])
    const quietRes = r.services.find((s) => s.service === 'quiet')
    expect(quietRes?.containers[0]).toMatchObject({ id: quiet[0], proved: false })
    expect(quietRes?.containers[0]?.ms).toBeGreaterThanOrEqual(1400)
    expect(r.services.find((s) => s.service === 'empty')?.error).toBe('no running containers')
    expect(r.services.find((s) => s.service === 'blind')?.error).toMatch(/cannot be verified/)
    // The signal did reach the quiet service: its own reload line is there, it just is not the evidence asked for.
    await waitForLog(quiet[0] as string, /Config reloaded/, 5000)
  })

  it('reloads every service at once by default', async () => {
    const r = await stack.reload()
    expect(r.proved.sort()).toEqual(['orch'])
    expect(r.notProved.sort()).toEqual(['empty', 'quiet', 'watcher'])
    expect(r.unverifiable).toEqual(['blind'])
    // All in parallel: about the longest timeout (1.5 s), not their sum.
    expect(r.ms).toBeLessThan(5000)
    await expect(stack.reload({ services: ['nope'] })).rejects.toMatchObject({ code: 'not_found' })
  })
})
