/**
 * The audit-log route against the REAL built host process, the private Docker engine (fixture
 * containers) and the private Redis (test-support/route-stack.ts): each result checked against the
 * contract with ajv, each side effect checked at the source (docker inspect, the file on disk, Redis,
 * container logs).
 */
import { describe, expect } from 'vitest'
import type { OperationName } from '@core/api/contract'
import { hasTestDocker } from '../../../test-support/docker-fixtures'
import { hasTestRedis } from '../../../test-support/redis-fixture'
import { TOKEN_NAMES } from '../../../test-support/api-harness'
import { happyPaths, useRouteStack } from '../../../test-support/route-stack'

const enabled = hasTestDocker() && hasTestRedis()

describe.skipIf(!enabled)('control API routes: the audit log', () => {
  const rs = useRouteStack()

  // One case per route, in an order where each leaves the stack as it found it.
  const happy: Array<[OperationName, () => Promise<void>]> = [
    [
      'audit.query',
      async () => {
        // The acts the query must find, done through the API first: a stack pause, and a killswitch
        // engaged and released.
        await rs.ok('stack.pause', { reason: `route test ${rs.run}` }, rs.tokens.operate)
        await rs.ok('stack.resume', {}, rs.tokens.operate)
        await rs.ok('bus.killswitch.engage', { reason: 'to be released', confirm: true }, rs.tokens.operate)
        try {
          await rs.ok(
            'bus.killswitch.release',
            { reason: `route test ${rs.run}`, confirm: true },
            rs.tokens.admin,
          )
        } finally {
          await rs.releaseIfEngaged()
          await rs.resumeAll()
        }
        const a = await rs.ok('audit.query', { action: 'stack.pause', limit: 50 }, rs.tokens.read)
        expect(a.records.length).toBeGreaterThan(0)
        for (const r of a.records) expect(r.action).toBe('stack.pause')
        expect(a.records).toContainEqual(
          expect.objectContaining({
            who: TOKEN_NAMES.operate,
            door: 'http',
            reason: `route test ${rs.run}`,
            outcome: 'ok',
            target: 'stack',
          }),
        )
        const ks = await rs.ok('audit.query', { action: 'bus.killswitch', limit: 10 }, rs.tokens.read)
        expect(ks.records.map((r) => r.action)).toEqual(
          expect.arrayContaining(['bus.killswitch.engage', 'bus.killswitch.release']),
        )
      },
    ],
  ]

  happyPaths('audit', happy)
})
