import { afterAll, describe, expect, it } from 'vitest'
import { hasTestDocker, removeFixtures, startFixtures, waitForLog } from '../../../test-support/docker-fixtures'
import { hasTestRedis, newTestRedis, testKey } from '../../../test-support/redis-fixture'
import { FakeClock } from '../shared/clock'
import { RedisTradingFlag } from './redis-trading-flag'
import { parseScheduleRules } from './schedule-rules'
import { Scheduler } from './scheduler'

// The whole chain a trader relies on: schedule → Redis key → a real service gating its order entry.
const run = `gate-${process.pid}-${Date.now().toString(36)}`

describe.skipIf(!hasTestDocker() || !hasTestRedis())('trading_enabled gates a real service', () => {
  const redis = newTestRedis()
  afterAll(async () => {
    await removeFixtures({ e2e: run })
    redis.disconnect()
  })

  it('a fixture service logs order entry switching off at the stop and on at the start', async () => {
    const key = testKey(`trading-gate-${run}`)
    const rules = parseScheduleRules({ start: '09:30', stop: '16:00', timezone: 'America/New_York' })
    // Tuesday 15:59 New York: inside the window, one minute before the stop.
    const clock = new FakeClock('2026-03-10T19:59:00Z')
    const flag = new RedisTradingFlag(redis, { key, channel: `${key}.channel`, now: () => clock.now() })
    const sched = new Scheduler({ clock, getRules: () => rules, flag })
    await sched.start()
    expect(await flag.get()).toMatchObject({ value: true })

    const [id] = await startFixtures({
      service: 'gate',
      labels: { e2e: run },
      redis: true,
      env: { TRADING_KEY: key, HEARTBEAT_INTERVAL: '1', AGENT_ID: `gate-${run}` },
    })
    await waitForLog(id as string, /order entry enabled/, 20_000)

    await clock.advanceTo('2026-03-10T20:00:00Z') // 16:00 New York: the stop
    expect(await flag.get()).toMatchObject({ value: false, who: 'schedule' })
    await waitForLog(id as string, /order entry disabled \(trading_enabled=false\)/, 20_000)

    await clock.advanceTo('2026-03-11T13:30:00Z') // next day 09:30: the start
    expect(await flag.get()).toMatchObject({ value: true })
    await waitForLog(id as string, /order entry enabled/, 20_000, { after: 1 })
    sched.stop()
    await redis.del(key)
  })
})
