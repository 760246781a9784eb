/**
 * The directory joins a real RunRegistry (on a temp file, fake clock) with a scripted Redis side:
 * one row per agent id whichever way it talks, commands routed by transport, one command list.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AgentCommandT, AgentT } from '@core/api/contract/bus'
import { RunRegistry } from '@core/runs/run-registry'
import { FileRunStore } from '@core/runs/run-store'
import type { BatchSource } from '@core/bus/update-batcher'
import { AgentDirectory, type RedisAgents } from './agent-directory'
import { agentCommandOfRun, agentDiedOfRun, agentRowOfRun } from './run-agent-rows'

const ctx = { who: 'tester', door: 'http' as const }
let dir: string
let now: number
let reg: RunRegistry
let dirx: AgentDirectory
let redisRows: Map<string, AgentT>
let pushed: Array<{ agentId: string; type: string }>

const redisAgent = (id: string): AgentT => ({
  id,
  transport: 'redis',
  heardOn: ['redis'],
  name: id,
  group: 'signals',
  groupRaw: 'signals',
  status: 'active',
  reportedStatus: 'active',
  lastBeat: new Date(now).toISOString(),
  reportedAt: null,
  alive: true,
  secondsSinceBeat: 0,
  beats: 3,
  anomalies: [],
  anomalyCount: 0,
  paused: false,
})

const redis = (): RedisAgents => ({
  agents: () => ({ agents: [...redisRows.values()], totals: { total: redisRows.size, alive: redisRows.size, dead: 0, paused: 0, unknown: 0 }, connection: 'ready', timeoutMs: 5000 }),
  agent: (id) => redisRows.get(id),
  send: async (req) => {
    pushed.push({ agentId: req.agentId, type: req.type })
    return { ...agentCommandOfRun({ id: `r-${pushed.length}`, runId: 'x', type: req.type, params: {}, createdBy: req.who, createdAt: new Date(now).toISOString(), deliveredAt: null, acknowledgedAt: null, expiresAt: '', status: 'delivered', result: null }, req.agentId), transport: 'redis', runId: null }
  },
  commands: () => [],
})

const batchSource = (agents: AgentT[] = [], removed: string[] = []): BatchSource =>
  ({ takeAgents: () => ({ agents, removed }), totals: () => ({ total: agents.length, alive: agents.length, dead: 0, paused: 0, unknown: 0 }), takeCommands: () => [] }) as unknown as BatchSource

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sd-agents-'))
  now = Date.parse('2026-12-01T10:00:00Z')
  redisRows = new Map()
  pushed = []
  reg = new RunRegistry({
    store: new FileRunStore(join(dir, 'runs.json')),
    thresholds: { lateAfterMs: 1000, unhealthyAfterMs: 2000, lostAfterMs: 4000 },
    commandTimeoutMs: 10_000,
    now: () => now,
    emit: { run: (r) => dirx.noteRun(r), command: (c) => dirx.noteCommand(c), health: () => undefined },
    audit: async () => undefined,
  })
  dirx = new AgentDirectory({ redis: redis(), runs: reg, now: () => now, ackWaitMs: 200 })
  await reg.start()
  dirx.seed()
})
afterEach(async () => {
  await reg.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('AgentDirectory', () => {
  it('lists a Redis agent and an HTTP-only agent as rows of one grid, with totals over both', async () => {
    redisRows.set('scanner-1', redisAgent('scanner-1'))
    const { run } = await reg.create({ agent: 'trainer-1', strategy: 'ppo', version: '3' }, ctx)
    await reg.heartbeat({ id: run.id, step: 5, checkpoint_version: 1 }, ctx)
    const { agents, totals } = dirx.agents()
    expect(agents.map((a) => [a.id, a.transport, a.heardOn])).toEqual([
      ['scanner-1', 'redis', ['redis']],
      ['trainer-1', 'http', ['http']],
    ])
    expect(agents[1]).toMatchObject({ status: 'running', alive: true, step: 5, checkpointVersion: 1, run: { id: run.id, state: 'running', health: 'healthy' } })
    expect(totals).toMatchObject({ total: 2, alive: 2 })
  })

  it('routes a command by transport: queued for the run of an HTTP agent, pushed on Redis otherwise', async () => {
    redisRows.set('scanner-1', redisAgent('scanner-1'))
    const { run } = await reg.create({ agent: 'trainer-1', strategy: 'ppo', version: '3' }, ctx)
    const http = await dirx.send({ agentId: 'trainer-1', type: 'tune', params: { lr: 0.1 }, wait: false }, ctx)
    expect(http).toMatchObject({ transport: 'http', runId: run.id, state: 'queued', deliveredAt: null, params: { lr: 0.1 } })
    expect(reg.get(run.id).commands[0]).toMatchObject({ id: http.commandId, type: 'tune', status: 'queued' })
    const viaRedis = await dirx.send({ agentId: 'scanner-1', type: 'pause', wait: false }, ctx)
    expect(viaRedis.transport).toBe('redis')
    expect(pushed).toEqual([{ agentId: 'scanner-1', type: 'pause' }])
  })

  it('wait holds the answer until the HTTP agent acknowledges, and the batch carries each change', async () => {
    const { run } = await reg.create({ agent: 'trainer-1', strategy: 'ppo', version: '3' }, ctx)
    await reg.heartbeat({ id: run.id, step: 5, checkpoint_version: 1 }, ctx)
    const src = dirx.source(batchSource())
    const answer = dirx.send({ agentId: 'trainer-1', type: 'pause', wait: true }, ctx)
    await new Promise((r) => setTimeout(r, 10))
    const pulled = await reg.nextCommand(run.id, 0, ctx)
    now += 250
    await reg.ack({ id: run.id, cmd: pulled!.id, ok: true, message: 'paused at step 5' }, ctx)
    const c = await answer
    expect(c).toMatchObject({ state: 'acked', ackMs: 250, message: 'paused at step 5', transport: 'http' })
    expect(c.deliveredAt).not.toBeNull()
    const batch = src.takeCommands().filter((x) => x.commandId === c.commandId)
    expect(batch.map((x) => x.state)).toEqual(['acked'])
    expect(src.takeAgents(now).agents.find((a) => a.id === 'trainer-1')?.run?.state).toBe('paused')
  })

  it('wait answers the state it has at the ack wait: a command nobody pulled is still queued, not timed out', async () => {
    await reg.create({ agent: 'trainer-1', strategy: 'ppo', version: '3' }, ctx)
    const c = await dirx.send({ agentId: 'trainer-1', type: 'pause', wait: true }, ctx)
    expect(c.state).toBe('queued')
  })

  it('an HTTP-only agent whose run ended refuses commands with the run\'s 409; with Redis it goes there', async () => {
    const { run } = await reg.create({ agent: 'trainer-1', strategy: 'ppo', version: '3' }, ctx)
    await reg.heartbeat({ id: run.id, step: 1, checkpoint_version: 0 }, ctx)
    await reg.setState(run.id, 'completed', 'done', ctx)
    await expect(dirx.send({ agentId: 'trainer-1', type: 'pause', wait: false }, ctx)).rejects.toMatchObject({ code: 'conflict' })
    expect(dirx.agents().agents[0]).toMatchObject({ status: 'ended', transport: 'http' })
    expect(dirx.agents().totals).toMatchObject({ total: 0, ended: 1 })
    redisRows.set('trainer-1', redisAgent('trainer-1'))
    const c = await dirx.send({ agentId: 'trainer-1', type: 'pause', wait: false }, ctx)
    expect(c.transport).toBe('redis')
  })

  it('joins an agent heard on both: Redis liveness, run attached, commands to the unfinished run', async () => {
    redisRows.set('dual', redisAgent('dual'))
    const { run } = await reg.create({ agent: 'dual', strategy: 's', version: '1' }, ctx)
    const src = dirx.source(batchSource([redisAgent('dual')]))
    const [row] = src.takeAgents(now).agents
    expect(row).toMatchObject({ id: 'dual', heardOn: ['redis', 'http'], transport: 'http', status: 'active', run: { id: run.id } })
  })

  it('keeps the row of an agent forgotten on Redis while its HTTP run goes on', async () => {
    await reg.create({ agent: 'dual', strategy: 's', version: '1' }, ctx)
    const src = dirx.source(batchSource([], ['dual', 'gone']))
    const { agents, removed } = src.takeAgents(now)
    expect(removed).toEqual(['gone'])
    expect(agents.map((a) => [a.id, a.heardOn])).toEqual([['dual', ['http']]])
  })

  it('lists the commands of both transports newest first, by agent', async () => {
    const { run } = await reg.create({ agent: 'trainer-1', strategy: 'ppo', version: '3' }, ctx)
    await reg.queueCommand({ id: run.id, type: 'pause' }, ctx)
    now += 1000
    await reg.queueCommand({ id: run.id, type: 'tune', params: { lr: 1 } }, ctx)
    expect(dirx.commands({ limit: 10, agentId: 'trainer-1' }).map((c) => c.type)).toEqual(['tune', 'pause'])
    expect(dirx.commands({ limit: 10, agentId: 'other' })).toEqual([])
  })

  it('survives a restart: the rows come back from the saved runs', async () => {
    await reg.create({ agent: 'trainer-1', strategy: 'ppo', version: '3' }, ctx)
    await reg.stop()
    const again = new RunRegistry({
      store: new FileRunStore(join(dir, 'runs.json')),
      thresholds: { lateAfterMs: 1000, unhealthyAfterMs: 2000, lostAfterMs: 4000 },
      commandTimeoutMs: 10_000,
      now: () => now,
      emit: { run: () => undefined, command: () => undefined, health: () => undefined },
      audit: async () => undefined,
    })
    await again.start()
    const d2 = new AgentDirectory({ redis: redis(), runs: again, now: () => now, ackWaitMs: 10 })
    d2.seed()
    expect(d2.agents().agents.map((a) => [a.id, a.status])).toEqual([['trainer-1', 'unknown']])
    reg = again
  })
})

describe('run rows', () => {
  const base = {
    id: 'r1', agent: 'a', strategy: 's', version: '1', overrides: null, container: null, createdBy: 'x', createdAt: '2026-12-01T10:00:00.000Z',
    state: 'running' as const, stateSince: '2026-12-01T10:00:00.000Z', health: 'healthy' as const, healthSince: '2026-12-01T10:00:00.000Z',
    lastHeartbeatAt: '2026-12-01T10:00:01.000Z', heartbeatAgeMs: 0, step: 1, checkpointVersion: 0, runtimeStatus: null, metrics: null, heartbeats: 1, pendingCommands: 0,
  }
  it('summarises health honestly: no beat yet is unknown, unhealthy and lost are dead, paused is paused', () => {
    const at = Date.parse('2026-12-01T10:00:02Z')
    expect(agentRowOfRun({ ...base, health: 'pending', lastHeartbeatAt: null }, at)).toMatchObject({ status: 'unknown', alive: false, lastBeat: base.createdAt, secondsSinceBeat: 2 })
    expect(agentRowOfRun({ ...base, health: 'late' }, at)).toMatchObject({ status: 'late', alive: true })
    expect(agentRowOfRun({ ...base, health: 'unhealthy' }, at)).toMatchObject({ status: 'dead', alive: false })
    expect(agentRowOfRun({ ...base, health: 'lost' }, at)).toMatchObject({ status: 'dead', alive: false })
    expect(agentRowOfRun({ ...base, state: 'paused', health: 'paused' }, at)).toMatchObject({ status: 'paused', paused: true })
  })
  it('maps command statuses, a refused ack included', () => {
    const cmd = { id: 'c', runId: 'r1', type: 'pause' as const, params: {}, createdBy: 'x', createdAt: '2026-12-01T10:00:00.000Z', deliveredAt: '2026-12-01T10:00:00.100Z', acknowledgedAt: '2026-12-01T10:00:00.400Z', expiresAt: '2026-12-01T10:01:00.000Z', status: 'acknowledged' as const, result: { ok: false, message: 'busy' } }
    expect(agentCommandOfRun(cmd, 'a')).toMatchObject({ state: 'rejected', ackMs: 400, receivers: 1, message: 'busy' } satisfies Partial<AgentCommandT>)
    expect(agentCommandOfRun({ ...cmd, status: 'expired', acknowledgedAt: null, result: null }, 'a').state).toBe('expired')
  })
  it('announces a death only on the way into lost from a live health', () => {
    expect(agentDiedOfRun({ ...base, health: 'lost', heartbeatAgeMs: 9000 }, 'unhealthy')).toMatchObject({ agentId: 'a', secondsSinceBeat: 9 })
    expect(agentDiedOfRun({ ...base, health: 'lost' }, 'paused')).toBeNull()
    expect(agentDiedOfRun({ ...base, health: 'unhealthy' }, 'late')).toBeNull()
  })
})
