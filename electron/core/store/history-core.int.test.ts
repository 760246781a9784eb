import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { hasTestDocker } from '../../../test-support/docker-fixtures'
import { hasTestRedis, newTestRedis, testKey, testRedisUrl } from '../../../test-support/redis-fixture'
import { systemContext } from '../api/call-context'
import { parseSettings } from '../settings/load-settings'
import { createCore, type Core } from '../wiring/create-core'
import { openPgEngine } from './pg-engine'

/**
 * The history store inside a real core, on the real Redis: bus events published to Redis, and a
 * killswitch engaged through the contract, are stored and can be queried after a restart of
 * Stackdeck, on both engines (embedded PGlite in the state directory, the test PostgreSQL).
 */
const PG_URL = process.env['STACKDECK_TEST_PG_URL']
const run = `hist${process.pid}x${Date.now().toString(36)}`
const trader = systemContext('trader', 'http')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (ok(v) || Date.now() > end) return v
    await sleep(100)
  }
}

describe.skipIf(!hasTestDocker() || !hasTestRedis())('bus history across a Stackdeck restart', () => {
  const redis = newTestRedis()
  const dirs: string[] = []
  afterAll(async () => {
    redis.disconnect()
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  for (const engine of ['pglite', 'postgres'] as const) {
    it(`events and a killswitch engage survive a restart (${engine})`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sd-history-'))
      dirs.push(dir)
      await mkdir(join(dir, 'state'))
      const channel = `${run}.${engine}.signals`
      const schema = `${run}_${engine}`
      const agent = `${run}-${engine}-exec`
      const keys = { tradingKey: testKey(`${run}:${engine}:trading`), killswitchKey: testKey(`${run}:${engine}:ks`) }
      const boot = async (): Promise<Core> => {
        const settings = parseSettings(
          {
            docker: { endpoints: [{ id: 'test', url: process.env['STACKDECK_TEST_DOCKER_HOST'] }] },
            redis: { url: testRedisUrl(), patterns: [`${run}.${engine}.*`, `heartbeat.${agent}`], ...keys, killswitchPausesStack: false, killswitchAckTimeoutMs: 200 },
            services: [],
            config: { path: join(dir, 'config.toml') },
            stateDir: join(dir, 'state'),
            schedule: { enabled: false },
            store: { enabled: true, schema, ...(engine === 'postgres' ? { url: PG_URL } : {}) },
          },
          'history test settings',
        )
        const c = await createCore({ settings, source: null }, { version: '0.0.0-test', log: () => undefined })
        await c.start()
        return c
      }
      let core: Core | null = await boot()
      try {
        const writing = await until(() => core!.handlers['history.status']({}, trader), (s) => s.state === 'writing', 60_000)
        expect(writing).toMatchObject({ enabled: true, engine, state: 'writing' })
        // Wait until the bus listens, then publish.
        await until(async () => (await core!.handlers['bus.status']({}, trader)).connection.state, (s) => s === 'ready')
        await sleep(300)
        for (let i = 0; i < 20; i++) await redis.publish(channel, JSON.stringify({ i, source: 'scanner-7' }))
        await core.handlers['bus.killswitch.engage']({ reason: 'history test', confirm: true }, trader)
        await redis.publish(`heartbeat.${agent}`, JSON.stringify({ agent_id: agent, name: 'Exec under test', group: 'execution', status: 'active', timestamp: new Date().toISOString(), step: 1 }))
        const live = await until(() => core!.handlers['bus.events']({ type: channel, limit: 50 }, trader), (p) => p.events.length === 20)
        const ids = live.events.map((e) => e.id)
        await until(() => core!.handlers['agents.health']({}, trader), (h) => h.agents.some((a) => a.id === agent))

        const stored = await until(
          () => core!.handlers['history.events']({ channel: `${run}.${engine}.*`, limit: 100 }, trader),
          (p) => p.events.length === 20,
        )
        expect(stored.events.map((e) => (JSON.parse(e.payload) as { i: number }).i)).toEqual(Array.from({ length: 20 }, (_, i) => i))
        expect(stored.events[0]).toMatchObject({ channel, source: 'scanner-7' })
        await until(() => core!.handlers['history.state']({ kind: 'killswitch' }, trader), (r) => r.records.length > 0)

        await core.dispose()
        core = null
        core = await boot()
        await until(() => core!.handlers['history.status']({}, trader), (s) => s.state === 'writing', 60_000)
        const after = await core.handlers['history.events']({ channel: `${run}.${engine}.*`, limit: 100 }, trader)
        expect(after.events).toHaveLength(20)
        const ks = await core.handlers['history.state']({ kind: 'killswitch' }, trader)
        expect(ks.records.find((r) => r.who === 'trader' && r.why === 'history test')).toBeTruthy()
        // GET /bus/events with a cursor from before the restart: the new ring never had those
        // events, the store serves them under the same ids, and nothing counts as dropped.
        const page = await core.handlers['bus.events']({ since: ids[0]! - 1, type: channel, limit: 50 }, trader)
        expect(page.events.map((e) => e.id)).toEqual(ids)
        expect(page).toMatchObject({ fromStore: 20, dropped: 0 })
        expect(page.events[0]).toMatchObject({ channel, source: 'scanner-7', payload: { i: 0, source: 'scanner-7' } })
        // The seed's GET /health/agents still names the agent it heard before the restart, as unknown.
        const health = await core.handlers['agents.health']({}, trader)
        expect(health.agents.find((a) => a.id === agent)).toMatchObject({ name: 'Exec under test', agent_group: 'execution', status: 'unknown', is_alive: false, known_from: 'history' })
        expect(health.history).toBeNull()
      } finally {
        await core?.dispose()
        await redis.del(...Object.values(keys))
        if (engine === 'postgres' && PG_URL) {
          const e = await openPgEngine({ url: PG_URL, schema: 'public' })
          await e.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
          await e.close()
        }
      }
    }, 180_000)
  }

  it('with store.enabled false, history says it is off and queries are refused with the reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sd-history-off-'))
    dirs.push(dir)
    const settings = parseSettings(
      { docker: { endpoints: [{ id: 'test', url: process.env['STACKDECK_TEST_DOCKER_HOST'] }] }, redis: { url: testRedisUrl(), patterns: [`${run}.off.*`] }, services: [], config: { path: join(dir, 'config.toml') }, stateDir: join(dir, 'state'), schedule: { enabled: false } },
      'history off settings',
    )
    const core = await createCore({ settings, source: null }, { version: '0.0.0-test', log: () => undefined })
    try {
      expect(await core.handlers['history.status']({}, trader)).toMatchObject({ enabled: false, state: 'off' })
      await expect(core.handlers['history.events']({}, trader)).rejects.toThrow(/store\.enabled/)
      await expect(core.handlers['history.events']({}, trader)).rejects.toMatchObject({ code: 'unavailable' })
    } finally {
      await core.dispose()
    }
  })
})
