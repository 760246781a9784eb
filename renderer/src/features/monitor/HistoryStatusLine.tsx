import { formatMs } from '../../lib/format'
import { useNow } from '../../lib/use-now'
import { useHistory } from './history-store'
import { historyAvailability } from './time-range'

/** A status older than this (no push, no poll answer) is shown as stale, not as current. */
const STALE_MS = 15_000

/**
 * history.status in one line: state, lag, and what was dropped when anything was. Every stored
 * range on this tab is only as complete as this says.
 */
export function HistoryStatusLine() {
  const status = useHistory((s) => s.status)
  const error = useHistory((s) => s.statusError)
  const at = useHistory((s) => s.statusAt)
  const now = useNow()
  const a = historyAvailability(status, error)
  const stale = status !== null && at !== null && now - at > STALE_MS
  const dropped = status ? status.dropped.evicted + status.dropped.overflow : 0
  return (
    <span className="row small history-status" data-testid="history-status" data-state={a.state} data-stale={stale}>
      <span className="muted">History</span>
      <span className={`badge badge-${stale ? 'warn' : a.tone}`} data-testid="history-state">
        {a.state}
        {stale ? ' (stale)' : ''}
      </span>
      {status && status.enabled && (
        <>
          {status.lagMs > 0 && <span title="Age of the oldest event not stored yet">lag {formatMs(status.lagMs)}</span>}
          {status.buffered > 0 && <span title="Events read from the bus and not stored yet">{status.buffered.toLocaleString()} buffered</span>}
          {status.events !== null && <span className="muted">{status.events.toLocaleString()} stored</span>}
        </>
      )}
      {dropped > 0 && status && (
        <span className="badge badge-bad" data-testid="history-dropped" title="Events that could not be kept: evicted from the ring before the writer read them, or dropped from the outage buffer">
          dropped {status.dropped.evicted.toLocaleString()} evicted · {status.dropped.overflow.toLocaleString()} overflow
        </span>
      )}
      {a.reason && a.state !== 'writing' && (
        <span className={a.tone === 'bad' ? 'field-error' : 'muted'} data-testid="history-reason">
          {a.reason}
        </span>
      )}
      {stale && at !== null && <span className="muted">last status {Math.round((now - at) / 1000)} s ago</span>}
    </span>
  )
}
