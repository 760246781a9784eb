/**
 * The sample HTTP agent (e2e/agents/http-agent.mjs) against the REAL built host, over real HTTP:
 * it creates its run and beats; a tune, a pause, a resume and a terminate queued by the trader reach
 * it by long-poll, it obeys each and acknowledges it, and the run's state and figures show it did.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OpResult } from '@core/api/contract'
import { makeTokens, sha256, tokenSettings, waitFor } from '../../../test-support/api-harness'
import { hasTestRedis, newTestRedis } from '../../../test-support/redis-fixture'
import { startStackdeckUnderTest, type BuiltStackdeck } from '../../../test-support/stackdeck-under-test'

const enabled = hasTestRedis()
const AGENT_SCRIPT = fileURLToPath(new URL('../../../e2e/agents/http-agent.mjs', import.meta.url))

describe.skipIf(!enabled)('the sample HTTP agent obeys commands pulled from the real host', () => {
  let sut: BuiltStackdeck
  let agent: ChildProcess
  let out = ''
  const tokens = makeTokens()
  const agentToken = `ag-${randomBytes(18).toString('base64url')}`
  const runId = 'trainer-1-run'

  beforeAll(async () => {
    sut = await startStackdeckUnderTest({
      tokens,
      schedule: { enabled: false },
      api: { tokens: [...tokenSettings(tokens), { name: 'trainer', sha256: sha256(agentToken), scope: 'agent', agent: 'trainer-1' }] },
    })
    agent = spawn(process.execPath, [AGENT_SCRIPT], {
      env: {
        ...process.env,
        STACKDECK_URL: sut.url,
        AGENT_TOKEN: agentToken,
        CREATE_TOKEN: tokens.operate,
        AGENT_ID: 'trainer-1',
        HEARTBEAT_MS: '200',
        CHECKPOINT_EVERY: '5',
        POLL_WAIT_S: '5',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    agent.stdout?.on('data', (d: Buffer) => (out += d.toString()))
    agent.stderr?.on('data', (d: Buffer) => (out += d.toString()))
    await waitFor('the agent to be ready', () => {
      if (agent.exitCode !== null) throw new Error(`agent exited ${agent.exitCode}: ${out}`)
      return /"event":"ready"/.test(out)
    })
  }, 120_000)

  afterAll(async () => {
    if (agent && agent.exitCode === null) agent.kill('SIGTERM')
    await sut?.stop()
  })

  const getRun = async () => {
    const r = await sut.client.get(`/api/v1/runs/${runId}`, tokens.read)
    expect(r.status, r.text).toBe(200)
    return r.json as OpResult<'runs.get'>
  }
  const send = async (type: string, params?: Record<string, unknown>) => {
    const r = await sut.client.request('POST', `/api/v1/runs/${runId}/commands`, { body: { type, ...(params ? { params } : {}) }, token: tokens.operate })
    expect(r.status, r.text).toBe(201)
    return (r.json as OpResult<'runs.commands.create'>).command.id
  }
  const acknowledged = (id: string) =>
    waitFor(`command ${id} acknowledged`, async () => {
      const c = (await getRun()).commands.find((x) => x.id === id)
      return c?.status === 'acknowledged' ? c : undefined
    })

  it('creates its run and beats with an increasing step; the run is running and healthy', async () => {
    const r = await waitFor('a few beats', async () => {
      const v = await getRun()
      return (v.run.step ?? 0) >= 3 ? v : undefined
    })
    expect(r.run).toMatchObject({ agent: 'trainer-1', state: 'running', health: 'healthy', runtimeStatus: 'training', createdBy: 'operator' })
    expect(r.transitions.map((t) => t.to)).toEqual(['queued', 'running'])
    expect(r.transitions[1]?.who).toBe('agent:trainer-1')
  })

  it('a tune reaches the agent, which applies it (its next beats report it) and acks', async () => {
    const id = await send('tune', { lr: 0.05 })
    const c = await acknowledged(id)
    expect(c.result).toEqual({ ok: true, message: 'tuned lr=0.05' })
    expect(Date.parse(c.deliveredAt as string)).toBeGreaterThanOrEqual(Date.parse(c.createdAt))
    expect(Date.parse(c.acknowledgedAt as string)).toBeGreaterThanOrEqual(Date.parse(c.deliveredAt as string))
    await waitFor('a beat with the new lr', async () => (await getRun()).run.metrics?.['lr'] === 0.05)
    // A tune the agent cannot apply is acknowledged as failed, with its reason; nothing changes.
    const bad = await acknowledged(await send('tune', { momentum: 0.9 }))
    expect(bad.result?.ok).toBe(false)
    expect(bad.result?.message).toContain('unknown parameter momentum')
    expect((await getRun()).run.state).toBe('running')
  })

  it('pause stops the steps and moves the run to paused; resume starts them again', async () => {
    await acknowledged(await send('pause', { reason: 'drawdown' }))
    const paused = await getRun()
    expect(paused.run).toMatchObject({ state: 'paused', health: 'paused' })
    const at = paused.run.step ?? 0
    await new Promise((r) => setTimeout(r, 800))
    // At most the one beat that was in flight when the pause landed.
    expect((await getRun()).run.step ?? 0).toBeLessThanOrEqual(at + 1)
    await acknowledged(await send('resume'))
    const resumed = await waitFor('steps again', async () => {
      const v = await getRun()
      return v.run.state === 'running' && (v.run.step ?? 0) >= at + 3 ? v : undefined
    })
    expect(resumed.run.health).toBe('healthy')
  })

  it('one grid: the HTTP agent and a Redis agent side by side, and bus.command reaches each by its transport', async () => {
    const redisAgent = `scanner-${randomBytes(4).toString('hex')}`
    const pub = newTestRedis()
    try {
      const beat = () => pub.publish(`heartbeat.${redisAgent}`, JSON.stringify({ agent_id: redisAgent, name: redisAgent, group: 'signals', status: 'active', timestamp: new Date().toISOString() }))
      const grid = await waitFor('both agents in bus.agents', async () => {
        await beat()
        const r = await sut.client.get('/agents', tokens.read)
        const a = (r.json as OpResult<'bus.agents'>).agents
        return a.some((x) => x.id === redisAgent) && a.some((x) => x.id === 'trainer-1') ? a : undefined
      })
      expect(grid.find((x) => x.id === redisAgent)).toMatchObject({ transport: 'redis', heardOn: ['redis'] })
      expect(grid.find((x) => x.id === 'trainer-1')).toMatchObject({ transport: 'http', heardOn: ['http'], alive: true, run: { id: runId, state: 'running', health: 'healthy' } })
      // The seed's GET /health/agents lists both too, in its own shape.
      const health = (await sut.client.get('/health/agents', tokens.read)).json as OpResult<'agents.health'>
      expect(health.agents.find((x) => x.id === 'trainer-1')).toMatchObject({ is_alive: true, known_from: 'live' })
      expect(health.agents.some((x) => x.id === redisAgent)).toBe(true)
      // The route the UI and the CLI use: the command is queued for the run, pulled and acked.
      const r = await sut.client.request('POST', '/agents/command', { body: { agentId: 'trainer-1', type: 'tune', params: { lr: 0.07 }, wait: true }, token: tokens.operate })
      expect(r.status, r.text).toBe(200)
      const c = r.json as OpResult<'bus.command'>
      expect(c).toMatchObject({ transport: 'http', runId, state: 'acked', message: 'tuned lr=0.07' })
      expect(Date.parse(c.ackedAt as string)).toBeGreaterThanOrEqual(Date.parse(c.deliveredAt as string))
      expect((await getRun()).commands.find((x) => x.id === c.commandId)?.status).toBe('acknowledged')
      const listed = await sut.client.get('/agents/commands?agentId=trainer-1', tokens.read)
      expect((listed.json as OpResult<'bus.commands'>).commands[0]).toMatchObject({ commandId: c.commandId, state: 'acked' })
      // The Redis agent has no subscriber on its command channel here: pushed on Redis, nobody listened.
      const viaRedis = await sut.client.request('POST', '/agents/command', { body: { agentId: redisAgent, type: 'pause', wait: true }, token: tokens.operate })
      expect(viaRedis.json).toMatchObject({ transport: 'redis', state: 'undelivered' })
    } finally {
      pub.disconnect()
    }
  })

  it('terminate ends the run and the agent exits 0', async () => {
    const id = await send('terminate')
    await acknowledged(id)
    const r = await getRun()
    expect(r.run).toMatchObject({ state: 'terminated', health: 'ended' })
    expect(r.transitions.map((t) => t.to)).toEqual(['queued', 'running', 'paused', 'running', 'terminated'])
    const exit = await waitFor('the agent to exit', () => (agent.exitCode === null ? undefined : { code: agent.exitCode }), 10_000)
    expect(exit.code, out).toBe(0)
    // The steps it reported never went backwards: the host refused none.
    expect(out).not.toMatch(/"event":"beat_refused"/)
  })
})
