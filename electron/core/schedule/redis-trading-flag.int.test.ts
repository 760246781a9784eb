/**
 * RedisTradingFlag against a real Redis (STACKDECK_TEST_REDIS_URL), driven by the real Scheduler on a
 * FakeClock: the key and the channel change at a transition, versions increase, and a dropped
 * connection (CLIENT KILL) is followed by a re-announcement.
 */
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { hasTestRedis, newTestRedis, testKey } from '../../../test-support/redis-fixture'
import { FakeClock } from '../shared/clock'
import { RedisOverrideStore } from './redis-override-store'
import { RedisTradingFlag } from './redis-trading-flag'
import { parseScheduleRules } from './schedule-rules'
import { Scheduler, type ScheduleTransitionEvent } from './scheduler'

const rules = parseScheduleRules({ start: '09:30', stop: '16:00', timezone: 'America/New_York' })

async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe.skipIf(!hasTestRedis())('RedisTradingFlag on real Redis', () => {
  let run = 0
  let key = ''
  let channel = ''
  let redis: Redis
  let sub: Redis
  let admin: Redis
  const messages: Array<Record<string, unknown>> = []

  beforeAll(() => {
    admin = newTestRedis()
  })
  afterAll(async () => {
    await admin.quit()
  })

  const open = async () => {
    run++
    key = testKey(`schedule-flag-${process.pid}-${run}`)
    channel = `${key}.channel`
    messages.length = 0
    redis = newTestRedis()
    sub = newTestRedis()
    sub.on('message', (ch: string, msg: string) => {
      if (ch === channel) messages.push(JSON.parse(msg) as Record<string, unknown>)
    })
    await sub.subscribe(channel)
  }

  afterEach(async () => {
    await admin.del(key, `${key}.override`)
    sub.disconnect()
    redis.disconnect()
  })

  it('writes key and channel at a transition driven by the Scheduler, with increasing versions', async () => {
    await open()
    const clock = new FakeClock('2026-03-10T13:00:00Z') // 09:00 New York
    const flag = new RedisTradingFlag(redis, { key, channel, now: () => clock.now() })
    const events: ScheduleTransitionEvent[] = []
    const sched = new Scheduler({ clock, getRules: () => rules, flag, onTransition: (e) => events.push(e) })
    await sched.start()

    const first = JSON.parse((await admin.get(key)) ?? 'null') as Record<string, unknown>
    expect(first).toMatchObject({
      value: false,
      enabled: false,
      version: 1,
      who: 'schedule',
      source: 'schedule',
      at: '2026-03-10T13:00:00.000Z',
    })
    await until('the start-up message', () => messages.length >= 1)
    expect(messages[0]).toEqual(first)

    await clock.advanceTo('2026-03-10T13:30:00Z')
    const opened = JSON.parse((await admin.get(key)) ?? 'null') as Record<string, unknown>
    expect(opened).toMatchObject({ value: true, version: 2, at: '2026-03-10T13:30:00.000Z' })
    expect(String(opened.why)).toMatch(/Inside the trading window/)
    await until('the start message', () => messages.length >= 2)
    expect(messages[1]).toEqual(opened)
    expect(events.map((e) => [e.kind, e.version])).toEqual([
      ['stop', 1],
      ['start', 2],
    ])

    await clock.advanceTo('2026-03-10T20:00:00Z')
    expect(await flag.get()).toMatchObject({ value: false, version: 3 })
    await until('the stop message', () => messages.length >= 3)
    expect(messages.map((m) => m.version)).toEqual([1, 2, 3])
    sched.stop()
  })

  it('hands out distinct versions to concurrent writers (the increment is atomic)', async () => {
    await open()
    const a = new RedisTradingFlag(redis, { key, channel })
    const other = newTestRedis()
    try {
      const b = new RedisTradingFlag(other, { key, channel })
      const writes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).set(i % 3 === 0, { who: `w${i}`, why: 'race', source: 'manual' }),
        ),
      )
      expect(writes.map((w) => w.version).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      )
      expect((await a.get())?.version).toBe(20)
    } finally {
      other.disconnect()
    }
  })

  it('re-announces after a reconnect, and restores a key Redis lost without going back in version', async () => {
    await open()
    const flag = new RedisTradingFlag(redis, { key, channel })
    const detach = flag.attach()
    try {
      await flag.set(true, { who: 'schedule', why: 'window open', source: 'schedule' })
      await flag.set(true, { who: 'schedule', why: 'window open', source: 'schedule' })
      await until('two messages', () => messages.length >= 2)

      const id = String(await redis.client('ID'))
      await admin.client('KILL', 'ID', id)
      const again = await until('the re-announcement', () => messages[2])
      expect(again).toMatchObject({ value: true, version: 2 })
      expect(JSON.parse((await admin.get(key)) ?? 'null')).toEqual(again)

      // Redis restarted without persistence: the key is gone. The next reconnect writes it back.
      await admin.del(key)
      const id2 = String(
        await until('the reconnected client', async () =>
          redis.status === 'ready' ? await redis.client('ID') : null,
        ),
      )
      expect(id2).not.toBe(id)
      await admin.client('KILL', 'ID', id2)
      const restored = await until('the restored key', async () => admin.get(key))
      expect(JSON.parse(restored)).toMatchObject({ value: true, version: 3, who: 'schedule' })
      expect((JSON.parse(restored) as { why: string }).why).toMatch(/re-asserted after Redis lost the key/)
      await until('the restore message', () => messages.some((m) => m.version === 3))
    } finally {
      detach()
    }
  })

  it('persists an override record for the next start', async () => {
    await open()
    const store = new RedisOverrideStore(redis, `${key}.override`)
    expect(await store.get()).toBeNull()
    const rec = {
      value: false,
      until: 'cleared' as const,
      who: 'alice',
      why: 'FOMC',
      at: '2026-03-10T15:00:00.000Z',
      expiresAt: null,
    }
    await store.set(rec)
    expect(await new RedisOverrideStore(admin, `${key}.override`).get()).toEqual(rec)
    await store.set(null)
    expect(await admin.exists(`${key}.override`)).toBe(0)
    await admin.set(`${key}.override`, '{not json')
    expect(await store.get()).toBeNull()
  })
})
