import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasTestDocker } from '../../../test-support/docker-fixtures'
import { hasTestRedis, newTestRedis, testKey, testRedisUrl } from '../../../test-support/redis-fixture'
import { createCore, type Core } from '../wiring/create-core'
import { systemContext } from '../api/call-context'
import { parseSettings } from '../settings/load-settings'

// Restart Stackdeck (a real core on the real Redis and engine) while the killswitch is released but
// the latch holds: trading must stay disabled, also when Redis lost the key meanwhile, until resumed.
const run = `latch-${process.pid}-${Date.now().toString(36)}`
const ZONE = 'Asia/Tokyo'
const keys = {
  tradingKey: testKey(`${run}:trading_enabled`),
  tradingChannel: testKey(`${run}:trading`).replace(/:/g, '.'),
  killswitchKey: testKey(`${run}:killswitch`),
}
const trader = systemContext('trader', 'http')
const hhmm = (deltaMin: number) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    new Date(Date.now() + deltaMin * 60_000),
  )
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.skipIf(!hasTestDocker() || !hasTestRedis())('the killswitch latch across a Stackdeck restart', () => {
  const redis = newTestRedis()
  let dir: string
  let core: Core | null = null

  async function boot(): Promise<Core> {
    const settings = parseSettings(
      {
        docker: { endpoints: [{ id: 'test', url: process.env['STACKDECK_TEST_DOCKER_HOST'] }] },
        redis: { url: testRedisUrl(), ...keys, killswitchPausesStack: false, killswitchAckTimeoutMs: 200 },
        services: [],
        config: { path: join(dir, 'config.toml') },
        stateDir: join(dir, 'state'),
        schedule: { enabled: true },
      },
      'latch test settings',
    )
    const c = await createCore({ settings, source: null }, { version: '0.0.0-test', log: () => undefined })
    await c.start()
    return c
  }
  const flag = async () => JSON.parse((await redis.get(keys.tradingKey)) ?? 'null') as { value: boolean; source: string } | null
  async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
    const end = Date.now() + ms
    for (;;) {
      const v = await fn()
      if (ok(v) || Date.now() > end) return v
      await sleep(100)
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sd-latch-'))
    await mkdir(join(dir, 'state'))
    const example = await readFile(join(import.meta.dirname, '../../../config.example.toml'), 'utf8')
    const schedule = `[schedule]\nstart = "${hhmm(-60)}"\nstop = "${hhmm(60)}"\ntimezone = "${ZONE}"\ndays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n\n`
    await writeFile(join(dir, 'config.toml'), example.replace(/\[schedule\][\s\S]*?(?=\n\[risk\])/, schedule))
    await redis.del(...Object.values(keys), 'stackdeck:schedule_override')
  })
  afterAll(async () => {
    await core?.dispose()
    await redis.del(...Object.values(keys))
    redis.disconnect()
    await rm(dir, { recursive: true, force: true })
  })

  it('trading stays disabled after a restart, and after a restart where Redis lost the key, until resumed', async () => {
    core = await boot()
    expect(await until(flag, (f) => f?.value === true)).toMatchObject({ value: true, source: 'schedule' })
    await core.handlers['bus.killswitch.engage']({ reason: `drill ${run}`, confirm: true }, trader)
    const rel = await core.handlers['bus.killswitch.release']({ reason: 'drill over', confirm: true }, trader)
    expect(rel.state).toMatchObject({ engaged: false, latched: true })
    expect(await flag()).toMatchObject({ value: false, source: 'killswitch' })

    // Restart with the latch in Redis.
    await core.dispose()
    core = await boot()
    await sleep(6500) // past the scheduler's 5 s retry: a veto that lifted would have written by now
    expect(await flag()).toMatchObject({ value: false })
    const st = await core.handlers['state.get']({}, trader)
    expect(st.trading).toMatchObject({ known: true, value: { enabled: false } })
    expect(st.killswitch).toMatchObject({ known: true, value: { engaged: false, latched: true } })
    expect(st.schedule).toMatchObject({ known: true, value: { desired: true } })

    // Restart again, this time Redis lost the killswitch key: the state dir's copy re-asserts the latch.
    await core.dispose()
    await redis.del(keys.killswitchKey)
    core = await boot()
    await sleep(6500)
    expect(await flag()).toMatchObject({ value: false })
    expect(JSON.parse((await redis.get(keys.killswitchKey)) ?? 'null')).toMatchObject({ engaged: false, latched: true })

    // Only the deliberate resume hands trading back to the schedule.
    const res = await core.handlers['trading.resume']({ reason: 'all clear', confirm: true }, trader)
    expect(res.tradingEnabled).toBe(true)
    expect(await flag()).toMatchObject({ value: true, source: 'schedule' })
    const audit = await core.handlers['audit.query']({ action: 'trading.resume' }, trader)
    expect(audit.records.map((r) => [r.action, r.who, r.outcome])).toEqual([['trading.resume', 'trader', 'ok']])
  }, 60_000)
})
