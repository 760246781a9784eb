import type { Agent, AgentCommand, AgentTotals, BusEvent, BusUpdate, Connection, Killswitch, Rates, Regime, Trading } from './types'

/** Everything that arrived since the last frame, merged: what one store update applies. */
export interface MergedUpdate {
  /** Latest version of each changed agent. */
  agents: Map<string, Agent>
  removed: Set<string>
  /** New events, oldest first, at most the accumulator's `maxEvents` newest. */
  events: BusEvent[]
  /** Events received in these batches (trimmed ones included). */
  received: number
  /** Events the host left out of its batches (too many for one batch). */
  skipped: number
  totals: AgentTotals | null
  rates: Rates | null
  connection: Connection | null
  killswitch: Killswitch | null
  trading: Trading | null
  regime: Regime | null
  commands: Map<string, AgentCommand>
  /** Host clock (`at`) of the newest batch and when we received it, for the clock offset. */
  hostAt: number | null
  receivedAt: number
  batches: number
}

const empty = (): MergedUpdate => ({
  agents: new Map(),
  removed: new Set(),
  events: [],
  received: 0,
  skipped: 0,
  totals: null,
  rates: null,
  connection: null,
  killswitch: null,
  trading: null,
  regime: null,
  commands: new Map(),
  hostAt: null,
  receivedAt: 0,
  batches: 0,
})

/**
 * Merges `bus.update` batches between two animation frames. Memory stays bounded however long
 * frames stop (a hidden tab gets no requestAnimationFrame): agents are keyed by id, events are
 * trimmed to the newest `maxEvents`, everything else keeps its latest value.
 */
export class UpdateAccumulator {
  private cur = empty()

  constructor(private readonly maxEvents: number) {}

  get pending(): boolean {
    return this.cur.batches > 0
  }

  add(u: BusUpdate, receivedAt: number): void {
    const c = this.cur
    c.batches++
    for (const id of u.removedAgents ?? []) {
      c.agents.delete(id)
      c.removed.add(id)
    }
    for (const a of u.agents) {
      c.removed.delete(a.id)
      c.agents.set(a.id, a)
    }
    for (const e of u.events) c.events.push(e)
    c.received += u.events.length
    c.skipped += u.eventsSkipped
    // Trim in chunks so a long burst costs amortised O(1) per event, not a copy per batch. What
    // is trimmed is older than the client buffer would keep anyway.
    if (c.events.length > this.maxEvents * 2) c.events.splice(0, c.events.length - this.maxEvents)
    c.totals = u.totals
    if (u.rates) c.rates = u.rates
    if (u.connection) c.connection = u.connection
    if (u.killswitch) c.killswitch = u.killswitch
    if (u.trading) c.trading = u.trading
    if (u.regime) c.regime = u.regime
    for (const cmd of u.commands ?? []) c.commands.set(cmd.commandId, cmd)
    const at = Date.parse(u.at)
    if (Number.isFinite(at)) {
      c.hostAt = at
      c.receivedAt = receivedAt
    }
  }

  take(): MergedUpdate {
    const out = this.cur
    this.cur = empty()
    if (out.events.length > this.maxEvents) out.events = out.events.slice(out.events.length - this.maxEvents)
    return out
  }
}
