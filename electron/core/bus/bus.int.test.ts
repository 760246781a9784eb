import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { hasTestRedis, newTestRedis, testKey, testRedisUrl } from '../../../test-support/redis-fixture'
import type { AgentDiedT } from '../api/contract/bus'
import { BusClient, type BusClientOptions } from './bus-client'
import type { KillswitchAuditRecord } from './killswitch'

/**
 * Against the real test Redis: agents from real heartbeats, malformed traffic, agent commands
 * answered by the sample dev-agent process, and the killswitch acknowledgement round.
 */

const ROOT = resolve(import.meta.dirname, '../../..')
const RUN = `${process.env.STACKDECK_TEST_LABEL ?? 'local'}-${process.pid}`
const id = (name: string) => `it-${RUN}-${name}`

async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | null,
  timeoutMs = 15_000,
): Promise<T> {
  const start = Date.now()
  for (;;) {
    const v = fn()
    if (v !== undefined && v !== false && v !== null) return v
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const clients: BusClient[] = []
const agents: ChildProcess[] = []
let raw: Redis

function newBus(
  opts: Partial<BusClientOptions> = {},
  deps: Partial<ConstructorParameters<typeof BusClient>[1]> = {},
) {
  const calls: string[] = []
  const audits: KillswitchAuditRecord[] = []
  const bus = new BusClient(
    {
      url: testRedisUrl(),
      killswitchKey: testKey('bus:killswitch'),
      tradingKey: testKey('bus:trading'),
      regimeKey: testKey('bus:regime'),
      channels: {
        killswitchChannel: `risk.killswitch.${RUN}`,
        killswitchAckChannel: `risk.killswitch.${RUN}.ack`,
      },
      killswitchPausesStack: false,
      tickMs: 50,
      ...opts,
    },
    {
      setTradingEnabled: async (on, who) => void calls.push(`trading:${on}:${who}`),
      pauseAgentContainer: async (agentId) => void calls.push(`pauseAgent:${agentId}`),
      audit: (r) => void audits.push(r),
      ...deps,
    },
  )
  clients.push(bus)
  return { bus, calls, audits }
}

/** Start the sample dev-agent as a real child process and wait for its "ready" line. */
async function startDevAgent(agentId: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [resolve(ROOT, 'e2e/agents/dev-agent.mjs')], {
    cwd: ROOT,
    env: {
      ...process.env,
      REDIS_URL: testRedisUrl(),
      AGENT_ID: agentId,
      AGENT_GROUP: 'execution',
      HEARTBEAT_MS: '200',
      RATE: '0',
      KILLSWITCH_CHANNEL: `risk.killswitch.${RUN}`,
      KILLSWITCH_ACK_CHANNEL: `risk.killswitch.${RUN}.ack`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  agents.push(child)
  const lines: Array<Record<string, unknown>> = []
  createInterface({ input: child.stdout }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>)
    } catch {
      /* not ours */
    }
  })
  await waitFor(`${agentId} ready`, () => lines.some((l) => l['event'] === 'ready'), 30_000)
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  return { child, lines, exited }
}

const heartbeat = (agentId: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    agent_id: agentId,
    name: agentId,
    group: 'signals',
    status: 'active',
    timestamp: new Date().toISOString(),
    ...extra,
  })

describe.skipIf(!hasTestRedis())('bus against real Redis', () => {
  beforeAll(() => {
    raw = newTestRedis()
  })
  afterEach(async () => {
    for (const c of agents.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM')
    await Promise.all(clients.splice(0).map((c) => c.stop()))
  })
  afterAll(async () => {
    await raw.del(testKey('bus:killswitch'), testKey('bus:trading'), testKey('bus:regime'))
    await raw.quit()
  })

  it('makes agents alive from heartbeats and dead after the timeout, with one death notice', async () => {
    const { bus } = newBus({ heartbeatTimeoutMs: 800 })
    const died: AgentDiedT[] = []
    bus.onAgentDied((d) => died.push(d))
    await bus.start()
    await bus.whenReady()
    const a = id('beater')
    for (let i = 1; i <= 3; i++) {
      await raw.publish(`heartbeat.${a}`, heartbeat(a, { step: i }))
      await new Promise((r) => setTimeout(r, 100))
    }
    const alive = await waitFor('alive agent', () => bus.agents().agents.find((x) => x.id === a && x.alive))
    expect(alive).toMatchObject({ status: 'active', step: 3, beats: 3, group: 'signals' })
    const dead = await waitFor(
      'dead agent',
      () => bus.agents().agents.find((x) => x.id === a && x.status === 'dead'),
      5000,
    )
    expect(dead.alive).toBe(false)
    await waitFor('death notice', () => died.some((d) => d.agentId === a))
    expect(died.filter((d) => d.agentId === a)).toHaveLength(1)
    expect(bus.agents().totals.dead).toBeGreaterThanOrEqual(1)
  })

  it('shows an agent whose container is paused as paused, not dead, and raises no alarm', async () => {
    const { bus } = newBus({ heartbeatTimeoutMs: 600 })
    const died: AgentDiedT[] = []
    bus.onAgentDied((d) => died.push(d))
    await bus.start()
    await bus.whenReady()
    const a = id('frozen')
    await raw.publish(`heartbeat.${a}`, heartbeat(a, { hostname: `host-${RUN}` }))
    await waitFor('alive', () => bus.agents().agents.find((x) => x.id === a && x.alive))
    bus.setPausedContainers([
      { containerId: 'c'.repeat(64), name: `/frozen-${RUN}`, hostname: `host-${RUN}` },
    ])
    await new Promise((r) => setTimeout(r, 1200))
    expect(bus.agents().agents.find((x) => x.id === a)).toMatchObject({
      status: 'paused',
      paused: true,
      alive: false,
    })
    expect(died.filter((d) => d.agentId === a)).toEqual([])
  })

  it('flags a step that goes backwards', async () => {
    const { bus } = newBus()
    await bus.start()
    await bus.whenReady()
    const a = id('regress')
    await raw.publish(`heartbeat.${a}`, heartbeat(a, { step: 10, checkpoint_version: 2 }))
    await raw.publish(`heartbeat.${a}`, heartbeat(a, { step: 3, checkpoint_version: 2 }))
    const agent = await waitFor('anomaly', () =>
      bus.agents().agents.find((x) => x.id === a && x.anomalyCount > 0),
    )
    expect(agent.anomalies[0]).toMatchObject({ kind: 'step_regression', previous: 10, received: 3 })
  })

  it('counts malformed payloads per channel and keeps running', async () => {
    const { bus } = newBus({ maxMessageBytes: 1024 })
    await bus.start()
    await bus.whenReady()
    const ch = `data.market.${RUN}`
    await raw.publish(ch, 'not json')
    await raw.publish(ch, '[1,2]')
    await raw.publish(ch, JSON.stringify({ blob: 'x'.repeat(5000) }))
    await raw.publish(`heartbeat.${id('bad')}`, JSON.stringify({ agent_id: id('bad') }))
    await raw.publish(ch, JSON.stringify({ bid: 1, source: id('q') }))
    const row = await waitFor('channel stats', () =>
      bus.status().channels.find((c) => c.channel === ch && c.count === 1),
    )
    expect(row).toMatchObject({ malformed: 3, type: 'data.market' })
    const hb = bus.status().channels.find((c) => c.channel === `heartbeat.${id('bad')}`)
    expect(hb).toMatchObject({ malformed: 1, count: 0 })
    expect(bus.agents().agents.some((x) => x.id === id('bad'))).toBe(false)
    const page = bus.events({ since: 0, type: ch, limit: 200 })
    expect(page.events).toHaveLength(1)
    expect(page.events[0]).toMatchObject({ source: id('q'), payload: { bid: 1 } })
  })

  it('sends commands that the sample dev-agent acknowledges', async () => {
    const { bus } = newBus({ commandAckTimeoutMs: 5000 })
    await bus.start()
    await bus.whenReady()
    const a = id('dev')
    const dev = await startDevAgent(a)
    await waitFor('dev agent alive', () => bus.agents().agents.find((x) => x.id === a && x.alive))

    const pause = await bus.commands.send({ agentId: a, type: 'pause', who: 'it', wait: true })
    expect(pause).toMatchObject({ state: 'acked', receivers: 1, message: 'paused' })
    await waitFor('agent reports paused', () =>
      bus.agents().agents.find((x) => x.id === a && x.reportedStatus === 'paused'),
    )

    expect(await bus.commands.send({ agentId: a, type: 'resume', who: 'it', wait: true })).toMatchObject({
      state: 'acked',
    })
    const tune = await bus.commands.send({
      agentId: a,
      type: 'tune',
      params: { rate: 0 },
      who: 'it',
      wait: true,
    })
    expect(tune).toMatchObject({ state: 'acked', message: 'tuned rate' })
    await expect(bus.commands.send({ agentId: a, type: 'tune', who: 'it' })).rejects.toMatchObject({
      code: 'invalid_input',
    })
    expect(
      await bus.commands.send({ agentId: id('nobody'), type: 'pause', who: 'it', wait: true }),
    ).toMatchObject({ state: 'undelivered' })

    const term = await bus.commands.send({ agentId: a, type: 'terminate', who: 'it', wait: true })
    expect(term.state).toBe('acked')
    expect(await dev.exited).toBe(0)
    expect(dev.lines.filter((l) => l['event'] === 'command').map((l) => l['type'])).toEqual([
      'pause',
      'resume',
      'tune',
      'terminate',
    ])
  })

  it('engages the killswitch: acking execution agents are left alone, silent ones are paused', async () => {
    const { bus, calls, audits } = newBus({ killswitchAckTimeoutMs: 1500 })
    await bus.start()
    await bus.whenReady()
    await raw.del(testKey('bus:killswitch'))
    await bus.reloadState()
    const acker = id('acker')
    const silent = id('silent')
    await startDevAgent(acker)
    await startDevAgent(silent, { KILLSWITCH_ACK: '0' })
    await waitFor(
      'both alive',
      () => bus.agents().agents.filter((x) => (x.id === acker || x.id === silent) && x.alive).length === 2,
    )

    const r = await bus.killswitch.engage({ reason: 'integration', who: 'it', door: 'system' })
    expect(r.state).toMatchObject({ engaged: true, stored: true, reason: 'integration' })
    expect(r.state.lastRound!.acked.map((x) => x.agentId)).toContain(acker)
    expect(r.state.lastRound!.paused).toContainEqual({ agentId: silent, ok: true })
    expect(calls).toContain(`pauseAgent:${silent}`)
    expect(calls).not.toContain(`pauseAgent:${acker}`)
    expect(calls).toContain('trading:false:it')
    expect(audits.map((x) => x.action)).toEqual(['killswitch.engage'])
    const stored = JSON.parse((await raw.get(testKey('bus:killswitch')))!) as {
      engaged: boolean
      version: number
    }
    expect(stored).toMatchObject({ engaged: true, version: r.state.version })
    await waitFor('agent reports halted', () =>
      bus.agents().agents.find((x) => x.id === acker && x.reportedStatus === 'halted'),
    )

    const rel = await bus.killswitch.release({ reason: 'done', who: 'admin', door: 'system' })
    expect(rel.state).toMatchObject({ engaged: false, version: r.state.version + 1 })
    expect(audits.map((x) => x.action)).toEqual(['killswitch.engage', 'killswitch.release'])
  })

  it('keeps the latest regime with its age, also for a restarted client', async () => {
    const first = newBus()
    await first.bus.start()
    await first.bus.whenReady()
    await raw.publish(
      'quant.regime.state',
      JSON.stringify({ regime: 'volatile', confidence: 0.8, at: new Date().toISOString() }),
    )
    await waitFor('regime', () => first.bus.regimeView().regime === 'volatile')
    expect(first.bus.regimeView()).toMatchObject({ source: 'live', confidence: 0.8 })
    await first.bus.stop()
    const second = newBus()
    await second.bus.start()
    await second.bus.whenReady()
    const v = second.bus.regimeView()
    expect(v).toMatchObject({ regime: 'volatile', source: 'stored' })
    expect(v.ageS).toBeGreaterThanOrEqual(0)
  })
})
