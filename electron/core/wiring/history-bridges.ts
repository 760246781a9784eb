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

/**
 * The history writer's view of the ring: raw reads (EventRing.rawAfter), so storing every event
 * never parses, re-serialises or date-formats it on the way (each of those was a cost per event
 * at bus rate, and parsing kept an object per event alive in the ring).
 */
export function busEventFeed(bus: Pick<BusClient, 'ring'>): EventFeed {
  return {
    head: () => Math.max(bus.ring.lastId, 0),
    readAfter(cursor, max) {
      const r = bus.ring.rawAfter(cursor, max)
      const events: EventRecord[] = r.events.map((e) => ({
        busId: e.id,
        receivedAt: e.ts,
        channel: e.channel,
        type: e.type,
        source: e.source,
        agent: e.agent,
        payload: e.text,
      }))
      return { events, next: r.next, missed: r.missed }
    },
  }
}

/** bus.events and agents.health over the ring and, when history is on, the store. */
export function historyBackedBusHandlers(
  // `agents`: the one agent list over both transports (agents/agent-directory.ts), so the seed's
  // GET /health/agents lists HTTP agents too.
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
