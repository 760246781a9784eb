import { createHash } from 'node:crypto'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  canControlDockerd,
  createConfigDir,
  execIn,
  hasTestDocker,
  removeFixtures,
  startExtraDockerd,
  startDockerd,
  startFixtures,
  stopDockerd,
  stopExtraDockerd,
  testDocker,
  testImage,
  testLabel,
  waitForLog,
} from '../../test-support/docker-fixtures'
import { newTestRedis, testKey } from '../../test-support/redis-fixture'

// Self-test of the project's test environment (scripts/testenv, e2e/fixtures, test-support/): if this
// fails, every other integration test's evidence is suspect.

const md5 = (s: string) => createHash('md5').update(s).digest('hex')

describe.skipIf(!hasTestDocker())('test environment (needs scripts/with-test-env.sh)', () => {
  const CONFIG = '# stackdeck self-test\n[risk]\nmax_position = 3\n'
  let config: Awaited<ReturnType<typeof createConfigDir>>

  beforeAll(async () => {
    config = await createConfigDir(CONFIG)
  })

  afterEach(async () => {
    await removeFixtures()
  })

  afterAll(async () => {
    await config?.cleanup()
  })

  it('starts labelled fixtures that pause, unpause, reload on signals and see the bind-mounted config', async () => {
    const docker = testDocker()
    const ids = await startFixtures({
      count: 3,
      service: 'orch',
      labels: { app: 'python-orchestrator' },
      configDir: config.dir,
    })
    expect(ids).toHaveLength(3)

    const listed = await docker.listContainers({
      filters: { label: [`stackdeck.test=${testLabel()}`, 'app=python-orchestrator'] },
    })
    expect(listed.map((c) => c.Id).sort()).toEqual([...ids].sort())
    for (const c of listed) expect(c.Image).toBe(testImage())

    const [first, second] = ids as [string, string, string]
    await waitForLog(first, /orch-0 started/)
    // The start-up line proves the service read the bind-mounted file.
    expect(await waitForLog(first, /config \/config\/config.toml sha=/)).toContain(`sha=${md5(CONFIG)}`)
    const cat = await execIn(first, ['cat', '/config/config.toml'])
    expect(cat).toEqual({ exitCode: 0, output: CONFIG })

    const target = docker.getContainer(second)
    await target.pause()
    expect((await target.inspect()).State.Paused).toBe(true)
    expect((await target.inspect()).State.Status).toBe('paused')
    await target.unpause()
    const after = await target.inspect()
    expect(after.State.Paused).toBe(false)
    expect(after.State.Running).toBe(true)

    await docker.getContainer(first).kill({ signal: 'SIGUSR1' })
    expect(await waitForLog(first, /Config reloaded/)).toContain(`sha=${md5(CONFIG)}`)

    // A write by rename (as Stackdeck saves) is visible through the directory bind mount.
    const next = `${CONFIG}max_orders = 7\n`
    await writeFile(join(config.dir, 'config.toml.tmp'), next)
    await rename(join(config.dir, 'config.toml.tmp'), config.path)
    await docker.getContainer(first).kill({ signal: 'SIGHUP' })
    expect(await waitForLog(first, /Config reloaded/, 15_000, { after: 1 })).toContain(`sha=${md5(next)}`)

    await docker.getContainer(first).stop({ t: 5 })
    const stopped = await docker.getContainer(first).inspect()
    expect(stopped.State.ExitCode).toBe(0)
    await waitForLog(first, /orch-0 stopping/)

    expect(await removeFixtures()).toBe(3)
    expect(
      await docker.listContainers({ all: true, filters: { label: [`stackdeck.test=${testLabel()}`] } }),
    ).toEqual([])
  })

  it('publishes heartbeats on Redis and follows the trading key', async () => {
    const agentId = `selftest-${Date.now().toString(36)}`
    const key = testKey('trading_enabled')
    const sub = newTestRedis()
    const redis = newTestRedis()
    try {
      const beats: Array<Record<string, unknown>> = []
      sub.on('message', (_ch: string, msg: string) => beats.push(JSON.parse(msg) as Record<string, unknown>))
      await sub.subscribe(`heartbeat.${agentId}`)
      await redis.set(key, JSON.stringify({ value: true, version: 1 }))

      const [id] = (await startFixtures({
        service: 'agent',
        labels: { app: 'agent', 'stackdeck.agent': agentId },
        env: { AGENT_ID: agentId, AGENT_GROUP: 'selftest', TRADING_KEY: key, HEARTBEAT_INTERVAL: '1' },
        redis: true,
      })) as [string]

      await waitForLog(id, /order entry enabled/)
      await expect.poll(() => beats.length, { timeout: 15_000, interval: 100 }).toBeGreaterThanOrEqual(2)
      const beat = beats[0] ?? {}
      expect(beat).toMatchObject({
        agent_id: agentId,
        name: 'agent-0',
        group: 'selftest',
        status: 'active',
        step: 1,
      })
      expect(Date.parse(String(beat.timestamp))).toBeGreaterThan(Date.now() - 60_000)
      expect(beats[1]?.step).toBe(2)

      await redis.set(key, 'false')
      await waitForLog(id, /order entry disabled \(trading_enabled=false\)/)
    } finally {
      await redis.del(key)
      sub.disconnect()
      redis.disconnect()
    }
  })

  it('supports the failure modes used by supervision tests', async () => {
    const agentId = `hang-${Date.now().toString(36)}`
    const sub = newTestRedis()
    try {
      const steps: number[] = []
      sub.on('message', (_ch: string, msg: string) =>
        steps.push(Number((JSON.parse(msg) as { step: number }).step)),
      )
      await sub.subscribe(`heartbeat.${agentId}`)
      const [dead] = (await startFixtures({ service: 'dead', env: { FAIL_MODE: 'exit-now' } })) as [string]
      const [hung] = (await startFixtures({
        service: 'hung',
        env: { AGENT_ID: agentId, FAIL_MODE: 'hang-heartbeat', FAIL_AFTER_BEATS: '2' },
        redis: true,
      })) as [string]

      const docker = testDocker()
      await expect
        .poll(async () => (await docker.getContainer(dead).inspect()).State.Status, { timeout: 15_000 })
        .toBe('exited')
      expect((await docker.getContainer(dead).inspect()).State.ExitCode).toBe(1)

      await waitForLog(hung, /heartbeat hung/)
      await new Promise((r) => setTimeout(r, 2500))
      expect(steps).toEqual([1, 2])
      expect((await docker.getContainer(hung).inspect()).State.Running).toBe(true)
    } finally {
      sub.disconnect()
    }
  })

  it.skipIf(!canControlDockerd())('stops and restarts the private engine', async () => {
    const docker = testDocker()
    await stopDockerd()
    await expect(docker.ping()).rejects.toThrow()
    await startDockerd()
    await expect(docker.ping()).resolves.toBeTruthy()
    // Same data root: the fixture image survives the restart.
    expect((await docker.getImage(testImage()).inspect()).Config.Labels?.['stackdeck.test']).toBe(testLabel())
  })

  it.skipIf(!process.env.STACKDECK_TEST_ENVDIR || !canControlDockerd())(
    'starts a second engine on demand',
    async () => {
      const second = await startExtraDockerd('d2')
      try {
        expect(second.host).not.toBe(process.env.STACKDECK_TEST_DOCKER_HOST)
        const [id] = (await startFixtures({ docker: second.docker, service: 'remote' })) as [string]
        await waitForLog(id, /remote-0 started/, 15_000, { docker: second.docker })
        // The first engine does not see the second one's container.
        expect((await testDocker().listContainers({ all: true })).map((c) => c.Id)).not.toContain(id)
        expect(await removeFixtures({}, second.docker)).toBe(1)
      } finally {
        await stopExtraDockerd('d2')
      }
    },
  )
})
