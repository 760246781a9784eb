/**
 * Where the history store meets the bus: the writer pulls the ring by cursor (so the ingest never
 * waits on the database), GET /bus/events pages the ring and the store in one cursor space, and
 * GET /health/agents adds the agents only the store remembers.
 */
import type { BusHandlers } from '../bus/bus-handlers'
import type { BusClient } from '../bus/bus-client'
import { agentHealth } from '../bus/agent-health'
import type { EventRecord } from '../store/event-store'
import type { EventFeed } from '../store/history-writer'
import type { HistoryService } from '../store/history-service'
import { busEventsPage } from '../store/bus-events-page'

export function busEventFeed(bus: Pick<BusClient, 'events'>): EventFeed {
  return {
    head: () => bus.events({ limit: 1 }).nextCursor,
    readAfter(cursor, max) {
      const page = bus.events({ since: cursor, limit: max })
      const events: EventRecord[] = page.events.map((e) => {
        const p = e.payload as { agent_id?: unknown } | null
        return {
          busId: e.id,
          receivedAt: Date.parse(e.ts),
          channel: e.channel,
          type: e.type,
          source: e.source,
          agent: p && typeof p === 'object' && typeof p.agent_id === 'string' ? p.agent_id : null,
          payload: JSON.stringify(e.payload) ?? 'null',
        }
      })
      return { events, next: page.nextCursor, missed: page.dropped }
    },
  }
}

/** bus.events and agents.health over the ring and, when history is on, the store. */
export function historyBackedBusHandlers(
  bus: Pick<BusClient, 'events' | 'agents' | 'ring'>,
  history: HistoryService | null,
  channels: readonly string[],
): Pick<BusHandlers, 'bus.events' | 'agents.health'> {
  const partial = channels.length
    ? `the history store keeps only the channels ${channels.join(', ')} (store.channels): older events of other channels are not in it`
    : null
  return {
    'bus.events': (input) =>
      busEventsPage(input, {
        ring: (q) => bus.events(q),
        ringFirstId: () => bus.ring.stats().firstId,
        store: () => (history ? history.ready() : null),
        partial,
      }),
    'agents.health': async () => {
      const live = bus.agents()
      if (!history) return agentHealth(live, null)
      try {
        return agentHealth(live, await history.ready().agents())
      } catch (err) {
        return agentHealth(live, {
          error: `agents from before this start are not listed: ${(err as Error).message}`,
        })
      }
    },
  }
}
