import type { Agent } from './types'

export const SORT_KEYS = ['id', 'name', 'group', 'status', 'lastBeat', 'since'] as const
export type SortKey = (typeof SORT_KEYS)[number]
export type SortDir = 'asc' | 'desc'

export interface AgentOrder {
  key: SortKey
  dir: SortDir
  /** Dead agents above everything else, whatever the column: the default, because they need action. */
  deadFirst: boolean
  /** Only this group ('' = all). */
  group: string
}

export const DEFAULT_ORDER: AgentOrder = { key: 'id', dir: 'asc', deadFirst: true, group: '' }

/** Health before the reported words: dead, then unknown, paused, then everything the agents say. */
const STATUS_RANK: Record<string, number> = { dead: 0, unknown: 1, paused: 2 }
export const statusRank = (status: string): number => STATUS_RANK[status] ?? 3

/** The column value an agent is ordered by; equal keys keep the order stable by id. */
export function sortValue(a: Agent, key: SortKey): string | number {
  switch (key) {
    case 'id':
      return a.id
    case 'name':
      return a.name.toLowerCase()
    case 'group':
      return a.group
    case 'status':
      return `${statusRank(a.status)}:${a.status}`
    case 'lastBeat':
    case 'since':
      // Time since the beat grows for everyone at the same pace, so it orders like lastBeat reversed.
      return Date.parse(a.lastBeat) || 0
  }
}

/**
 * Whether moving from `prev` to `next` can change the agent's place in the list (or whether it
 * passes the filter). Most heartbeats only move `lastBeat`, so with the default order the list
 * is not re-sorted on every beat.
 */
export function orderChanged(prev: Agent | undefined, next: Agent, order: AgentOrder): boolean {
  if (!prev) return true
  if (prev.group !== next.group) return true
  if (order.deadFirst && (prev.status === 'dead') !== (next.status === 'dead')) return true
  return sortValue(prev, order.key) !== sortValue(next, order.key)
}

export function compareAgents(order: AgentOrder): (a: Agent, b: Agent) => number {
  const sign = order.dir === 'asc' ? 1 : -1
  // "Seconds since beat" ascending means the freshest first, i.e. lastBeat descending.
  const colSign = order.key === 'since' ? -sign : sign
  return (a, b) => {
    if (order.deadFirst) {
      const d = Number(b.status === 'dead') - Number(a.status === 'dead')
      if (d !== 0) return d
    }
    const va = sortValue(a, order.key)
    const vb = sortValue(b, order.key)
    if (va !== vb) return (va < vb ? -1 : 1) * colSign
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
  }
}

/** Ids in display order, filtered by group. O(n log n); only run when `orderChanged` said so. */
export function orderedIds(agents: Iterable<Agent>, order: AgentOrder): string[] {
  const list: Agent[] = []
  for (const a of agents) if (!order.group || a.group === order.group) list.push(a)
  list.sort(compareAgents(order))
  return list.map((a) => a.id)
}
