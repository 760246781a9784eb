import { describe, expect, it } from 'vitest'
import type { AgentT } from '../api/contract/bus'
import { agentHealth } from './agent-health'

const NOW = Date.parse('2026-12-02T08:00:00Z')
const agent = (id: string, alive: boolean): AgentT => ({
  id,
  transport: 'redis',
  heardOn: ['redis'],
  name: `Agent ${id}`,
  group: 'execution',
  groupRaw: 'exec-desk',
  status: alive ? 'active' : 'dead',
  reportedStatus: 'active',
  lastBeat: new Date(NOW - (alive ? 2000 : 90_000)).toISOString(),
  reportedAt: null,
  alive,
  secondsSinceBeat: alive ? 2 : 90,
  beats: 3,
  anomalies: [],
  anomalyCount: 0,
  paused: false,
})

describe("agentHealth (the seed's GET /health/agents)", () => {
  it('keeps the seed shape and counts the live ones', () => {
    const h = agentHealth({ agents: [agent('a', true), agent('b', false)], connection: 'ready' }, [], NOW)
    expect(h).toMatchObject({
      status: 'ok',
      reason: null,
      timestamp: '2026-12-02T08:00:00.000Z',
      total_agents: 2,
      active_agents: 1,
      history: null,
    })
    expect(h.agents[0]).toEqual({
      id: 'a',
      name: 'Agent a',
      agent_group: 'exec-desk',
      status: 'active',
      last_beat: '2026-12-02T07:59:58.000Z',
      is_alive: true,
      seconds_since_beat: 2,
      known_from: 'live',
    })
  })

  it('lists agents only the store remembers as unknown and not alive, and skips forgotten ones', () => {
    const h = agentHealth(
      { agents: [agent('a', true)], connection: 'ready' },
      [
        { id: 'a', status: 'active', lastBeat: null, detail: null },
        {
          id: 'old',
          status: 'active',
          lastBeat: '2026-12-02T03:12:00.000Z',
          detail: { name: 'Night exec', group: 'execution' },
        },
        { id: 'gone', status: 'forgotten', lastBeat: null, detail: null },
      ],
      NOW,
    )
    expect(h.agents.map((a) => a.id)).toEqual(['a', 'old'])
    expect(h.agents[1]).toMatchObject({
      name: 'Night exec',
      status: 'unknown',
      is_alive: false,
      seconds_since_beat: 17_280,
      known_from: 'history',
    })
  })

  it('never reports an agent alive while the bus is down, and says why history is missing', () => {
    const h = agentHealth(
      { agents: [agent('a', true)], connection: 'reconnecting' },
      { error: 'history is still opening' },
      NOW,
    )
    expect(h).toMatchObject({ status: 'degraded', active_agents: 0, history: 'history is still opening' })
    expect(h.reason).toMatch(/reconnecting/)
    expect(agentHealth({ agents: [], connection: 'ready' }, null, NOW).history).toMatch(/history is off/)
    // An HTTP agent's heartbeats do not pass through the bus: the bus being down says nothing of it.
    const http = agentHealth(
      { agents: [{ ...agent('h', true), transport: 'http', heardOn: ['http'] }], connection: 'reconnecting' },
      null,
      NOW,
    )
    expect(http.agents[0]).toMatchObject({ id: 'h', is_alive: true })
  })
})
