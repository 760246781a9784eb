import { memo, useEffect, useLayoutEffect, useRef, useState } from 'react'
import { useVirtualizer } from '@tanstack/react-virtual'
import { getClient } from '../../api/client'
import { messageOf } from '../../api/call-error'
import { toast } from '../../store/toasts'
import { clockTime, isFiltered, payloadPreview, type EventFilter } from './event-filter'
import { EVENT_CAPACITY, useMonitor } from './monitor-store'
import { ExportControls } from './ExportControls'
import { HistoryStatusLine } from './HistoryStatusLine'
import { useHistory } from './history-store'
import { RangePicker } from './RangePicker'
import { StoredEvents } from './StoredEvents'
import type { BusEvent } from './types'
import { useLinkedRange } from './use-linked-range'

const ROW = 26
/** Within this many pixels of the bottom counts as "at the newest". */
const STICKY_PX = ROW * 1.5


const EventRow = memo(function EventRow({ e, top }: { e: BusEvent; top: number }) {
  return (
    <div role="row" className="event-row" style={{ transform: `translateY(${top}px)` }} data-testid="event-row" data-channel={e.channel}>
      <div role="cell" className="mono small muted">
        {clockTime(e.ts, true)}
      </div>
      <div role="cell" className="mono small ellipsis" title={`${e.channel} (type ${e.type})`}>
        {e.channel}
      </div>
      <div role="cell" className="mono small ellipsis" title={e.source ?? ''}>
        {e.source ?? <span className="muted">—</span>}
      </div>
      <div role="cell" className="mono small ellipsis payload">
        {payloadPreview(e.payload)}
      </div>
    </div>
  )
})

function Counters() {
  useMonitor((s) => s.eventsRev)
  const { events, view, received, skipped } = useMonitor.getState()
  const shown = view ?? events
  return (
    <span className="muted small" data-testid="event-counters">
      {view ? `${shown.size.toLocaleString()} match · ` : ''}
      {events.size.toLocaleString()} / {EVENT_CAPACITY.toLocaleString()} kept · {received.toLocaleString()} received
      {skipped > 0 && <span title="Events the host did not stream because of the rate (query bus.events for them)"> · {skipped.toLocaleString()} not streamed</span>}
    </span>
  )
}

function FilterBar() {
  const filter = useMonitor((s) => s.filter)
  const setFilter = useMonitor((s) => s.setFilter)
  useMonitor((s) => s.facetsRev)
  const { types, sources } = useMonitor.getState()
  const [draft, setDraft] = useState<EventFilter>(filter)

  // Apply after a short pause in typing: rebuilding the filtered view scans the whole buffer.
  useEffect(() => {
    if (draft.type === filter.type && draft.source === filter.source) return
    const t = setTimeout(() => {
      const f = { type: draft.type.trim(), source: draft.source.trim() }
      setFilter(f)
      // A stored range re-queries the store itself (StoredEvents); the ring backfill is for the live list.
      if (!isFiltered(f) || useHistory.getState().range) return
      // Older matches than the client buffer holds may still be in the host's ring.
      getClient()
        .call('bus.events', { limit: 200, ...(f.type ? { type: f.type } : {}), ...(f.source ? { source: f.source } : {}) })
        .then((p) => useMonitor.getState().mergeFiltered(p.events, f))
        .catch((e: unknown) => toast.error('Could not load matching events', messageOf(e)))
    }, 250)
    return () => clearTimeout(t)
  }, [draft, filter, setFilter])

  return (
    <>
      <label className="row small">
        <span>Type</span>
        <input
          list="monitor-event-types"
          value={draft.type}
          onChange={(e) => setDraft((d) => ({ ...d, type: e.target.value }))}
          placeholder="e.g. heartbeat, data.market"
          data-testid="event-type-filter"
        />
      </label>
      <datalist id="monitor-event-types">
        {[...types].sort().map((t) => (
          <option key={t} value={t} />
        ))}
      </datalist>
      <label className="row small">
        <span>Source</span>
        <input
          list="monitor-event-sources"
          value={draft.source}
          onChange={(e) => setDraft((d) => ({ ...d, source: e.target.value }))}
          placeholder="agent id"
          data-testid="event-source-filter"
        />
      </label>
      <datalist id="monitor-event-sources">
        {[...sources].sort().map((s) => (
          <option key={s} value={s} />
        ))}
      </datalist>
      {isFiltered(draft) && (
        <button className="small" onClick={() => setDraft({ type: '', source: '' })}>
          Clear filters
        </button>
      )}
    </>
  )
}

/**
 * The live event list. It follows the newest event unless auto-scroll is paused or the trader
 * scrolled up; while they read, evictions at the top are compensated so the rows stay put.
 */
/**
 * The events' revision, passed on at most every `ms`. At thousands of events a second every frame
 * would otherwise replace every visible row and force a layout; a list nobody can read that fast
 * loses nothing at 10 Hz, and the agent grid keeps the frames it needs.
 */
function useThrottledEventsRev(ms: number): number {
  const [rev, setRev] = useState(() => useMonitor.getState().eventsRev)
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null
    let last = 0
    const flush = () => {
      timer = null
      last = performance.now()
      setRev(useMonitor.getState().eventsRev)
    }
    const off = useMonitor.subscribe((s, p) => {
      if (s.eventsRev === p.eventsRev || timer !== null) return
      const wait = last + ms - performance.now()
      if (wait <= 0) flush()
      else timer = setTimeout(flush, wait)
    })
    return () => {
      off()
      if (timer !== null) clearTimeout(timer)
    }
  }, [ms])
  return rev
}

/**
 * The Events card: live (the in-memory ring) or a stored range from the history store, with the
 * same filters, the history status and export for either.
 */
export function EventMonitor() {
  useLinkedRange()
  const stored = useHistory((s) => s.range !== null)
  const [paused, setPaused] = useState(false)
  return (
    <section className="card" aria-labelledby="events-title" data-testid="event-monitor" data-view={stored ? 'stored' : 'live'}>
      <div className="row">
        <h2 id="events-title">Events</h2>
        {stored ? <span className="badge badge-warn">stored</span> : <Counters />}
        <span className="spacer" />
        <FilterBar />
        <RangePicker />
        {!stored && (
          <button
            className="small"
            aria-pressed={paused}
            onClick={() => setPaused((p) => !p)}
            data-testid="pause-autoscroll"
            title="Stop following the newest event"
          >
            {paused ? '▶ Resume auto-scroll' : '⏸ Pause auto-scroll'}
          </button>
        )}
      </div>
      <div className="row small events-subbar">
        <HistoryStatusLine />
        <span className="spacer" />
        <ExportControls />
      </div>
      {stored ? <StoredEvents /> : <LiveEvents paused={paused} onResume={() => setPaused(false)} />}
    </section>
  )
}

/** The live list (unchanged behaviour): the ring, followed unless paused or scrolled up. */
function LiveEvents({ paused, onResume }: { paused: boolean; onResume: () => void }) {
  useThrottledEventsRev(100)
  const buf = useMonitor((s) => s.view ?? s.events)
  const [follow, setFollow] = useState(true)
  const scrollRef = useRef<HTMLDivElement>(null)
  const prev = useRef({ buf, start: buf.start, programmatic: false })
  const count = buf.size
  // eslint-disable-next-line react-hooks/incompatible-library -- no React Compiler in this build; the virtualizer re-renders its host itself
  const virt = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW,
    overscan: 6,
    getItemKey: (i) => buf.at(i)?.id ?? -i - 1,
  })

  useLayoutEffect(() => {
    const el = scrollRef.current
    const p = prev.current
    const slid = p.buf === buf ? buf.start - p.start : 0
    prev.current = { buf, start: buf.start, programmatic: p.programmatic }
    if (!el) return
    if (follow && !paused) {
      if (el.scrollHeight - el.clientHeight - el.scrollTop > 1) {
        prev.current.programmatic = true
        el.scrollTop = el.scrollHeight
      }
    } else if (slid > 0 && el.scrollTop > 0) {
      prev.current.programmatic = true
      el.scrollTop = Math.max(0, el.scrollTop - slid * ROW)
    }
  })

  const onScroll = () => {
    const el = scrollRef.current
    if (!el) return
    if (prev.current.programmatic) {
      prev.current.programmatic = false
      return
    }
    setFollow(el.scrollHeight - el.clientHeight - el.scrollTop <= STICKY_PX)
  }

  const jump = () => {
    setFollow(true)
    onResume()
    const el = scrollRef.current
    if (el) el.scrollTop = el.scrollHeight
  }

  const following = follow && !paused
  return (
    <>
      <div role="table" aria-label="Bus events" aria-rowcount={count + 1} className="event-table">
        <div role="rowgroup">
          <div role="row" className="event-row event-head">
            <div role="columnheader">Time</div>
            <div role="columnheader">Channel</div>
            <div role="columnheader">Source</div>
            <div role="columnheader">Payload</div>
          </div>
        </div>
        <div ref={scrollRef} className="event-scroll" role="rowgroup" onScroll={onScroll} data-testid="event-scroll" data-following={following}>
          {count === 0 ? (
            <p className="muted empty">{isFiltered(useMonitor.getState().filter) ? 'No event matches these filters.' : 'No event yet.'}</p>
          ) : (
            <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
              {virt.getVirtualItems().map((v) => {
                const e = buf.at(v.index)
                return e ? <EventRow key={e.id} e={e} top={v.start} /> : null
              })}
            </div>
          )}
        </div>
        {!following && count > 0 && (
          <button className="small jump-newest" onClick={jump} data-testid="jump-newest">
            {paused ? 'Auto-scroll paused' : 'Scrolled up'} · jump to newest ↓
          </button>
        )}
      </div>
    </>
  )
}
