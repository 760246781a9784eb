/**
 * The trading-schedule routes (get, preview, override) against the REAL built host process, the
 * private Docker engine (fixture containers) and the private Redis (test-support/route-stack.ts): each
 * result checked against the contract with ajv, each side effect checked at the source (docker
 * inspect, the file on disk, Redis, container logs).
 */
import { describe, expect } from 'vitest'
import type { OperationName } from '@core/api/contract'
import { hasTestDocker } from '../../../test-support/docker-fixtures'
import { hasTestRedis, newTestRedis } from '../../../test-support/redis-fixture'
import { redisKeysFor, TOKEN_NAMES } from '../../../test-support/api-harness'
import { happyPaths, useRouteStack } from '../../../test-support/route-stack'

const enabled = hasTestDocker() && hasTestRedis()

describe.skipIf(!enabled)('control API routes: the trading schedule', () => {
  const rs = useRouteStack()

  // One case per route, in an order where each leaves the stack as it found it.
  const happy: Array<[OperationName, () => Promise<void>]> = [
    [
      'schedule.get',
      async () => {
        const s = await rs.ok('schedule.get', {}, rs.tokens.read)
        expect(s.configured).toBe(true)
        expect(s.rules).toMatchObject({ start: '09:30', stop: '16:00:00', timezone: 'America/New_York' })
        expect(s.upcoming.length).toBeGreaterThan(0)
        expect(s.flag).not.toBeNull()
      },
    ],
    [
      'schedule.preview',
      async () => {
        const p = await rs.ok(
          'schedule.preview',
          {
            rules: {
              start: '09:30',
              stop: '16:00',
              timezone: 'UTC',
              days: ['mon', 'tue', 'wed', 'thu', 'fri'],
            },
            now: '2026-03-02T12:00:00Z',
            n: 3,
          },
          rs.tokens.read,
        )
        if (!p.ok) throw new Error(`preview refused: ${JSON.stringify(p.errors)}`)
        expect(p.enabled).toBe(true)
        expect(p.transitions.map((t) => `${t.kind} ${t.at}`)).toEqual([
          'stop 2026-03-02T16:00:00.000Z',
          'start 2026-03-03T09:30:00.000Z',
          'stop 2026-03-03T16:00:00.000Z',
        ])
      },
    ],
    [
      'schedule.override',
      async () => {
        const redis = newTestRedis()
        try {
          const key = redisKeysFor(rs.sut.tag).tradingKey
          const on = await rs.ok(
            'schedule.override',
            { value: true, until: 'cleared', reason: 'route test' },
            rs.tokens.operate,
          )
          expect(on.state).toMatchObject({ source: 'override', enabled: true })
          expect(on.state.override).toMatchObject({ value: true, who: TOKEN_NAMES.operate })
          expect(JSON.parse((await redis.get(key)) ?? 'null')).toMatchObject({ value: true })
          const off = await rs.ok('schedule.override', { value: null }, rs.tokens.operate)
          expect(off.state.source).toBe('schedule')
          expect(off.state.override).toBeNull()
          expect(JSON.parse((await redis.get(key)) ?? 'null')).toMatchObject({ value: off.state.enabled })
        } finally {
          redis.disconnect()
        }
      },
    ],
  ]

  happyPaths('schedule', happy)
})
