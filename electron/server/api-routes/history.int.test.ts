/**
 * The history routes against the REAL built host process with its store on (the test PostgreSQL, or
 * PGlite without one), the private engine and Redis (test-support/route-stack.ts): what the fixtures
 * and the dev agent publish, and a killswitch engaged through the API, come back from the store.
 */
import { describe, expect } from 'vitest'
import type { OperationName } from '@core/api/contract'
import { hasTestDocker } from '../../../test-support/docker-fixtures'
import { hasTestRedis } from '../../../test-support/redis-fixture'
import { TOKEN_NAMES, waitFor } from '../../../test-support/api-harness'
import { happyPaths, useRouteStack } from '../../../test-support/route-stack'

const enabled = hasTestDocker() && hasTestRedis()

describe.skipIf(!enabled)('control API routes: the history store', () => {
  const rs = useRouteStack()
  const since = new Date(Date.now() - 60_000).toISOString()

  const happy: Array<[OperationName, () => Promise<void>]> = [
    [
      'history.status',
      async () => {
        const s = await rs.ok('history.status', {}, rs.tokens.read)
        expect(s).toMatchObject({ enabled: true, state: 'writing', reason: null, dropped: { evicted: 0, overflow: 0 } })
        expect(s.engine).toBe(process.env['STACKDECK_TEST_PG_URL'] ? 'postgres' : 'pglite')
      },
    ],
    [
      'history.events',
      async () => {
        const page = await waitFor('heartbeats in the store', async () => {
          const p = await rs.ok('history.events', { type: 'heartbeat*', from: since, limit: 3 }, rs.tokens.read)
          return p.events.length === 3 && p.next !== null ? p : undefined
        })
        for (const e of page.events) expect(e.channel).toMatch(/^heartbeat\./)
        const next = await rs.ok('history.events', { type: 'heartbeat*', from: since, limit: 3, after: page.next }, rs.tokens.read)
        for (const e of next.events) expect(e.cursor).toBeGreaterThan(page.next ?? Infinity)
        const mine = await rs.ok('history.events', { agent: rs.agentId, limit: 1 }, rs.tokens.read)
        expect(mine.events[0]?.agent).toBe(rs.agentId)
      },
    ],
    [
      'history.counts',
      async () => {
        const c = await rs.ok('history.counts', { from: since, to: new Date(Date.now() + 60_000).toISOString(), channel: 'heartbeat.*' }, rs.tokens.read)
        expect(c.counts.reduce((n, x) => n + x.count, 0)).toBeGreaterThan(0)
        for (const x of c.counts) expect(x.channel).toMatch(/^heartbeat\./)
      },
    ],
    [
      'history.agent',
      async () => {
        const t = await waitFor('the dev agent in the timeline', async () => {
          const r = await rs.ok('history.agent', { agent: rs.agentId }, rs.tokens.read)
          return r.transitions.length > 0 ? r : undefined
        })
        expect(t.transitions[0]).toMatchObject({ from: null })
      },
    ],
    [
      'history.state',
      async () => {
        await rs.ok('bus.killswitch.engage', { reason: `history ${rs.run}`, confirm: true }, rs.tokens.operate)
        try {
          await rs.ok('bus.killswitch.release', { reason: `history over ${rs.run}`, confirm: true }, rs.tokens.admin)
        } finally {
          await rs.releaseIfEngaged()
          await rs.resumeAll()
        }
        const s = await waitFor('the engage and release in the state history', async () => {
          const r = await rs.ok('history.state', { kind: 'killswitch' }, rs.tokens.read)
          return r.records.some((x) => x.why === `history over ${rs.run}`) ? r : undefined
        })
        expect(s.records).toContainEqual(expect.objectContaining({ kind: 'killswitch', who: TOKEN_NAMES.operate, why: `history ${rs.run}` }))
        expect(s.records).toContainEqual(expect.objectContaining({ kind: 'killswitch', who: TOKEN_NAMES.admin, why: `history over ${rs.run}` }))
      },
    ],
  ]

  happyPaths('history', happy)
})
