import { createServer, type Server, type Socket } from 'node:net'
import { isDeepStrictEqual } from 'node:util'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type Docker from 'dockerode'
import {
  canControlDockerd,
  hasTestDocker,
  removeFixtures,
  startDockerd,
  startExtraDockerd,
  startFixtures,
  stopDockerd,
  stopExtraDockerd,
  testDocker,
  testDockerHost,
  testLabels,
} from '../../../test-support/docker-fixtures'
import { EventHub } from '../event-hub'
import { StackService } from './stack-service'
import type { ServiceSpec, StackSnapshot } from './types'

const ctx = { who: 'int-test', door: 'system' as const }
const noReload = { signal: null, logPattern: null, timeoutMs: 1000 }

async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** What the engine says right now, independently of Stackdeck: id -> [state, startedAt]. */
async function engineView(
  docker: Docker,
  labels: Record<string, string>,
): Promise<Record<string, [string, string | null]>> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) },
  })
  const out: Record<string, [string, string | null]> = {}
  for (const c of list) {
    const s = (await docker.getContainer(c.Id).inspect()).State
    out[c.Id] = [s.Status, s.StartedAt.startsWith('0001-') ? null : s.StartedAt]
  }
  return out
}

function stackView(snap: StackSnapshot, service: string): Record<string, [string, string | null]> {
  const out: Record<string, [string, string | null]> = {}
  for (const c of snap.services.find((s) => s.name === service)?.containers ?? [])
    out[c.id] = [c.state, c.startedAt]
  return out
}

const suffix = () => Math.random().toString(36).slice(2, 8)

describe.skipIf(!hasTestDocker())('stack watcher on real engines (STACKDECK_TEST_DOCKER_HOST)', () => {
  let stack: StackService | null = null
  afterEach(async () => {
    await stack?.stop()
    stack = null
  })
  afterAll(async () => {
    if (hasTestDocker()) await removeFixtures()
  })

  it.skipIf(!canControlDockerd())(
    'reconnects on its own after dockerd stops and starts, and re-lists to match reality',
    async () => {
      const app = `sdt-watch-${suffix()}`
      const labels = { ...testLabels(), app }
      await startFixtures({ count: 4, service: 'watch', labels: { app } })
      const hub = new EventHub<{ 'stack.changed': StackSnapshot }>()
      const seen: StackSnapshot[] = []
      hub.subscribe((_n, p) => seen.push(p))
      stack = new StackService({
        endpoints: [{ id: 'local', url: testDockerHost() }],
        services: [{ name: 'watch', selector: labels, reload: noReload }],
        actionTimeoutMs: 20_000,
        events: hub,
        backoffCapMs: 2000,
      })
      await stack.start()
      const s = stack
      await until(
        '4 running',
        () => Object.values(stackView(s.snapshot(), 'watch')).filter(([st]) => st === 'running').length === 4,
      )

      await stopDockerd()
      await until(
        'endpoint reported unreachable',
        () => seen.some((x) => x.endpoints[0]?.reachable === false),
        20_000,
      )
      expect(s.endpoints()[0]).toMatchObject({ reachable: false, watching: false })
      expect(s.snapshot().services[0]?.containers).toEqual([])
      expect((await s.status()).state).toBe('unreachable')

      await startDockerd()
      // Nothing is called on the service here: the watcher finds the daemon again by itself.
      await until('watching again', () => s.endpoints()[0]?.watching === true, 30_000)
      const docker = testDocker()
      const fresh = await engineView(docker, labels)
      expect(Object.keys(fresh)).toHaveLength(4)
      await until('snapshot equals a fresh list', async () =>
        isDeepStrictEqual(stackView(s.snapshot(), 'watch'), await engineView(docker, labels)),
      )
      expect(stackView(s.snapshot(), 'watch')).toEqual(await engineView(docker, labels))

      // The events stream is live again: a change made behind Stackdeck's back shows up without a list.
      const one = Object.keys(fresh)[0] as string
      await docker.getContainer(one).start()
      await until(
        'started container seen via events',
        () => stackView(s.snapshot(), 'watch')[one]?.[0] === 'running',
      )
      expect(stackView(s.snapshot(), 'watch')).toEqual(await engineView(docker, labels))
    },
  )

  it('lists two endpoints in parallel, one service on each, and reports broken endpoints without blocking', async () => {
    const app = `sdt-two-${suffix()}`
    const { host: host2, docker: docker2 } = await startExtraDockerd('d2')
    // A TCP endpoint that accepts connections and never answers: only the per-endpoint timeout ends it.
    const sockets: Socket[] = []
    const silent: Server = createServer((sock) => sockets.push(sock))
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    const port = (silent.address() as { port: number }).port
    try {
      const [orch] = await startFixtures({ count: 2, service: 'orch', labels: { app, role: 'orch' } })
      const [scan] = await startFixtures({
        count: 3,
        service: 'scan',
        labels: { app, role: 'scan' },
        docker: docker2,
      })
      // Same labels on the other engine too, to prove the endpoint scoping (not just the labels) separates them.
      await startFixtures({ count: 1, service: 'orch-on-d2', labels: { app, role: 'orch' }, docker: docker2 })
      const services: ServiceSpec[] = [
        {
          name: 'orch',
          selector: { ...testLabels(), app, role: 'orch' },
          endpoint: 'local',
          reload: noReload,
        },
        { name: 'scan', selector: { ...testLabels(), app, role: 'scan' }, endpoint: 'd2', reload: noReload },
        {
          name: 'ghost',
          selector: { ...testLabels(), app, role: 'ghost' },
          endpoint: 'bogus',
          reload: noReload,
        },
        {
          name: 'mute',
          selector: { ...testLabels(), app, role: 'mute' },
          endpoint: 'silent',
          reload: noReload,
        },
      ]
      stack = new StackService({
        endpoints: [
          { id: 'local', url: testDockerHost() },
          { id: 'd2', url: host2 },
          { id: 'bogus', url: `unix:///tmp/sdt-no-such-${suffix()}.sock` },
          { id: 'silent', url: `tcp://127.0.0.1:${port}` },
        ],
        services,
        actionTimeoutMs: 20_000,
        listTimeoutMs: 1500,
      })
      const t0 = Date.now()
      const snap = await stack.list()
      const took = Date.now() - t0
      // Parallel with a 1.5 s per-endpoint budget: the silent endpoint costs its timeout once, not more.
      expect(took).toBeLessThan(4000)
      const names = (svc: string) =>
        snap.services.find((s) => s.name === svc)?.containers.map((c) => c.endpoint)
      expect(names('orch')).toEqual(['local', 'local'])
      expect(names('scan')).toEqual(['d2', 'd2', 'd2'])
      expect(names('ghost')).toEqual([])
      const ep = Object.fromEntries(snap.endpoints.map((e) => [e.id, e]))
      expect(ep['local']).toMatchObject({ reachable: true, error: null, containers: 2 })
      expect(ep['d2']).toMatchObject({ reachable: true, error: null, containers: 3 })
      expect(ep['bogus']).toMatchObject({ reachable: false })
      expect(ep['bogus']?.error).toMatch(/ENOENT|no such file/i)
      expect(ep['silent']).toMatchObject({ reachable: false })
      expect(ep['silent']?.error).toMatch(/no answer within 1500 ms/)
      expect(snap.services.find((s) => s.name === 'orch')?.containers.map((c) => c.id)).toContain(orch)
      expect(snap.services.find((s) => s.name === 'scan')?.containers.map((c) => c.id)).toContain(scan)

      // A stack-wide pause acts on both engines and says which endpoints it could not reach. The
      // silent endpoint holds up nobody: d2's container is paused long before its 1.5 s budget ends.
      const t1 = Date.now()
      const pausing = stack.pause(ctx, { reason: 'two endpoints' })
      await until(
        'scan paused on d2',
        async () => (await docker2.getContainer(scan as string).inspect()).State.Paused,
        10_000,
      )
      expect(Date.now() - t1).toBeLessThan(1200)
      const p = await pausing
      expect(p.ms).toBeGreaterThanOrEqual(1400)
      expect(p.totals).toMatchObject({ ok: 5, all: 5 })
      expect(p.unreachable.map((u) => u.endpoint).sort()).toEqual(['bogus', 'silent'])
      expect(p.ok).toBe(false)
      expect((await docker2.getContainer(scan as string).inspect()).State.Paused).toBe(true)
      const d2only = await stack.unpause(ctx, { target: { service: 'scan' } })
      expect(d2only).toMatchObject({ ok: true, unreachable: [], totals: { ok: 3, all: 3 } })
      expect((await stack.unpause(ctx, { target: { service: 'orch' } })).totals.ok).toBe(2)

      // Watching: the good endpoints go live while the broken ones keep retrying in the background.
      await stack.start()
      const live = Object.fromEntries(stack.endpoints().map((e) => [e.id, e]))
      expect(live['local']).toMatchObject({ watching: true, reachable: true })
      expect(live['d2']).toMatchObject({ watching: true, reachable: true })
      expect(live['bogus']).toMatchObject({ watching: false, reachable: false })
      expect(live['silent']).toMatchObject({ watching: false, reachable: false })
      await docker2.getContainer(scan as string).pause()
      const s = stack
      await until(
        'pause on d2 seen live',
        () => s.snapshot().services[1]?.containers.find((c) => c.id === scan)?.state === 'paused',
      )
      await docker2.getContainer(scan as string).unpause()
    } finally {
      for (const sock of sockets) sock.destroy()
      silent.close()
      await removeFixtures({ app }, docker2).catch(() => undefined)
      await stopExtraDockerd('d2')
    }
  })
})
