import type { EventsPageT, EventsQueryT } from '../api/contract/bus'
import type { EventStore } from './event-store'

export interface BusEventsSources {
  /** The live ring's page (what GET /bus/events served before the store). */
  ring: (q: EventsQueryT) => EventsPageT
  /** The oldest id the ring still holds; ids are contiguous and time-seeded across restarts. */
  ringFirstId: () => number
  /** The open store, null when history is off; throws (with the reason) while it cannot answer. */
  store: () => Pick<EventStore, 'busPage'> | null
  /** Set when the store keeps only some channels (store.channels): said on every page it serves. */
  partial?: string | null
}

/**
 * GET /bus/events in one cursor space across the ring and the store: a cursor the ring still covers
 * is served by the ring (no lag); an older one (evicted, or from before a restart) is served from the
 * store by bus id, then continued from the ring where the store's knowledge ends. `dropped` then
 * counts only what neither holds, and `fromStore` says how many came from the store. When the store
 * cannot answer, the ring's page is served as before and `history` says why the older part is missing.
 */
export async function busEventsPage(q: EventsQueryT, src: BusEventsSources): Promise<EventsPageT> {
  const first = src.ring(q)
  if (q.since === undefined || q.since >= src.ringFirstId() - 1) return first
  let store: Pick<EventStore, 'busPage'> | null
  try {
    store = src.store()
  } catch (err) {
    return { ...first, history: (err as Error).message }
  }
  if (!store) return first
  const limit = q.limit ?? 50
  try {
    const older = await store.busPage({
      since: q.since,
      limit,
      ...(q.type !== undefined && { type: q.type }),
      ...(q.source !== undefined && { source: q.source }),
    })
    const note = src.partial ? { history: src.partial } : {}
    const last = older.events[older.events.length - 1]
    if (last && older.events.length >= limit)
      return {
        events: older.events,
        nextCursor: last.id,
        dropped: 0,
        fromStore: older.events.length,
        ...note,
      }
    // Everything the store holds after `since` matched into this page; the ring carries on above it.
    const rest = src.ring({
      ...q,
      since: Math.max(q.since, older.top ?? q.since),
      limit: limit - older.events.length,
    })
    return {
      events: [...older.events, ...rest.events],
      nextCursor: rest.nextCursor,
      dropped: rest.dropped,
      fromStore: older.events.length,
      ...note,
    }
  } catch (err) {
    return { ...first, history: `history store: ${(err as Error).message}` }
  }
}
