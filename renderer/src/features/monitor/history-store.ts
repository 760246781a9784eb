import { create } from 'zustand'
import { getClient } from '../../api/client'
import { messageOf } from '../../api/call-error'
import { useConnection } from '../../store/connection'
import { toast } from '../../store/toasts'
import { isFiltered, type EventFilter } from './event-filter'
import { historyQuery, matchesStoredType, STORED_VIEW_CAP, type HistoryStatus, type StoredEvent, type StoredRange } from './time-range'

/**
 * The Monitor's view of the history store: its status (history.status, pushed and polled) and the
 * stored range the event list shows instead of the live ring. Kept apart from the live store: the
 * live feed never waits on, or is slowed by, a stored query.
 */
interface HistoryView {
  status: HistoryStatus | null
  /** Why the status is unknown (the call failed); null while it is known or loading. */
  statusError: string | null
  /** Local time the status was last received (for "stale"). */
  statusAt: number | null

  /** The stored range shown, or null: the live ring. */
  range: StoredRange | null
  /** The filter the rows were queried with (a changed filter re-queries). */
  queried: EventFilter | null
  /** Newest first. */
  events: StoredEvent[]
  /** Cursor of the next (older) page; null at the start of the range. */
  next: number | null
  /** Rows the store returned, before the dot-boundary check of the type filter. */
  scanned: number
  loading: 'initial' | 'older' | null
  error: string | null
  /** Bumped on every new query, so a late page of an older query is dropped. */
  seq: number

  setStatus(s: HistoryStatus): void
  setStatusError(e: string): void
  showRange(r: StoredRange | null, filter: EventFilter): void
  loadOlder(): Promise<void>
}

export const useHistory = create<HistoryView>((set, get) => {
  async function fetchPage(seq: number, range: StoredRange, filter: EventFilter, before: number | undefined): Promise<void> {
    try {
      const page = await getClient().call('history.events', historyQuery(range, filter, before === undefined ? {} : { before }))
      if (get().seq !== seq) return
      const kept = isFiltered(filter) ? page.events.filter((e) => matchesStoredType(e, filter)) : page.events
      const s = get()
      const events = before === undefined ? kept : [...s.events, ...kept]
      // Stop at the cap: the list is virtualized, but memory and paging need an end. Export reads the whole range itself.
      const capped = events.length >= STORED_VIEW_CAP
      set({
        events: capped ? events.slice(0, STORED_VIEW_CAP) : events,
        next: capped ? null : page.next,
        scanned: (before === undefined ? 0 : s.scanned) + page.events.length,
        loading: null,
        error: null,
      })
    } catch (e) {
      if (get().seq !== seq) return
      const msg = messageOf(e)
      set({ loading: null, error: msg })
      toast.error('Could not read stored events (history.events)', msg)
    }
  }

  return {
    status: null,
    statusError: null,
    statusAt: null,
    range: null,
    queried: null,
    events: [],
    next: null,
    scanned: 0,
    loading: null,
    error: null,
    seq: 0,

    setStatus: (status) => set({ status, statusError: null, statusAt: Date.now() }),
    setStatusError: (statusError) => set({ statusError, status: null }),

    showRange(range, filter) {
      const seq = get().seq + 1
      if (!range) {
        set({ range: null, queried: null, events: [], next: null, scanned: 0, loading: null, error: null, seq })
        return
      }
      set({ range, queried: filter, events: [], next: null, scanned: 0, loading: 'initial', error: null, seq })
      void fetchPage(seq, range, filter, undefined)
    },

    async loadOlder() {
      const s = get()
      if (!s.range || !s.queried || s.next === null || s.loading) return
      set({ loading: 'older' })
      await fetchPage(s.seq, s.range, s.queried, s.next)
    },
  }
})

/** Follows history.status while the Monitor is open: the pushed event, a poll (lag and drops move between events), and a re-read on reconnect. */
export function startHistoryStatusFeed(): () => void {
  const client = getClient()
  let alive = true
  const read = () =>
    client
      .call('history.status', {})
      .then((s) => alive && useHistory.getState().setStatus(s))
      .catch((e: unknown) => alive && useHistory.getState().setStatusError(messageOf(e)))
  void read()
  const off = client.on('history.status', (s) => useHistory.getState().setStatus(s))
  const timer = setInterval(() => void read(), 5000)
  let prev = useConnection.getState().state
  const offConn = useConnection.subscribe((c) => {
    if (c.state === 'open' && prev !== 'open') void read()
    // While the host is unreachable the last status is not known to be true any more.
    else if (c.state !== 'open' && prev === 'open') useHistory.getState().setStatusError(`not connected to the host (${c.state})`)
    prev = c.state
  })
  return () => {
    alive = false
    off()
    offConn()
    clearInterval(timer)
  }
}
