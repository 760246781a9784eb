import { useEffect } from 'react'
import { create } from 'zustand'
import { getClient } from '../../api/client'
import { messageOf } from '../../api/call-error'
import { createFrameBatcher } from '../../lib/frame-batcher'
import { useConnection } from '../../store/connection'
import {
  fetchOlder,
  filtersToQuery,
  hasFilters,
  mergeRecords,
  MAX_LIMIT,
  NO_FILTERS,
  PAGE_SIZE,
  type AuditFilters,
  type AuditRecord,
} from './audit-records'

/** Rows kept in memory; past this the oldest fall off and "Load older" brings them back. */
const MAX_ROWS = 5000
/** Forward pages fetched in one catch-up before yielding (a reconnect after a long outage). */
const MAX_CATCHUP_PAGES = 20

interface AuditState {
  /** Newest first. */
  records: AuditRecord[]
  /** `since` cursor to follow new records from (the newest seq the server has shown us). */
  cursor: number
  /** Older matching records exist on the server. */
  more: boolean
  loading: 'initial' | 'older' | null
  error: string | null
  filters: AuditFilters
  seenActions: string[]
  seenWho: string[]
  /** Records above this seq arrived live (they get a brief highlight). */
  liveFrom: number
  /** seq of the record open in the details drawer. */
  selected: number | null
  select(seq: number | null): void
}

export const useAuditStore = create<AuditState>((set) => ({
  records: [],
  cursor: 0,
  more: false,
  loading: null,
  error: null,
  filters: NO_FILTERS,
  liveFrom: Number.MAX_SAFE_INTEGER,
  seenActions: [],
  seenWho: [],
  selected: null,
  select: (selected) => set({ selected }),
}))

// Bumped whenever the filters change, so a late answer to an old query cannot land in the new view.
let generation = 0
let latestEventSeq = 0
let catching: Promise<void> | null = null
let catchAgain = false
const actions = new Set<string>()
const whos = new Set<string>()

function noteSeen(records: readonly AuditRecord[]): void {
  let changed = false
  for (const r of records) {
    if (!actions.has(r.action)) {
      actions.add(r.action)
      changed = true
    }
    if (!whos.has(r.who)) {
      whos.add(r.who)
      changed = true
    }
  }
  if (changed) useAuditStore.setState({ seenActions: [...actions].sort(), seenWho: [...whos].sort() })
}

function capped(records: AuditRecord[], more: boolean): { records: AuditRecord[]; more: boolean } {
  return records.length > MAX_ROWS ? { records: records.slice(0, MAX_ROWS), more: true } : { records, more }
}

/** Loads the newest page for the current filters, replacing what is shown. */
export async function reloadAudit(): Promise<void> {
  const gen = ++generation
  const { filters } = useAuditStore.getState()
  useAuditStore.setState({ loading: 'initial', error: null })
  try {
    const page = await getClient().call('audit.query', { ...filtersToQuery(filters), limit: PAGE_SIZE })
    if (gen !== generation) return
    noteSeen(page.records)
    useAuditStore.setState({ records: [...page.records].reverse(), cursor: page.nextCursor, more: page.more, loading: null, liveFrom: page.nextCursor })
  } catch (e) {
    if (gen === generation) useAuditStore.setState({ loading: null, error: messageOf(e) })
    return
  }
  // Records written while the first page was on its way are fetched now rather than lost.
  if (latestEventSeq > useAuditStore.getState().cursor) await catchUpAudit()
}

/** Fetches every matching record after the cursor (server-side filters), coalescing concurrent calls. */
export function catchUpAudit(): Promise<void> {
  if (catching) {
    catchAgain = true
    return catching
  }
  catching = (async () => {
    do {
      catchAgain = false
      const gen = generation
      for (let i = 0; i < MAX_CATCHUP_PAGES; i++) {
        const st = useAuditStore.getState()
        if (st.loading === 'initial') return
        const page = await getClient().call('audit.query', { ...filtersToQuery(st.filters), since: st.cursor, limit: MAX_LIMIT })
        if (gen !== generation) return
        noteSeen(page.records)
        const cur = useAuditStore.getState()
        useAuditStore.setState({ ...capped(mergeRecords(cur.records, page.records), cur.more), cursor: page.nextCursor, error: null })
        if (!page.more) break
      }
    } while (catchAgain)
  })()
    .catch((e: unknown) => useAuditStore.setState({ error: messageOf(e) }))
    .finally(() => {
      catching = null
    })
  return catching
}

/** Applies live records: in order and unfiltered they go straight in; otherwise the server decides. */
function onAppended(batch: AuditRecord[]): void {
  noteSeen(batch)
  for (const r of batch) latestEventSeq = Math.max(latestEventSeq, r.seq)
  const st = useAuditStore.getState()
  if (st.loading === 'initial') return
  if (catching || hasFilters(st.filters)) {
    if (latestEventSeq > st.cursor) void catchUpAudit()
    return
  }
  let { cursor } = st
  const fresh: AuditRecord[] = []
  let gap = false
  for (const r of [...batch].sort((a, b) => a.seq - b.seq)) {
    if (r.seq <= cursor) continue
    if (r.seq !== cursor + 1) {
      gap = true
      break
    }
    fresh.push(r)
    cursor = r.seq
  }
  if (fresh.length) useAuditStore.setState({ ...capped(mergeRecords(st.records, fresh), st.more), cursor })
  if (gap) void catchUpAudit()
}

export async function loadOlderAudit(): Promise<void> {
  const st = useAuditStore.getState()
  const oldest = st.records[st.records.length - 1]
  if (!oldest || st.loading) return
  const gen = generation
  useAuditStore.setState({ loading: 'older', error: null })
  try {
    const client = getClient()
    const page = await fetchOlder((q) => client.call('audit.query', q), oldest.seq, st.filters)
    if (gen !== generation) return
    noteSeen(page.records)
    const cur = useAuditStore.getState()
    useAuditStore.setState({ records: mergeRecords(cur.records, page.records), more: page.more, loading: null })
  } catch (e) {
    if (gen === generation) useAuditStore.setState({ loading: null, error: messageOf(e) })
  }
}

export function setAuditFilters(patch: Partial<AuditFilters>): void {
  const filters = { ...useAuditStore.getState().filters, ...patch }
  useAuditStore.setState({ filters, selected: null })
  void reloadAudit()
}

/**
 * Follows `audit.appended` while the tab is open; bursts cost one update per frame. A reconnect
 * catches up from the cursor, since events sent while the socket was down are gone.
 */
export function useAuditFeed(): void {
  useEffect(() => {
    const client = getClient()
    const batcher = createFrameBatcher<AuditRecord>(onAppended)
    const off = client.on('audit.appended', (r) => batcher.push(r))
    const offConn = useConnection.subscribe((s, prev) => {
      if (s.state === 'open' && prev.state !== 'open') void catchUpAudit()
    })
    const st = useAuditStore.getState()
    if (st.records.length === 0 || st.error) void reloadAudit()
    else void catchUpAudit()
    return () => {
      off()
      offConn()
      batcher.cancel()
    }
  }, [])
}
