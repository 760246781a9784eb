import { memo, useEffect, useRef } from 'react'
import { useVirtualizer } from '@tanstack/react-virtual'
import { isFiltered, payloadPreview } from './event-filter'
import { useHistory } from './history-store'
import { useMonitor } from './monitor-store'
import { rememberRange } from './use-linked-range'
import { describeRange, historyAvailability, resolveRange, spansOtherDays, stamp, STORED_VIEW_CAP, type StoredEvent } from './time-range'

const ROW = 26

const StoredRow = memo(function StoredRow({ e, top, dated }: { e: StoredEvent; top: number; dated: boolean }) {
  return (
    <div role="row" className="event-row" style={{ transform: `translateY(${top}px)` }} data-testid="stored-event-row" data-channel={e.channel} data-cursor={e.cursor}>
      <div role="cell" className="mono small muted" title={e.receivedAt}>
        {stamp(e.receivedAt, dated ? null : new Date())}
      </div>
      <div role="cell" className="mono small ellipsis" title={`${e.channel}${e.type ? ` (type ${e.type})` : ''}`}>
        {e.channel}
      </div>
      <div role="cell" className="mono small ellipsis" title={e.source ?? ''}>
        {e.source ?? <span className="muted">—</span>}
      </div>
      <div role="cell" className="mono small ellipsis payload" title={e.host ? `stored by ${e.host}` : undefined}>
        {payloadPreview(e.payload)}
      </div>
    </div>
  )
})

/** What the empty list means; never a bare "nothing" when the store could not answer. */
function EmptyNote() {
  const loading = useHistory((s) => s.loading)
  const error = useHistory((s) => s.error)
  const status = useHistory((s) => s.status)
  const statusError = useHistory((s) => s.statusError)
  const queried = useHistory((s) => s.queried)
  const a = historyAvailability(status, statusError)
  if (loading === 'initial') return <p className="muted empty">Reading the stored range…</p>
  if (error)
    return (
      <p className="field-error empty" role="alert" data-testid="stored-error">
        The stored range could not be read: {error}. This is not "no events".
      </p>
    )
  return (
    <p className="muted empty" data-testid="stored-empty">
      {queried && isFiltered(queried) ? 'No stored event in this range matches these filters.' : 'No stored event in this range.'}
      {a.state === 'paused' && ` Note: history is paused (${a.reason}).`}
      {!a.readable && ` Note: history is ${a.state}${a.reason ? ` (${a.reason})` : ''}.`}
    </p>
  )
}

/** The event list for a stored range: newest first, "Load older" pages back, a banner says it is not live. */
export function StoredEvents() {
  const range = useHistory((s) => s.range)
  const events = useHistory((s) => s.events)
  const next = useHistory((s) => s.next)
  const loading = useHistory((s) => s.loading)
  const error = useHistory((s) => s.error)
  const scanned = useHistory((s) => s.scanned)
  const queried = useHistory((s) => s.queried)
  const status = useHistory((s) => s.status)
  const statusError = useHistory((s) => s.statusError)
  const showRange = useHistory((s) => s.showRange)
  const loadOlder = useHistory((s) => s.loadOlder)
  const filter = useMonitor((s) => s.filter)
  const scrollRef = useRef<HTMLDivElement>(null)
  const a = historyAvailability(status, statusError)
  const today = new Date()

  // The filter bar is shared with the live view: a changed filter asks the store again.
  useEffect(() => {
    if (range && queried && (queried.type !== filter.type || queried.source !== filter.source)) showRange(range, filter)
  }, [range, queried, filter, showRange])

  // eslint-disable-next-line react-hooks/incompatible-library -- no React Compiler in this build; the virtualizer re-renders its host itself
  const virt = useVirtualizer({
    count: events.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW,
    overscan: 6,
    getItemKey: (i) => events[i]?.cursor ?? -i - 1,
  })

  if (!range) return null
  const dated = spansOtherDays(range, today)
  const refresh = () => {
    const r = range.choice === 'custom' ? range : resolveRange(range.choice, new Date())
    showRange(r, filter)
    rememberRange(r)
  }
  const filteredOut = scanned - events.length
  return (
    <>
      <div className="stored-banner row small" role="status" data-testid="stored-indicator" data-from={range.from} data-to={range.to}>
        <span className="badge badge-warn">stored, not live</span>
        <strong data-testid="stored-range">{describeRange(range, today)}</strong>
        <span className="muted" data-testid="stored-count">
          {events.length.toLocaleString()} event{events.length === 1 ? '' : 's'} loaded, newest first
          {filteredOut > 0 ? ` (${filteredOut.toLocaleString()} outside the type's dot boundary skipped)` : ''}
          {next !== null ? ' · older ones not loaded yet' : loading ? '' : ' · start of the range'}
        </span>
        {a.state !== 'writing' && (
          <span className={a.tone === 'bad' ? 'field-error' : 'muted'} data-testid="stored-history-note">
            history: {a.state}
            {a.reason ? ` (${a.reason})` : ''}
          </span>
        )}
        <span className="spacer" />
        <button className="small" onClick={refresh} disabled={loading !== null || !a.readable} data-testid="stored-refresh" title={range.choice === 'custom' ? 'Read the same range again' : 'Move the range to end now and read it again'}>
          Refresh
        </button>
        <button
          className="small"
          onClick={() => {
            showRange(null, filter)
            rememberRange(null)
          }}
          data-testid="back-to-live"
        >
          Back to live
        </button>
      </div>
      <div role="table" aria-label={`Stored bus events, ${describeRange(range, today)}`} aria-rowcount={events.length + 1} className="event-table event-table-stored">
        <div role="rowgroup">
          <div role="row" className="event-row event-head">
            <div role="columnheader">Time</div>
            <div role="columnheader">Channel</div>
            <div role="columnheader">Source</div>
            <div role="columnheader">Payload</div>
          </div>
        </div>
        <div ref={scrollRef} className="event-scroll" role="rowgroup" data-testid="stored-scroll" tabIndex={0} aria-label="Stored events (scroll)">
          {events.length === 0 ? (
            <EmptyNote />
          ) : (
            <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
              {virt.getVirtualItems().map((v) => {
                const e = events[v.index]
                return e ? <StoredRow key={e.cursor} e={e} top={v.start} dated={dated} /> : null
              })}
            </div>
          )}
        </div>
      </div>
      <div className="row small stored-more">
        {next !== null && (
          <button className="small" onClick={() => void loadOlder()} disabled={loading !== null} data-testid="stored-load-older">
            {loading === 'older' ? 'Loading older…' : 'Load older'}
          </button>
        )}
        {events.length >= STORED_VIEW_CAP && (
          <span className="muted" data-testid="stored-capped">
            The list stops at {STORED_VIEW_CAP.toLocaleString()} rows; narrow the range or export the whole range.
          </span>
        )}
        {events.length > 0 && error && (
          <span className="field-error" role="alert">
            Older rows could not be read: {error}
          </span>
        )}
      </div>
    </>
  )
}
