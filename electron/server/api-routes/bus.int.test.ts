/**
 * The bus and safety routes (agents, status, events, regime, agent commands, the killswitch, every
 * safety fact, resuming trading) against the REAL built host process, the private Docker engine
 * (fixture containers) and the private Redis (test-support/route-stack.ts): each result checked
 * against the contract with ajv, each side effect checked at the source (docker inspect, the file on
 * disk, Redis, container logs). bus.agents runs first: it waits for every agent to beat, so the bus is
 * connected and has traffic when bus.status reads it.
 */
import { describe, expect } from 'vitest'
import type { OperationName } from '@core/api/contract'
import { hasTestDocker } from '../../../test-support/docker-fixtures'
import { hasTestRedis, newTestRedis } from '../../../test-support/redis-fixture'
import { dockerStates, redisKeysFor, TOKEN_NAMES, waitFor } from '../../../test-support/api-harness'
import { happyPaths, useRouteStack } from '../../../test-support/route-stack'

const enabled = hasTestDocker() && hasTestRedis()

describe.skipIf(!enabled)('control API routes: the bus, the killswitch and trading', () => {
  const rs = useRouteStack()

  // One case per route, in an order where each leaves the stack as it found it.
  const happy: Array<[OperationName, () => Promise<void>]> = [
    [
      'bus.agents',
      async () => {
        const want = [`orch-${rs.run}-0`, `orch-${rs.run}-1`, `scan-${rs.run}`, rs.agentId]
        const a = await waitFor('all four agents alive', async () => {
          const r = await rs.ok('bus.agents', {}, rs.tokens.read)
          return want.every((id) => r.agents.find((x) => x.id === id)?.alive) ? r : undefined
        })
        expect(a.totals.total).toBe(a.agents.length)
        expect(a.totals.alive).toBeGreaterThanOrEqual(4)
        expect(a.connection).toBe('ready')
      },
    ],
    [
      'agents.health',
      async () => {
        // The seed's shape (Orchestrator-Lite GET /health/agents), from the same live registry.
        const h = await waitFor('the agent under test in /health/agents', async () => {
          const r = await rs.ok('agents.health', {}, rs.tokens.read)
          return r.agents.find((a) => a.id === rs.agentId)?.is_alive ? r : undefined
        })
        expect(h.status).toBe('ok')
        expect(h.total_agents).toBe(h.agents.length)
        expect(h.active_agents).toBe(h.agents.filter((a) => a.is_alive).length)
        const mine = h.agents.find((a) => a.id === rs.agentId)
        expect(mine?.known_from).toBe('live')
        expect(typeof mine?.seconds_since_beat).toBe('number')
      },
    ],
    [
      'bus.status',
      async () => {
        const s = await rs.ok('bus.status', {}, rs.tokens.read)
        expect(s.connection.state).toBe('ready')
        expect(s.totals.messages).toBeGreaterThan(0)
        expect(s.killswitch.engaged).toBe(false)
      },
    ],
    [
      'bus.events',
      async () => {
        // Four agents beat every second or so: wait for a full page rather than race the first beats.
        const e = await waitFor('five heartbeats in the ring', async () => {
          const p = await rs.ok('bus.events', { since: 0, limit: 5, type: 'heartbeat' }, rs.tokens.read)
          return p.events.length === 5 ? p : undefined
        })
        expect(e.events.length).toBe(5)
        for (const ev of e.events) expect(ev.channel).toMatch(/^heartbeat\./)
        const ids = e.events.map((x) => x.id)
        expect([...ids].sort((a, b) => a - b)).toEqual(ids)
        // Paging on: the next page starts after the cursor.
        const next = await rs.ok(
          'bus.events',
          { since: e.nextCursor, limit: 5, type: 'heartbeat' },
          rs.tokens.read,
        )
        for (const ev of next.events) expect(ev.id).toBeGreaterThan(e.nextCursor)
      },
    ],
    [
      'bus.regime',
      async () => {
        const redis = newTestRedis()
        try {
          const regime = `calm-${rs.run}`
          await redis.publish(
            'quant.regime.state',
            JSON.stringify({ regime, confidence: 0.75, at: new Date().toISOString() }),
          )
          const v = await waitFor('the regime to arrive', async () => {
            const r = await rs.ok('bus.regime', {}, rs.tokens.read)
            return r.regime === regime ? r : undefined
          })
          expect(v).toMatchObject({ confidence: 0.75, source: 'live' })
        } finally {
          redis.disconnect()
        }
      },
    ],
    [
      'bus.command',
      async () => {
        const c = await rs.ok(
          'bus.command',
          { agentId: rs.agentId, type: 'tune', params: { rate: 1 } },
          rs.tokens.operate,
        )
        expect(c).toMatchObject({
          agentId: rs.agentId,
          type: 'tune',
          state: 'acked',
          who: TOKEN_NAMES.operate,
        })
        expect(rs.agent.output()).toContain(c.commandId)
      },
    ],
    [
      'bus.commands',
      async () => {
        const c = await rs.ok('bus.commands', { agentId: rs.agentId, limit: 10 }, rs.tokens.read)
        expect(c.commands[0]).toMatchObject({ agentId: rs.agentId, type: 'tune', state: 'acked' })
      },
    ],
    [
      'bus.killswitch.get',
      async () => {
        const k = await rs.ok('bus.killswitch.get', {}, rs.tokens.read)
        expect(k.engaged).toBe(false)
      },
    ],
    [
      'bus.killswitch.engage',
      async () => {
        const redis = newTestRedis()
        try {
          const r = await rs.ok(
            'bus.killswitch.engage',
            { reason: `route test ${rs.run}`, confirm: true },
            rs.tokens.operate,
          )
          expect(r.state).toMatchObject({ engaged: true, who: TOKEN_NAMES.operate, stored: true })
          expect(r.actions).toMatchObject({
            store: { status: 'ok' },
            trading: { status: 'ok' },
            announce: { status: 'ok' },
            stackPause: { status: 'ok' },
            audit: { status: 'ok' },
          })
          // The execution agent acknowledged; the state is in Redis; trading is off; the stack is frozen.
          expect(r.state.lastRound?.acked.map((a) => a.agentId)).toContain(rs.agentId)
          expect(
            JSON.parse((await redis.get(redisKeysFor(rs.sut.tag).killswitchKey)) ?? 'null'),
          ).toMatchObject({
            engaged: true,
          })
          expect(JSON.parse((await redis.get(redisKeysFor(rs.sut.tag).tradingKey)) ?? 'null')).toMatchObject({
            value: false,
          })
          expect(await dockerStates([...rs.orch, ...rs.scan])).toEqual(['paused', 'paused', 'paused'])
        } finally {
          redis.disconnect()
          await rs.releaseIfEngaged()
          await rs.resumeAll()
        }
      },
    ],
    [
      'bus.killswitch.release',
      async () => {
        await rs.ok('bus.killswitch.engage', { reason: 'to be released', confirm: true }, rs.tokens.operate)
        try {
          const r = await rs.ok(
            'bus.killswitch.release',
            { reason: `route test ${rs.run}`, confirm: true },
            rs.tokens.admin,
          )
          expect(r.state).toMatchObject({ engaged: false, who: TOKEN_NAMES.admin, stored: true })
          expect((await rs.ok('bus.killswitch.get', {}, rs.tokens.read)).engaged).toBe(false)
        } finally {
          await rs.releaseIfEngaged()
          await rs.resumeAll()
        }
      },
    ],
    [
      'state.get',
      async () => {
        const st = await rs.ok('state.get', {}, rs.tokens.read)
        // Redis and the engine are up in this suite: both facts are known, with a version and a time.
        expect(st.bus).toMatchObject({ known: true, value: { state: 'ready' } })
        expect(st.killswitch).toMatchObject({ known: true })
        expect(st.engines.length).toBeGreaterThan(0)
        for (const e of st.engines) expect(e.fact).toMatchObject({ known: true, value: { reachable: true } })
        expect(Number.isFinite(Date.parse(st.at))).toBe(true)
      },
    ],
    [
      'trading.resume',
      async () => {
        // Engage and release: trading stays latched off until the resume lifts the latch.
        await rs.ok('bus.killswitch.engage', { reason: 'to be resumed', confirm: true }, rs.tokens.operate)
        try {
          await rs.ok(
            'bus.killswitch.release',
            { reason: `resume test ${rs.run}`, confirm: true },
            rs.tokens.admin,
          )
          expect(await rs.ok('bus.killswitch.get', {}, rs.tokens.read)).toMatchObject({
            engaged: false,
            latched: true,
          })
          const r = await rs.ok(
            'trading.resume',
            { reason: `route test ${rs.run}`, confirm: true },
            rs.tokens.admin,
          )
          expect(r.state.killswitch).toMatchObject({ known: true })
          expect(await rs.ok('bus.killswitch.get', {}, rs.tokens.read)).toMatchObject({
            engaged: false,
            latched: false,
          })
          // A second resume has nothing to lift: a conflict, not a silent success.
          const again = await rs.callRoute(
            'trading.resume',
            { reason: 'again', confirm: true },
            rs.tokens.admin,
          )
          expect(again.status).toBe(409)
        } finally {
          await rs.releaseIfEngaged()
          await rs.resumeAll()
        }
      },
    ],
  ]

  happyPaths('bus', happy)
})
