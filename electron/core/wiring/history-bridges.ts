/**
 * The history store reads the bus's ring by cursor: the writer pulls, so the ingest never waits on
 * the database. Events come as the ring materialises them, re-serialised to text for storage.
 */
import type { BusClient } from '../bus/bus-client'
import type { EventRecord } from '../store/event-store'
import type { EventFeed } from '../store/history-writer'

export function busEventFeed(bus: Pick<BusClient, 'events'>): EventFeed {
  return {
    head: () => bus.events({ limit: 1 }).nextCursor,
    readAfter(cursor, max) {
      const page = bus.events({ since: cursor, limit: max })
      const events: EventRecord[] = page.events.map((e) => {
        const p = e.payload as { agent_id?: unknown } | null
        return {
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
