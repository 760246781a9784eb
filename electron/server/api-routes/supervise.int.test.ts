/**
 * The supervision routes (status, reset, restart) against the REAL built host process, the private
 * Docker engine (fixture containers) and the private Redis (test-support/route-stack.ts): each result
 * checked against the contract with ajv, each side effect checked at the source (docker inspect, the
 * file on disk, Redis, container logs).
 */
import { describe, expect } from 'vitest'
import type { OperationName } from '@core/api/contract'
import { hasTestDocker } from '../../../test-support/docker-fixtures'
import { hasTestRedis } from '../../../test-support/redis-fixture'
import { dockerState, waitFor } from '../../../test-support/api-harness'
import { happyPaths, startedAt, useRouteStack } from '../../../test-support/route-stack'

const enabled = hasTestDocker() && hasTestRedis()

describe.skipIf(!enabled)('control API routes: supervision', () => {
  const rs = useRouteStack()

  // One case per route, in an order where each leaves the stack as it found it.
  const happy: Array<[OperationName, () => Promise<void>]> = [
    [
      'supervise.status',
      async () => {
        const s = await waitFor('the supervisor to check scan', async () => {
          const r = await rs.ok('supervise.status', {}, rs.tokens.read)
          return r.services.find((x) => x.service === 'scan' && x.lastCheckAt !== null) ? r : undefined
        })
        expect(s.services.find((x) => x.service === 'scan')).toMatchObject({
          desired: 1,
          actual: 1,
          autoHeal: false,
        })
      },
    ],
    [
      'supervise.reset',
      async () => {
        const r = await rs.ok('supervise.reset', { service: 'scan' }, rs.tokens.operate)
        expect(r).toMatchObject({ service: 'scan', restarts: 0, consecutiveFailures: 0 })
      },
    ],
    [
      'supervise.restart',
      async () => {
        const t0 = await startedAt(rs.scan[0] as string)
        const r = await rs.ok(
          'supervise.restart',
          { service: 'scan', reason: 'route test' },
          rs.tokens.operate,
        )
        expect(r.containers).toEqual([expect.objectContaining({ id: rs.scan[0], outcome: 'ok' })])
        expect(await startedAt(rs.scan[0] as string)).not.toBe(t0)
        await waitFor(
          'scan to run again',
          async () => (await dockerState(rs.scan[0] as string)) === 'running',
        )
      },
    ],
  ]

  happyPaths('supervise', happy)
})
