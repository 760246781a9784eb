import { describe, expect, it } from 'vitest'
import type { AgentDiedT } from '../api/contract/bus'
import { AgentRegistry } from './agent-registry'
import type { Heartbeat } from './payload-schemas'

const T0 = 1_700_000_000_000
const hb = (id: string, extra: Partial<Heartbeat> = {}): Heartbeat => ({
  agent_id: id,
  name: `Agent ${id}`,
  group: 'execution',
  status: 'active',
  timestamp: new Date(T0).toISOString(),
  ...extra,
})

function setup(timeoutMs = 5000) {
  const reg = new AgentRegistry({ timeoutMs })
  const died: AgentDiedT[] = []
  reg.onDied((d) => died.push(d))
  return { reg, died }
}

describe('AgentRegistry liveness', () => {
  it('is alive while beating within the timeout and dead after it, by the injected clock', () => {
    const { reg, died } = setup(5000)
    reg.beat(hb('a1'), T0)
    reg.tick(T0 + 4999)
    expect(reg.get('a1', T0 + 4999)).toMatchObject({ alive: true, status: 'active', paused: false })
    reg.tick(T0 + 5000)
    const a = reg.get('a1', T0 + 5000)!
    expect(a).toMatchObject({ alive: false, status: 'dead', secondsSinceBeat: 5 })
    expect(died.map((d) => d.agentId)).toEqual(['a1'])
    // One notification per death, however many ticks follow.
    reg.tick(T0 + 9000)
    expect(died).toHaveLength(1)
    expect(reg.totals(T0 + 9000)).toEqual({ total: 1, alive: 0, dead: 1, paused: 0, unknown: 0 })
  })

  it('comes back alive on a new beat and can die (and notify) again', () => {
    const { reg, died } = setup(1000)
    reg.beat(hb('a1'), T0)
    reg.tick(T0 + 2000)
    reg.beat(hb('a1'), T0 + 2500)
    expect(reg.get('a1', T0 + 2500)!.alive).toBe(true)
    reg.tick(T0 + 4000)
    expect(died).toHaveLength(2)
  })

  it('judges liveness by receive time, not by the agent clock', () => {
    const { reg } = setup(1000)
    reg.beat(hb('skewed', { timestamp: '2001-01-01T00:00:00Z' }), T0)
    expect(reg.get('skewed', T0 + 10)).toMatchObject({ alive: true, reportedAt: '2001-01-01T00:00:00Z' })
  })

  it('normalises groups and keeps the raw one', () => {
    const { reg } = setup()
    reg.beat(hb('x', { group: 'development' }), T0)
    reg.beat(hb('y', { group: 'Signals' }), T0)
    expect(reg.get('x', T0)).toMatchObject({ group: 'other', groupRaw: 'development' })
    expect(reg.get('y', T0)!.group).toBe('signals')
  })
})

describe('AgentRegistry anomalies', () => {
  it('flags a step or checkpoint going backwards instead of silently accepting it', () => {
    const { reg } = setup()
    reg.beat(hb('a1', { step: 10, checkpoint_version: 3 }), T0)
    reg.beat(hb('a1', { step: 11, checkpoint_version: 3 }), T0 + 1)
    expect(reg.get('a1', T0 + 1)!.anomalyCount).toBe(0)
    reg.beat(hb('a1', { step: 4, checkpoint_version: 2 }), T0 + 2)
    const a = reg.get('a1', T0 + 2)!
    expect(a.anomalyCount).toBe(2)
    expect(a.anomalies.map((x) => [x.kind, x.previous, x.received])).toEqual([
      ['step_regression', 11, 4],
      ['checkpoint_regression', 3, 2],
    ])
    // The beat still proves it is alive, and the counters show what it reports now.
    expect(a).toMatchObject({ alive: true, step: 4, checkpointVersion: 2 })
  })

  it('keeps a bounded list but an exact count', () => {
    const reg = new AgentRegistry({ timeoutMs: 1000, maxAnomalies: 3 })
    for (let i = 0; i < 10; i++) {
      reg.beat(hb('a1', { step: 100 }), T0 + i * 2)
      reg.beat(hb('a1', { step: i }), T0 + i * 2 + 1)
    }
    const a = reg.get('a1', T0 + 30)!
    expect(a.anomalyCount).toBe(10)
    expect(a.anomalies).toHaveLength(3)
    expect(a.anomalies.at(-1)!.received).toBe(9)
  })

  it('treats an equal step as normal', () => {
    const { reg } = setup()
    reg.beat(hb('a1', { step: 5 }), T0)
    reg.beat(hb('a1', { step: 5 }), T0 + 1)
    expect(reg.get('a1', T0 + 1)!.anomalyCount).toBe(0)
  })
})

describe('AgentRegistry paused is not dead', () => {
  it('shows an agent whose container is paused (by label) as paused, with no death notice', () => {
    const { reg, died } = setup(1000)
    reg.beat(hb('exec-1'), T0)
    reg.setPausedContainers([{ containerId: 'f'.repeat(64), name: 'exec', agentLabel: 'exec-1' }], T0 + 10)
    reg.tick(T0 + 60_000)
    expect(reg.get('exec-1', T0 + 60_000)).toMatchObject({ status: 'paused', paused: true, alive: false })
    expect(died).toEqual([])
    expect(reg.totals(T0 + 60_000)).toEqual({ total: 1, alive: 0, dead: 0, paused: 1, unknown: 0 })
  })

  it('matches by container id (short or long) and by hostname', () => {
    const { reg } = setup(1000)
    const long = 'abcdef0123456789'.repeat(4)
    reg.beat(hb('by-id', { container_id: long.slice(0, 12) }), T0)
    reg.beat(hb('by-host', { hostname: 'exec-host' }), T0)
    reg.beat(hb('by-default-host', { hostname: long.slice(0, 12) }), T0)
    reg.beat(hb('by-name', { hostname: 'stack-exec-1' }), T0)
    reg.beat(hb('running', { hostname: 'other' }), T0)
    reg.setPausedContainers([{ containerId: long, name: '/stack-exec-1', hostname: 'exec-host' }], T0)
    const paused = reg
      .list(T0)
      .filter((a) => a.paused)
      .map((a) => a.id)
      .sort()
    expect(paused).toEqual(['by-default-host', 'by-host', 'by-id', 'by-name'])
  })

  it('supports an injected resolver instead of a list', () => {
    const { reg } = setup(1000)
    reg.beat(hb('r1', { hostname: 'h1' }), T0)
    reg.setPausedResolver((a) => a.hostname === 'h1', T0)
    expect(reg.get('r1', T0)!.status).toBe('paused')
  })

  it('re-asks the resolver when told the containers changed: a frozen agent never beats to say so', () => {
    const { reg, died } = setup(1000)
    let frozen = false
    reg.setPausedResolver(() => frozen, T0)
    reg.beat(hb('x1'), T0)
    reg.takeDirty(T0)
    frozen = true
    reg.refreshPaused(T0 + 100)
    expect(reg.takeDirty(T0 + 100).agents.map((a) => a.status)).toEqual(['paused'])
    reg.tick(T0 + 5000)
    expect(reg.get('x1', T0 + 5000)!.status).toBe('paused')
    expect(died).toEqual([])
  })

  it('gives an unpaused agent one timeout to beat before calling it dead', () => {
    const { reg, died } = setup(1000)
    reg.beat(hb('e1'), T0)
    reg.setPausedContainers([{ containerId: '0'.repeat(64), name: 'e', agentLabel: 'e1' }], T0)
    reg.tick(T0 + 30_000)
    reg.setPausedContainers([], T0 + 30_000)
    reg.tick(T0 + 30_500)
    expect(reg.get('e1', T0 + 30_500)!.status).toBe('unknown')
    expect(died).toEqual([])
    reg.beat(hb('e1'), T0 + 30_600)
    expect(reg.get('e1', T0 + 30_600)!.status).toBe('active')
    reg.tick(T0 + 40_000)
    expect(died.map((d) => d.agentId)).toEqual(['e1'])
  })
})

describe('AgentRegistry and the bus connection', () => {
  it('reports silent agents as unknown while the bus is down and notifies only after a healthy timeout', () => {
    const { reg, died } = setup(1000)
    reg.beat(hb('a1'), T0)
    reg.setBusReady(false, T0 + 100)
    reg.tick(T0 + 5000)
    expect(reg.get('a1', T0 + 5000)!.status).toBe('unknown')
    expect(died).toEqual([])
    reg.setBusReady(true, T0 + 6000)
    reg.tick(T0 + 6500)
    expect(died).toEqual([])
    reg.tick(T0 + 7000)
    expect(died.map((d) => d.agentId)).toEqual(['a1'])
  })

  it('bounds the number of agents and forgets long-silent ones', () => {
    const reg = new AgentRegistry({ timeoutMs: 1000, maxAgents: 2, forgetAfterMs: 10_000 })
    expect(reg.beat(hb('a'), T0)).toBe(true)
    expect(reg.beat(hb('b'), T0)).toBe(true)
    expect(reg.beat(hb('c'), T0)).toBe(false)
    expect(reg.rejected).toBe(1)
    reg.tick(T0 + 20_000)
    expect(reg.size).toBe(0)
    expect(reg.takeDirty(T0 + 20_000).removed.sort()).toEqual(['a', 'b'])
  })

  it('hands changed agents to the batcher once', () => {
    const { reg } = setup(1000)
    reg.beat(hb('a'), T0)
    reg.beat(hb('b'), T0)
    expect(
      reg
        .takeDirty(T0)
        .agents.map((a) => a.id)
        .sort(),
    ).toEqual(['a', 'b'])
    expect(reg.takeDirty(T0).agents).toEqual([])
    reg.tick(T0 + 2000)
    expect(reg.takeDirty(T0 + 2000).agents.map((a) => a.status)).toEqual(['dead', 'dead'])
  })

  it('still hands a death to the batcher when a reader (totals, list) noticed it before tick()', () => {
    // The batcher asks for totals every ~33 ms and the tick runs every 250 ms: the totals call
    // re-judging the agent first must not swallow the change.
    const { reg, died } = setup(1000)
    reg.beat(hb('a'), T0)
    reg.takeDirty(T0)
    expect(reg.totals(T0 + 2000).dead).toBe(1)
    reg.tick(T0 + 2000)
    expect(reg.takeDirty(T0 + 2000).agents.map((a) => [a.id, a.status])).toEqual([['a', 'dead']])
    expect(died.map((d) => d.agentId)).toEqual(['a'])
  })
})

describe('AgentRegistry: an unknown container while the stack is paused', () => {
  it('reads "silent (stack paused)", fires no death, and is judged again once the stack resumes', () => {
    const reg = new AgentRegistry({ timeoutMs: 1000, busReady: true })
    const died: AgentDiedT[] = []
    reg.onDied((d) => died.push(d))
    let stackPaused = true
    // No label, no container id, no hostname: the resolver cannot find its container.
    reg.setPausedResolver(() => (stackPaused ? 'stack-paused' : false), T0)
    reg.beat(hb('orchestrator'), T0)
    reg.tick(T0 + 5000)
    expect(reg.get('orchestrator', T0 + 5000)).toMatchObject({ status: 'silent (stack paused)', alive: false })
    expect(died).toEqual([])
    expect(reg.totals(T0 + 5000)).toMatchObject({ paused: 1, dead: 0 })
    // The stack resumes: one timeout of grace to beat again, then an honest "dead".
    stackPaused = false
    reg.refreshPaused(T0 + 5000)
    reg.tick(T0 + 5500)
    expect(reg.get('orchestrator', T0 + 5500)?.status).toBe('unknown')
    reg.tick(T0 + 6100)
    expect(reg.get('orchestrator', T0 + 6100)?.status).toBe('dead')
    expect(died.map((d) => d.agentId)).toEqual(['orchestrator'])
  })
})
