import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type Docker from 'dockerode'
import { createCore, type Core } from '@core/wiring/create-core'
import type { CallContext } from '@core/api/call-context'
import type { SuperviseStatusT } from '@core/api/contract/supervise'
import { supervisedStackFor } from '@core/wiring/stack-bridges'
import { parseSettings } from '@core/settings/load-settings'
import { StackService } from '@core/stack/stack-service'
import { hasTestDocker, removeFixtures, startFixtures, testDocker, testDockerHost, testImage, testLabels, waitForLog } from '../../../test-support/docker-fixtures'
import { hasTestRedis, testKey } from '../../../test-support/redis-fixture'
import { testSettings } from '../../../test-support/test-settings'

/**
 * Supervision tells the truth and keeps its word, on the real engine and Redis, through the real
 * composition root (so the real stack bridge and the real audit log are what is tested):
 * - stopTimeoutS is what the engine waits between SIGTERM and SIGKILL (measured in `docker events`);
 * - a container paused by hand stays paused through a supervision pass, and even when it is paused
 *   between the supervisor's look and its restart call;
 * - every supervisor audit record names its service and its container;
 * - an engine outage reads as "unknown: engine unreachable", never as "0 containers".
 */

const TRADER: CallContext = { who: 'trader', door: 'ipc' }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const enabled = hasTestDocker() && hasTestRedis()

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(100)
  }
}

interface EngineEvent {
  action: string
  signal?: string
  at: number
}

/** Every event the engine reports for one container, with its time in ms (nanosecond clock of the daemon). */
async function watchEvents(docker: Docker, id: string): Promise<{ events: EngineEvent[]; stop(): void }> {
  const stream = (await docker.getEvents({ filters: { container: [id] } })) as NodeJS.ReadableStream & { destroy(): void }
  const events: EngineEvent[] = []
  let buf = ''
  stream.on('data', (d: Buffer) => {
    buf += d.toString()
    let nl: number
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      try {
        const e = JSON.parse(line) as { Action?: string; timeNano?: number; Actor?: { Attributes?: Record<string, string> } }
        const signal = e.Actor?.Attributes?.['signal']
        events.push({ action: e.Action ?? '', ...(signal ? { signal } : {}), at: e.timeNano ? e.timeNano / 1e6 : Date.now() })
      } catch {
        // a partial line: the next chunk completes it
      }
    }
  })
  stream.on('error', () => undefined)
  return { events, stop: () => stream.destroy() }
}

/** SIGTERM -> SIGKILL of the first graceful stop in `events`, in ms. */
function termToKill(events: readonly EngineEvent[]): number | null {
  const term = events.findIndex((e) => e.action === 'kill' && e.signal === '15')
  if (term < 0) return null
  const kill = events.slice(term).find((e) => e.action === 'kill' && e.signal === '9')
  return kill ? kill.at - (events[term] as EngineEvent).at : null
}

/** A container whose process ignores SIGTERM: only SIGKILL ends it, so the engine's wait is visible. */
async function startStubborn(docker: Docker, labels: Record<string, string>, opts: { unhealthy?: boolean } = {}): Promise<string> {
  const c = await docker.createContainer({
    Image: testImage(),
    name: `sdt-stubborn-${Math.random().toString(36).slice(2, 8)}`,
    Entrypoint: ['/bin/sh', '-c'],
    // PID 1 with SIGTERM ignored; the loop keeps it alive.
    Cmd: ['trap "" TERM; while :; do sleep 1; done'],
    Labels: { ...labels, ...testLabels() },
    // The container's own default must not be what we measure: 5 s is neither 2 nor 20.
    StopTimeout: 5,
    ...(opts.unhealthy
      ? { Healthcheck: { Test: ['CMD-SHELL', 'exit 1'], Interval: 500_000_000, Timeout: 1_000_000_000, Retries: 1, StartPeriod: 0 } }
      : {}),
    HostConfig: { NetworkMode: 'none' },
  })
  await c.start()
  return c.id
}

interface AuditLine {
  seq: number
  who: string
  door: string
  action: string
  target?: string
  outcome: string
  detail?: { service?: string; container?: { id?: string; name?: string; all?: boolean } }
}
async function auditLines(stateDir: string): Promise<AuditLine[]> {
  const text = await readFile(join(stateDir, 'audit.jsonl'), 'utf8').catch(() => '')
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditLine)
}

/** A unix socket that forwards to the test engine, and can be cut and restored: an engine that goes away. */
class EngineProxy {
  private server: Server | null = null
  private readonly conns = new Set<Socket>()
  constructor(
    readonly path: string,
    private readonly target: string,
  ) {}
  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.target)
      this.conns.add(client)
      this.conns.add(upstream)
      client.pipe(upstream).pipe(client)
      const drop = () => {
        client.destroy()
        upstream.destroy()
        this.conns.delete(client)
        this.conns.delete(upstream)
      }
      client.on('close', drop).on('error', drop)
      upstream.on('close', drop).on('error', drop)
    })
    await new Promise<void>((res, rej) => server.once('error', rej).listen(this.path, () => res()))
    this.server = server
  }
  async down(): Promise<void> {
    const s = this.server
    this.server = null
    for (const c of this.conns) c.destroy()
    this.conns.clear()
    if (s) await new Promise<void>((res) => s.close(() => res()))
  }
}

describe.skipIf(!enabled)('supervision tells the truth (real Docker + Redis)', () => {
  const run = `st-${Math.random().toString(36).slice(2, 8)}`
  let root = ''
  const docker = enabled ? testDocker() : (null as unknown as Docker)

  function settings(stateDir: string, services: unknown[], extra: Record<string, unknown> = {}) {
    return parseSettings(
      testSettings({
        services,
        config: { path: join(root, 'config.toml') },
        stateDir,
        schedule: { enabled: false },
        redis: {
          url: process.env['STACKDECK_TEST_REDIS_URL'],
          killswitchKey: testKey(`${run}:killswitch`),
          tradingKey: testKey(`${run}:trading`),
          killswitchPausesStack: false,
        },
        ...extra,
      }),
      'supervise-truth test settings',
    )
  }

  async function startCore(stateDir: string, services: unknown[], extra: Record<string, unknown> = {}): Promise<Core> {
    const c = await createCore({ settings: settings(stateDir, services, extra), source: null }, { version: '0.0.0-test', log: () => undefined })
    await c.start()
    return c
  }

  const svc = (name: string, role: string, supervise: Record<string, unknown>) => ({
    name,
    selector: { st: run, role },
    reload: { signal: null, logPattern: null },
    supervise,
  })

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sd-st-'))
    const { writeFile } = await import('node:fs/promises')
    await writeFile(join(root, 'config.toml'), '# supervise-truth test\n')
  })

  afterAll(async () => {
    await removeFixtures({ st: run })
    if (root) await rm(root, { recursive: true, force: true })
  }, 60_000)

  it('stopTimeoutS 2 (automatic restart) and 20 (manual restart) are what the engine waits between SIGTERM and SIGKILL; the audit names service and container', async () => {
    const stateDir = join(root, 'state-timeout')
    const two = await startStubborn(docker, { st: run, role: 'two' }, { unhealthy: true })
    const twenty = await startStubborn(docker, { st: run, role: 'twenty' })
    const w2 = await watchEvents(docker, two)
    const w20 = await watchEvents(docker, twenty)
    let core: Core | null = null
    try {
      core = await startCore(stateDir, [
        // Unhealthy from the start: the supervisor restarts it on its own.
        svc('two', 'two', { desired: 1, autoHeal: true, healthSource: 'docker', intervalMs: 500, backoffBaseMs: 60_000, backoffMaxMs: 60_000, maxFailedRestarts: 5, stopTimeoutS: 2 }),
        // Healthy: restarted only by hand.
        svc('twenty', 'twenty', { desired: 1, autoHeal: true, healthSource: 'docker', intervalMs: 500, stopTimeoutS: 20 }),
      ])
      const h = core.handlers
      const t0 = Date.now()
      const manual = h['supervise.restart']({ service: 'twenty', reason: 'stop timeout test' }, TRADER)
      const gap2 = await until('the automatic restart of "two" to SIGKILL', () => termToKill(w2.events) ?? undefined, 30_000)
      const result = await manual
      const gap20 = termToKill(w20.events)
      const story = JSON.stringify({ two: w2.events, twenty: w20.events })
      console.info(`[supervise-truth] SIGTERM -> SIGKILL measured by the engine: stopTimeoutS 2 -> ${gap2.toFixed(0)} ms, stopTimeoutS 20 -> ${gap20?.toFixed(0)} ms`)
      // The engine's own clock: SIGTERM at t, SIGKILL at t + stopTimeoutS (plus its bookkeeping).
      expect(gap2, story).toBeGreaterThanOrEqual(1950)
      expect(gap2, story).toBeLessThan(3500)
      expect(gap20, story).toBeGreaterThanOrEqual(19_950)
      expect(gap20, story).toBeLessThan(21_500)
      expect(result.containers).toEqual([expect.objectContaining({ id: twenty, outcome: 'ok' })])
      expect(Date.now() - t0).toBeGreaterThanOrEqual(20_000)

      // The bus event the supervisor published can be found by its type.
      const found = await until(
        'supervise.restarted in the bus event log',
        async () => (await h['bus.events']({ type: 'supervise.restarted', limit: 50 }, TRADER)).events.find((e) => (e.payload as { service?: string }).service === 'twenty'),
        10_000,
      )
      expect(found).toMatchObject({ channel: 'supervise.restarted', type: 'supervise.restarted' })

      await core.dispose()
      core = null
      // Every supervisor record names its service and its container, in the target and in the detail.
      const sup = (await auditLines(stateDir)).filter((r) => r.action.startsWith('supervise.restart') || r.action === 'supervise.failed')
      expect(sup.length).toBeGreaterThanOrEqual(4)
      for (const r of sup) {
        const ctx = JSON.stringify(r)
        expect(r.detail?.service, ctx).toMatch(/^(two|twenty)$/)
        expect(r.detail?.container?.id, ctx).toMatch(/^[0-9a-f]{64}$/)
        expect(r.detail?.container?.name, ctx).toMatch(/^sdt-stubborn-/)
        expect(r.target, ctx).toBe(`service:${r.detail?.service} container:${r.detail?.container?.name}`)
      }
      // The manual restart: once, under the trader's door; the intent came first.
      const manualRecs = sup.filter((r) => r.detail?.service === 'twenty')
      expect(manualRecs.map((r) => [r.action, r.door, r.who, r.outcome])).toEqual([
        ['supervise.restart.intent', 'ipc', 'trader', 'ok'],
        ['supervise.restart', 'ipc', 'trader', 'ok'],
      ])
      const autoRecs = sup.filter((r) => r.detail?.service === 'two')
      expect(autoRecs.slice(0, 2).map((r) => [r.action, r.door])).toEqual([
        ['supervise.restart.intent', 'supervisor'],
        ['supervise.restart', 'supervisor'],
      ])
      expect(autoRecs[1]?.detail).toMatchObject({ stopTimeoutS: 2 })
    } finally {
      w2.stop()
      w20.stop()
      await core?.dispose()
    }
  }, 90_000)

  it('a restart from the Stack tab of a supervised service gives its containers the same stopTimeoutS', async () => {
    const stateDir = join(root, 'state-tab')
    const id = await startStubborn(docker, { st: run, role: 'tab' })
    const w = await watchEvents(docker, id)
    let core: Core | null = null
    try {
      // Auto-heal off: only the trader's stack.restart acts on it.
      core = await startCore(stateDir, [svc('tab', 'tab', { desired: 1, autoHeal: false, intervalMs: 1000, stopTimeoutS: 3 })])
      const r = await core.handlers['stack.restart']({ target: { service: 'tab' }, reason: 'stack tab test' }, TRADER)
      expect(r.containers).toEqual([expect.objectContaining({ id, outcome: 'ok' })])
      const gap = termToKill(w.events)
      console.info(`[supervise-truth] Stack tab restart, stopTimeoutS 3 -> ${gap?.toFixed(0)} ms`)
      expect(gap, JSON.stringify(w.events)).toBeGreaterThanOrEqual(2950)
      expect(gap, JSON.stringify(w.events)).toBeLessThan(4500)
    } finally {
      w.stop()
      await core?.dispose()
    }
  }, 60_000)

  it('a container paused by hand stays paused through a supervision pass, and through a restart call made after it froze', async () => {
    const stateDir = join(root, 'state-paused')
    const ids = await startFixtures({ count: 3, service: 'held', labels: { st: run, role: 'held' } })
    await Promise.all(ids.map((id) => waitForLog(id, /started pid=/)))
    const [frozen, stopped, steady] = ids as [string, string, string]
    await docker.getContainer(frozen).pause()
    await docker.getContainer(stopped).stop({ t: 1 })
    const wf = await watchEvents(docker, frozen)
    const ws = await watchEvents(docker, stopped)
    let core: Core | null = null
    try {
      core = await startCore(stateDir, [
        svc('held', 'held', { desired: 3, autoHeal: true, healthSource: 'docker', intervalMs: 300, backoffBaseMs: 500, backoffMaxMs: 1000, maxFailedRestarts: 5, stopTimeoutS: 1 }),
      ])
      const h = core.handlers
      // The pass starts the exited one (proof that it did act) ...
      await until('the exited container to be started', () => ws.events.some((e) => e.action === 'start'), 20_000)
      await sleep(2000) // several more passes
      // ... and a manual restart of the whole service skips the frozen one.
      const manual = await h['supervise.restart']({ service: 'held', reason: 'paused test' }, TRADER)
      expect(manual.containers.find((c) => c.id === frozen)).toMatchObject({ outcome: 'skipped' })
      const st = (await h['supervise.status']({}, TRADER)).services.find((s) => s.service === 'held')
      expect(st?.paused).toBe(1)

      // The last-moment check: the supervisor saw it running, the trader froze it just before the call.
      await docker.getContainer(steady).pause()
      const ws2 = await watchEvents(docker, steady)
      const bridge = new StackService({ endpoints: [{ id: 'test', url: testDockerHost() }], actionTimeoutMs: 5000, services: [{ name: 'held', selector: { st: run, role: 'held' }, reload: { signal: null, logPattern: null, timeoutMs: 1000 } }] })
      const seenRunning = { id: steady, name: 'held-2', endpoint: 'test', service: 'held', state: 'running' as const, health: 'none' as const, labels: {}, startedAt: null }
      const out = await supervisedStackFor(bridge, { who: 'supervisor', door: 'supervisor' }).restart(seenRunning, { stopTimeoutS: 1 })
      expect(out).toMatchObject({ ok: false, state: 'paused' })
      expect(out.skipped).toContain('paused by someone else')
      await sleep(500)
      ws2.stop()

      for (const [id, events] of [
        [frozen, wf.events],
        [steady, ws2.events],
      ] as const) {
        const info = await docker.getContainer(id).inspect()
        expect(info.State.Paused, id).toBe(true)
        expect(info.State.Status, id).toBe('paused')
        // Not thawed, signalled, stopped or restarted at any point.
        expect(events.filter((e) => ['unpause', 'kill', 'die', 'stop', 'start', 'restart'].includes(e.action)), JSON.stringify(events)).toEqual([])
      }
    } finally {
      wf.stop()
      ws.stop()
      await core?.dispose()
      await Promise.all(ids.map((id) => docker.getContainer(id).unpause().catch(() => undefined)))
    }
  }, 90_000)

  it('an engine that goes away reads as unknown (engine unreachable), never as missing containers; recovery clears it', async () => {
    const stateDir = join(root, 'state-outage')
    const [id] = await startFixtures({ service: 'watched', labels: { st: run, role: 'watched' } })
    const target = testDockerHost().replace(/^unix:\/\//, '')
    const proxy = new EngineProxy(join(root, 'engine-proxy.sock'), target)
    await proxy.up()
    let core: Core | null = null
    const seen: SuperviseStatusT[] = []
    try {
      core = await startCore(stateDir, [svc('watched', 'watched', { desired: 1, autoHeal: true, intervalMs: 300 })], {
        docker: { endpoints: [{ id: 'flaky', url: `unix://${proxy.path}` }], actionTimeoutMs: 5000 },
      })
      core.hub.on('supervise.changed', (s) => seen.push(s))
      const h = core.handlers
      const watched = async () => (await h['supervise.status']({}, TRADER)).services.find((s) => s.service === 'watched')
      await until('healthy with its one container', async () => {
        const s = await watched()
        return s?.state === 'healthy' && s.actual === 1
      })

      const cutAt = Date.now()
      await proxy.down()
      const down = await until('the outage to show', async () => {
        const s = await watched()
        return s?.state === 'unknown' ? s : undefined
      }, 10_000)
      expect(Date.now() - cutAt).toBeLessThan(5000)
      expect(down).toMatchObject({ actual: null, paused: null, containers: [] })
      expect(down.unknown?.reason).toMatch(/^engine unreachable: flaky/)
      await sleep(1500)
      expect((await watched())?.state).toBe('unknown')

      await proxy.up()
      const back = await until('recovery', async () => {
        const s = await watched()
        return s?.state === 'healthy' && s.actual === 1 ? s : undefined
      }, 30_000)
      expect(back.unknown).toBeUndefined()
      // The outage's text does not linger once the service is seen healthy again.
      expect(back.lastProblem).toBeUndefined()
      expect((await docker.getContainer(id as string).inspect()).State.Running).toBe(true)

      // At no moment did the status claim the container was gone.
      const lies = seen
        .flatMap((s) => s.services)
        .filter((s) => s.service === 'watched' && ((s.actual === 0 && s.state !== 'unknown') || /desired containers exist/.test(s.lastProblem ?? '')))
      expect(lies).toEqual([])
    } finally {
      await core?.dispose()
      await proxy.down()
    }
  }, 90_000)

  it('an endpoint that was never reachable (a dead socket) reads as unknown from the first check', async () => {
    const stateDir = join(root, 'state-dead')
    const core = await startCore(stateDir, [svc('ghost', 'ghost', { desired: 1, autoHeal: true, intervalMs: 300 })], {
      docker: { endpoints: [{ id: 'dead', url: `unix://${join(root, 'no-such-engine.sock')}` }], actionTimeoutMs: 2000 },
    })
    try {
      const s = await until('the first check', async () => (await core.handlers['supervise.status']({}, TRADER)).services.find((x) => x.lastCheckAt !== null))
      expect(s).toMatchObject({ service: 'ghost', state: 'unknown', actual: null })
      expect(s.unknown?.reason).toMatch(/^engine unreachable: dead/)
      expect(s.lastProblem ?? '').not.toMatch(/desired containers exist/)
      await expect(core.handlers['supervise.restart']({ service: 'ghost' }, TRADER)).rejects.toMatchObject({ code: 'unavailable' })
    } finally {
      await core.dispose()
    }
  }, 60_000)
})
