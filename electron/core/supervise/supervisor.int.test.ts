import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { hasTestDocker, removeFixtures, startFixtures, testDocker, testLabels, waitForLog } from '../../../test-support/docker-fixtures'
import { hasTestRedis, newTestRedis } from '../../../test-support/redis-fixture'
import type { SuperviseStatusT } from '../api/contract/supervise'
import { EventHub } from '../event-hub'
import type { SuperviseServiceOptions } from './options'
import type { FailedAnnouncement, RestartAnnouncement } from './ports'
import { Supervisor } from './supervisor'
import { DockerSupervisedStack } from '../../../test-support/supervise/docker-supervised-stack'
import { RedisHeartbeatView } from '../../../test-support/supervise/redis-heartbeat-view'
import { RecordingSinks } from '../../../test-support/supervise/stand-ins'

/**
 * The supervisor against a real engine (and real Redis for heartbeats): real exits, real restarts
 * with a stop timeout, a real paused container, a real agent that stops heartbeating.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(100)
  }
}

/** Resolves with the restart announcements once there is at least one. */
const restartsOf = (sinks: RecordingSinks) => {
  const list = sinks.on('supervise.restarted')
  return list.length > 0 ? list : null
}

const svc = (name: string, over: Partial<SuperviseServiceOptions> = {}): SuperviseServiceOptions => ({
  name,
  desired: 1,
  autoHeal: true,
  healthSource: 'docker',
  intervalMs: 500,
  timeoutMs: 5000,
  backoffBaseMs: 1000,
  backoffMaxMs: 4000,
  maxFailedRestarts: 3,
  stopTimeoutS: 2,
  healthyGraceMs: 3000,
  heartbeatGraceMs: 2000,
  ...over,
})

describe.skipIf(!hasTestDocker())('Supervisor on a real engine (STACKDECK_TEST_DOCKER_HOST)', () => {
  const docker = hasTestDocker() ? testDocker() : (null as never)
  const run = Math.random().toString(36).slice(2, 8)
  let dir: string
  let sup: Supervisor | null = null

  const startedAt = async (id: string) => (await docker.getContainer(id).inspect()).State.StartedAt
  const stateOf = async (id: string) => (await docker.getContainer(id).inspect()).State.Status

  /** A supervisor over services whose containers carry `sdt.svc=<service>-<run>`. */
  function supervise(services: SuperviseServiceOptions[], extra: { heartbeats?: RedisHeartbeatView } = {}) {
    const selectors = Object.fromEntries(services.map((s) => [s.name, { ...testLabels(), 'sdt.svc': `${s.name}-${run}` }]))
    const sinks = new RecordingSinks()
    const hub = new EventHub<{ 'supervise.changed': SuperviseStatusT }>()
    const changed: SuperviseStatusT[] = []
    hub.on('supervise.changed', (s) => changed.push(s))
    const timed: Array<{ at: number; channel: string; payload: RestartAnnouncement | FailedAnnouncement }> = []
    const recordAnnounce = sinks.announce
    sinks.announce = (channel, payload) => {
      timed.push({ at: Date.now(), channel, payload })
      recordAnnounce(channel, payload)
    }
    sup = new Supervisor({
      services,
      stack: new DockerSupervisedStack(docker, selectors, 8000),
      ...(extra.heartbeats ? { heartbeats: extra.heartbeats } : {}),
      sinks,
      events: hub,
      statePath: join(dir, `state-${services[0]?.name ?? 'x'}.json`),
      actionTimeoutMs: 10_000,
      random: () => 0,
      log: (m) => console.warn(m),
    })
    return { sup, sinks, changed, timed, label: (name: string) => ({ 'sdt.svc': `${name}-${run}` }) }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sd-supervise-int-'))
  })

  afterEach(async () => {
    await sup?.stop()
    sup = null
    await removeFixtures()
  })

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('restarts a container that was killed, within the interval, and persists the count', async () => {
    const s = supervise([svc('killed', { intervalMs: 1000 })])
    const [id] = (await startFixtures({ service: 'killed', labels: s.label('killed') })) as [string]
    await waitForLog(id, /killed-0 started/)
    await s.sup.start()
    await until('healthy', () => s.sup.serviceStatus('killed').state === 'healthy')
    const before = await startedAt(id)

    await docker.getContainer(id).kill()
    const killedAt = Date.now()
    const [restart] = await until('a restart announcement', () => restartsOf(s.sinks), 20_000)
    const restartedAt = s.timed[0]?.at ?? 0
    expect(restart).toMatchObject({ service: 'killed', container: { id }, reason: 'exited', outcome: 'ok', attempt: 1 })
    // Seen at the next check (<= 1 s), then the start and its confirm.
    expect(restartedAt - killedAt).toBeLessThan(1000 + 8000)
    expect(await stateOf(id)).toBe('running')
    expect(await startedAt(id)).not.toBe(before)
    await waitForLog(id, /killed-0 started/, 15_000, { after: 1 })

    await until('healthy again after the grace', () => s.sup.serviceStatus('killed').state === 'healthy', 20_000)
    expect(s.sup.serviceStatus('killed')).toMatchObject({ restarts: 1, consecutiveFailures: 0, actual: 1 })
    const saved = JSON.parse(await readFile(join(dir, 'state-killed.json'), 'utf8')) as {
      services: Record<string, { restarts: number }>
    }
    expect(saved.services['killed']?.restarts).toBe(1)
    // The intent before the engine call, then the outcome, both naming the service and the container.
    expect(s.sinks.audits.map((r) => [r.action, r.outcome, r.service, r.container === 'all' ? 'all' : r.container.id])).toEqual([
      ['supervise.restart.intent', 'ok', 'killed', id],
      ['supervise.restart', 'ok', 'killed', id],
    ])
  })

  it('marks a container that dies at once on every start as failed after maxFailedRestarts, backing off in between', async () => {
    const s = supervise([svc('crashy')])
    const [id] = (await startFixtures({ service: 'crashy', labels: s.label('crashy'), env: { FAIL_MODE: 'exit-now' } })) as [string]
    await until('the fixture to exit', async () => (await stateOf(id)) === 'exited')
    await s.sup.start()
    await until('failed', () => s.sup.serviceStatus('crashy').state === 'failed', 60_000)

    const attempts = s.timed.filter((t) => t.channel === 'supervise.restarted')
    expect(attempts.map((a) => (a.payload as RestartAnnouncement).attempt)).toEqual([1, 2, 3])
    // Each start either fails its confirm (already exited) or "succeeds" and is caught exited by the next check.
    const [a1, a2, a3] = attempts.map((a) => a.at) as [number, number, number]
    // Waits of base * 2^(n-1) (jitter off): >= 1 s, then >= 2 s, growing.
    expect(a2 - a1).toBeGreaterThanOrEqual(1000)
    expect(a3 - a2).toBeGreaterThanOrEqual(2000)
    expect(a3 - a2).toBeGreaterThan(a2 - a1)
    const failed = s.sinks.on('supervise.failed') as FailedAnnouncement[]
    expect(failed).toEqual([expect.objectContaining({ service: 'crashy', consecutiveFailures: 3, maxFailedRestarts: 3 })])
    // The fixture really ran four times: its own start plus three restarts.
    await waitForLog(id, /failing on purpose/, 10_000, { after: 3 })

    // Left alone from now on.
    const last = await startedAt(id)
    await sleep(4000)
    expect(await startedAt(id)).toBe(last)
    expect(s.sinks.on('supervise.restarted')).toHaveLength(3)
    expect(s.changed.at(-1)?.services[0]).toMatchObject({ state: 'failed', restarts: 3 })
  })

  it('never touches a paused container', async () => {
    const s = supervise([svc('frozen', { healthSource: 'both' })])
    const [id] = (await startFixtures({ service: 'frozen', labels: s.label('frozen') })) as [string]
    await waitForLog(id, /frozen-0 started/)
    await docker.getContainer(id).pause()
    const before = await startedAt(id)
    await s.sup.start()
    await sleep(4000)
    expect(await stateOf(id)).toBe('paused')
    expect(await startedAt(id)).toBe(before)
    expect(s.sinks.announced).toEqual([])
    expect(s.sup.serviceStatus('frozen')).toMatchObject({ state: 'blocked', paused: 1, actual: 0 })
    await docker.getContainer(id).unpause()
  })

  describe.skipIf(!hasTestRedis())('with real heartbeats (STACKDECK_TEST_REDIS_URL)', () => {
    let sub: Redis
    let view: RedisHeartbeatView

    beforeAll(async () => {
      sub = newTestRedis()
      view = new RedisHeartbeatView(sub, 2500)
      await view.start()
    })

    afterAll(async () => {
      await sub?.quit()
    })

    it('restarts an agent whose heartbeat went stale while its process lives; never one with an unknown heartbeat', async () => {
      const agent = `hang-${run}`
      const s = supervise([svc('hb', { healthSource: 'heartbeat', maxFailedRestarts: 10, healthyGraceMs: 20_000 }), svc('ctl', { healthSource: 'heartbeat' })], {
        heartbeats: view,
      })
      const [id] = (await startFixtures({
        service: 'hb',
        redis: true,
        labels: { ...s.label('hb'), 'stackdeck.agent': agent },
        env: { AGENT_ID: agent, FAIL_MODE: 'hang-heartbeat', FAIL_AFTER_BEATS: '3', HEARTBEAT_INTERVAL: '1' },
      })) as [string]
      // The control beats too, but nothing ties it to an agent: its heartbeat stays 'unknown'.
      const [ctl] = (await startFixtures({ service: 'ctl', redis: true, labels: s.label('ctl'), env: { AGENT_ID: `ctl-${run}` }, noAgentLabel: true })) as [string]
      const ctlStarted = await startedAt(ctl)
      await until('first heartbeat', () => view.beatsSeen(agent), 15_000)
      await s.sup.start()
      await until('a fresh heartbeat in the status', () => s.sup.serviceStatus('hb').containers[0]?.heartbeat === 'fresh', 10_000)
      const before = await startedAt(id)

      await waitForLog(id, /heartbeat hung/, 15_000)
      const hungAt = Date.now()
      const [restart] = await until('a restart announcement', () => restartsOf(s.sinks), 20_000)
      expect(restart).toMatchObject({ service: 'hb', container: { id }, reason: 'heartbeat stale while the container runs', outcome: 'ok' })
      // Not before the beats stopped, and only once they were older than the 2.5 s timeout.
      expect((s.timed[0]?.at ?? 0) - hungAt).toBeGreaterThanOrEqual(500)
      expect(await startedAt(id)).not.toBe(before)
      // Graceful: SIGTERM reached the process (it logs on TERM) before the new run started.
      await waitForLog(id, /hb-0 stopping/, 10_000)
      await waitForLog(id, /hb-0 started/, 10_000, { after: 1 })

      expect(s.sup.serviceStatus('ctl').containers[0]).toMatchObject({ heartbeat: 'unknown' })
      expect(await startedAt(ctl)).toBe(ctlStarted)
      expect(s.sinks.on('supervise.restarted').every((a) => a.service === 'hb')).toBe(true)
    })

    it('leaves a paused agent alone even though its heartbeat is stale', async () => {
      const agent = `frozen-${run}`
      const s = supervise([svc('pz', { healthSource: 'heartbeat' })], { heartbeats: view })
      const [id] = (await startFixtures({
        service: 'pz',
        redis: true,
        labels: { ...s.label('pz'), 'stackdeck.agent': agent },
        env: { AGENT_ID: agent, HEARTBEAT_INTERVAL: '1' },
      })) as [string]
      await until('first heartbeat', () => view.beatsSeen(agent), 15_000)
      await docker.getContainer(id).pause()
      const before = await startedAt(id)
      await s.sup.start()
      await until('a stale heartbeat in the status', () => s.sup.serviceStatus('pz').containers[0]?.heartbeat === 'stale', 15_000)
      await sleep(2000)
      expect(await stateOf(id)).toBe('paused')
      expect(await startedAt(id)).toBe(before)
      expect(s.sinks.announced).toEqual([])
      const st = s.sup.serviceStatus('pz')
      expect(st.state).toBe('blocked')
      expect(st.blockedBy).toMatch(/^paused: /)
      await docker.getContainer(id).unpause()
    })
  })
})
