import { create } from 'zustand'
import { DEFAULT_ORDER, orderChanged, orderedIds, type AgentOrder } from './agent-order'
import { isFiltered, matchesFilter, NO_FILTER, type EventFilter } from './event-filter'
import { RingBuffer } from './ring-buffer'
import type { MergedUpdate } from './update-accumulator'
import type {
  Agent,
  AgentCommand,
  AgentTotals,
  BusEvent,
  Connection,
  Killswitch,
  KillswitchResult,
  Rates,
  Regime,
  Trading,
} from './types'

export const EVENT_CAPACITY = 5_000
const COMMAND_CAPACITY = 500
const FACET_CAPACITY = 300

export interface Snapshot {
  agents: Agent[]
  totals: AgentTotals
  timeoutMs: number
  events: BusEvent[]
  connection: Connection | null
  killswitch: Killswitch | null
  trading: Trading | null
  regime: Regime | null
  rates: Rates | null
  commands: AgentCommand[]
}

/**
 * The Monitor tab's state. Big collections (agents, events, commands) are mutated IN PLACE and a
 * revision number is bumped, so applying a frame's worth of updates costs O(batch), not a copy of
 * thousands of agents. Rows select their own agent by id: only rows whose agent object changed
 * re-render. The display order (`ids`) is recomputed only when a change can move a row.
 */
export interface MonitorState {
  agents: Map<string, Agent>
  ids: string[]
  agentsRev: number
  order: AgentOrder
  totals: AgentTotals
  timeoutMs: number | null
  /** Every event we kept (newest `EVENT_CAPACITY`). */
  events: RingBuffer<BusEvent>
  /** The filtered events when a filter is set, else null (the list shows `events`). */
  view: RingBuffer<BusEvent> | null
  filter: EventFilter
  eventsRev: number
  lastEventId: number
  received: number
  skipped: number
  types: Set<string>
  sources: Set<string>
  facetsRev: number
  rates: Rates | null
  connection: Connection | null
  killswitch: Killswitch | null
  lastResult: KillswitchResult | null
  trading: Trading | null
  regime: Regime | null
  commands: Map<string, AgentCommand>
  lastCommand: Map<string, AgentCommand>
  commandsRev: number
  /** local clock - host clock, in ms (transport delay included; the smallest seen wins). */
  clockOffset: number | null
  loaded: boolean
  error: string | null

  loadSnapshot(s: Snapshot): void
  apply(m: MergedUpdate): void
  setOrder(p: Partial<AgentOrder>): void
  setFilter(f: EventFilter): void
  mergeFiltered(events: BusEvent[], forFilter: EventFilter): void
  setKillswitch(k: Killswitch, result?: KillswitchResult): void
  upsertCommand(c: AgentCommand): void
  setError(e: string | null): void
  reset(): void
}

const ZERO_TOTALS: AgentTotals = { total: 0, alive: 0, dead: 0, paused: 0, unknown: 0 }

function addFacet(set: Set<string>, v: string | null): boolean {
  if (!v || set.has(v) || set.size >= FACET_CAPACITY) return false
  set.add(v)
  return true
}

function putCommand(commands: Map<string, AgentCommand>, last: Map<string, AgentCommand>, c: AgentCommand): void {
  commands.delete(c.commandId) // re-insert: Map order is then "most recently changed last"
  commands.set(c.commandId, c)
  if (commands.size > COMMAND_CAPACITY) {
    const oldest = commands.keys().next().value
    if (oldest !== undefined) commands.delete(oldest)
  }
  const prev = last.get(c.agentId)
  if (!prev || prev.commandId === c.commandId || prev.issuedAt <= c.issuedAt) last.set(c.agentId, c)
}

function filteredRing(events: RingBuffer<BusEvent>, filter: EventFilter): RingBuffer<BusEvent> | null {
  if (!isFiltered(filter)) return null
  const view = new RingBuffer<BusEvent>(EVENT_CAPACITY)
  for (let i = 0; i < events.size; i++) {
    const e = events.at(i)
    if (e && matchesFilter(e, filter)) view.push(e)
  }
  return view
}

type MonitorData = Omit<
  MonitorState,
  'loadSnapshot' | 'apply' | 'setOrder' | 'setFilter' | 'mergeFiltered' | 'setKillswitch' | 'upsertCommand' | 'setError' | 'reset'
>

const initial = (): MonitorData => ({
  agents: new Map<string, Agent>(),
  ids: [],
  agentsRev: 0,
  order: DEFAULT_ORDER,
  totals: ZERO_TOTALS,
  timeoutMs: null,
  events: new RingBuffer<BusEvent>(EVENT_CAPACITY),
  view: null,
  filter: NO_FILTER,
  eventsRev: 0,
  lastEventId: -1,
  received: 0,
  skipped: 0,
  types: new Set<string>(),
  sources: new Set<string>(),
  facetsRev: 0,
  rates: null,
  connection: null,
  killswitch: null,
  lastResult: null,
  trading: null,
  regime: null,
  commands: new Map<string, AgentCommand>(),
  lastCommand: new Map<string, AgentCommand>(),
  commandsRev: 0,
  clockOffset: null,
  loaded: false,
  error: null,
})

export const useMonitor = create<MonitorState>((set, get) => ({
  ...initial(),

  loadSnapshot(snap) {
    const s = get()
    s.agents.clear()
    for (const a of snap.agents) s.agents.set(a.id, a)
    // Batches may have landed while the snapshot was in flight: keep both, by id, in order.
    const byId = new Map<number, BusEvent>()
    for (const e of snap.events) byId.set(e.id, e)
    for (const e of s.events.toArray()) byId.set(e.id, e)
    const events = new RingBuffer<BusEvent>(EVENT_CAPACITY)
    events.pushAll([...byId.values()].sort((a, b) => a.id - b.id))
    let facets = false
    for (const e of events.toArray()) {
      if (addFacet(s.types, e.type)) facets = true
      if (addFacet(s.sources, e.source)) facets = true
    }
    const commands = new Map<string, AgentCommand>()
    const lastCommand = new Map<string, AgentCommand>()
    for (const c of [...snap.commands].reverse()) putCommand(commands, lastCommand, c) // newest first -> oldest first
    set({
      ids: orderedIds(s.agents.values(), s.order),
      agentsRev: s.agentsRev + 1,
      totals: snap.totals,
      timeoutMs: snap.timeoutMs,
      events,
      view: filteredRing(events, s.filter),
      eventsRev: s.eventsRev + 1,
      lastEventId: events.last()?.id ?? s.lastEventId,
      facetsRev: s.facetsRev + (facets ? 1 : 0),
      connection: snap.connection ?? s.connection,
      killswitch: snap.killswitch ?? s.killswitch,
      trading: snap.trading ?? s.trading,
      regime: snap.regime ?? s.regime,
      rates: snap.rates ?? s.rates,
      commands,
      lastCommand,
      commandsRev: s.commandsRev + 1,
      loaded: true,
      error: null,
    })
  },

  apply(m) {
    const s = get()
    const patch: Partial<MonitorState> = {}
    let orderDirty = false
    for (const id of m.removed) if (s.agents.delete(id)) orderDirty = true
    for (const [id, a] of m.agents) {
      if (orderChanged(s.agents.get(id), a, s.order)) orderDirty = true
      s.agents.set(id, a)
    }
    if (m.agents.size > 0 || m.removed.size > 0) patch.agentsRev = s.agentsRev + 1
    if (orderDirty) patch.ids = orderedIds(s.agents.values(), s.order)
    if (m.totals) patch.totals = m.totals

    let lastId = s.lastEventId
    let facets = false
    let added = 0
    for (const e of m.events) {
      if (e.id <= lastId) continue // already had it (the initial page overlapped a batch)
      lastId = e.id
      added++
      s.events.push(e)
      if (s.view && matchesFilter(e, s.filter)) s.view.push(e)
      if (addFacet(s.types, e.type)) facets = true
      if (addFacet(s.sources, e.source)) facets = true
    }
    if (added > 0 || m.skipped > 0) {
      patch.eventsRev = s.eventsRev + 1
      patch.lastEventId = lastId
      patch.received = s.received + m.received
      patch.skipped = s.skipped + m.skipped
    }
    if (facets) patch.facetsRev = s.facetsRev + 1

    if (m.commands.size > 0) {
      // Rows select `lastCommand.get(id)`: only those whose command object changed re-render.
      for (const c of m.commands.values()) putCommand(s.commands, s.lastCommand, c)
      patch.commandsRev = s.commandsRev + 1
    }
    if (m.rates) patch.rates = m.rates
    if (m.connection) patch.connection = m.connection
    if (m.killswitch) patch.killswitch = m.killswitch
    if (m.trading) patch.trading = m.trading
    if (m.regime) patch.regime = m.regime
    if (m.hostAt !== null) {
      const sample = m.receivedAt - m.hostAt
      // The smallest delay seen is the closest to the real offset; let it creep up slowly so a
      // clock step on either side is eventually followed.
      patch.clockOffset = s.clockOffset === null ? sample : Math.min(sample, s.clockOffset + 2)
    }
    set(patch)
  },

  setOrder(p) {
    const s = get()
    const order = { ...s.order, ...p }
    set({ order, ids: orderedIds(s.agents.values(), order) })
  },

  setFilter(filter) {
    const s = get()
    set({ filter, view: filteredRing(s.events, filter), eventsRev: s.eventsRev + 1 })
  },

  mergeFiltered(events, forFilter) {
    const s = get()
    if (!s.view || s.filter.type !== forFilter.type || s.filter.source !== forFilter.source) return
    const byId = new Map<number, BusEvent>()
    for (const e of events) if (matchesFilter(e, forFilter)) byId.set(e.id, e)
    for (const e of s.view.toArray()) byId.set(e.id, e)
    const view = new RingBuffer<BusEvent>(EVENT_CAPACITY)
    view.pushAll([...byId.values()].sort((a, b) => a.id - b.id))
    set({ view, eventsRev: s.eventsRev + 1 })
  },

  setKillswitch(k, result) {
    const s = get()
    // An older state must not overwrite a newer one that arrived through a batch meanwhile.
    if (s.killswitch && s.killswitch.version > k.version) {
      if (result) set({ lastResult: result })
      return
    }
    set({ killswitch: k, ...(result ? { lastResult: result } : {}) })
  },

  upsertCommand(c) {
    const s = get()
    const cur = s.commands.get(c.commandId)
    // Keep a final state that a batch already delivered over a stale call result.
    if (cur && cur.state !== 'delivered' && c.state === 'delivered') return
    putCommand(s.commands, s.lastCommand, c)
    set({ commandsRev: s.commandsRev + 1 })
  },

  setError(error) {
    set({ error })
  },

  reset() {
    set(initial())
  },
}))

/** "Now" on the host's clock, from a local timestamp: ages shown in the UI use the host's view. */
export const hostNow = (localNow: number, clockOffset: number | null): number => localNow - (clockOffset ?? 0)
