import type { AgentHealthT, AgentT, ConnectionInfoT } from '../api/contract/bus'

/** An agent as the history store remembers it (store/event-store.ts StoredAgent, by shape). */
export interface RememberedAgent {
  id: string
  status: string
  lastBeat: string | null
  detail: unknown
}

const secondsSince = (iso: string | null, now: number): number | null => {
  const t = iso === null ? NaN : Date.parse(iso)
  return Number.isFinite(t) ? Math.max(0, Math.round((now - t) / 100) / 10) : null
}

/**
 * The seed's GET /health/agents view of the registry. Live agents come as bus.agents has them.
 * Agents only the store remembers (heard before a restart, silent since) are listed as 'unknown'
 * and not alive: Stackdeck has no evidence either way, and the safe-looking answer would be a lie.
 * While the bus is down no agent can be known alive, so the whole answer says 'degraded'.
 */
export function agentHealth(
  live: { agents: readonly AgentT[]; connection: ConnectionInfoT['state'] | ConnectionInfoT },
  remembered: readonly RememberedAgent[] | { error: string } | null,
  now = Date.now(),
): AgentHealthT {
  const state = typeof live.connection === 'string' ? live.connection : live.connection.state
  const agents: AgentHealthT['agents'] = live.agents.map((a) => ({
    id: a.id,
    name: a.name,
    agent_group: a.groupRaw || a.group,
    status: a.status,
    last_beat: a.lastBeat,
    // A Redis agent is heard only while the bus is up; an HTTP agent's heartbeats do not pass through it.
    is_alive: (a.transport === 'http' || state === 'ready') && a.alive,
    seconds_since_beat: a.secondsSinceBeat,
    known_from: 'live',
  }))
  const seen = new Set(live.agents.map((a) => a.id))
  const known: readonly RememberedAgent[] = remembered !== null && !('error' in remembered) ? remembered : []
  for (const r of known) {
    if (seen.has(r.id) || r.status === 'forgotten') continue
    const d = (r.detail ?? {}) as { name?: unknown; group?: unknown }
    agents.push({
      id: r.id,
      name: typeof d.name === 'string' ? d.name : r.id,
      agent_group: typeof d.group === 'string' ? d.group : 'other',
      status: 'unknown',
      last_beat: r.lastBeat,
      is_alive: false,
      seconds_since_beat: secondsSince(r.lastBeat, now),
      known_from: 'history',
    })
  }
  const degraded = state !== 'ready'
  return {
    status: degraded ? 'degraded' : 'ok',
    reason: degraded ? `the Redis bus is ${state}: no agent can be known to be alive` : null,
    timestamp: new Date(now).toISOString(),
    agents,
    total_agents: agents.length,
    active_agents: agents.filter((a) => a.is_alive).length,
    history:
      remembered === null
        ? 'history is off: only agents heard since Stackdeck started are listed'
        : 'error' in remembered
          ? remembered.error
          : null,
  }
}
