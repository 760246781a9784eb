import { useConnection } from '../../store/connection'
import { hasFilters } from './audit-records'
import { loadOlderAudit, reloadAudit, useAuditFeed, useAuditStore } from './audit-store'
import { AuditDrawer } from './AuditDrawer'
import { AuditFilters } from './AuditFilters'
import { AuditTable, focusAuditRow } from './AuditTable'
import './audit.css'

/**
 * The Audit tab: every control act (who, which door, what, on what, why, how it ended), newest
 * first, following new records live. Filters run on the server; "Load older" pages back.
 */
export function AuditView() {
  useAuditFeed()
  const { records, more, loading, error, filters, selected, select } = useAuditStore()
  const live = useConnection((s) => s.state === 'open')
  const index = selected === null ? -1 : records.findIndex((r) => r.seq === selected)
  const record = index >= 0 ? records[index] : undefined

  const step = (dir: -1 | 1) => {
    const next = records[index + dir]
    if (next) select(next.seq)
  }

  return (
    <div
      className={`audit-view${record ? ' audit-with-drawer' : ''}`}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && record) {
          select(null)
          focusAuditRow(record.seq)
        }
      }}
    >
      <div className="audit-main">
        <AuditFilters />
        <div className="row audit-status" aria-live="polite">
          <strong data-testid="audit-count">
            {records.length} record{records.length === 1 ? '' : 's'}
          </strong>
          <span className="muted small">{hasFilters(filters) ? 'matching the filters' : 'newest first'}</span>
          <span className={`badge ${live ? 'badge-ok' : 'badge-warn'}`} data-testid="audit-live" data-live={live}>
            {live ? 'live' : 'not live: reconnecting'}
          </span>
          {loading === 'initial' && <span className="muted small">Loading…</span>}
          <span className="spacer" />
          <button className="small" onClick={() => void reloadAudit()} disabled={loading !== null} data-testid="audit-refresh">
            Refresh
          </button>
        </div>
        {error && (
          <p className="field-error" role="alert" data-testid="audit-error">
            Cannot read the audit log: {error}{' '}
            <button className="small" onClick={() => void reloadAudit()}>
              Retry
            </button>
          </p>
        )}
        {records.length === 0 && loading === null && !error ? (
          <p className="muted card" data-testid="audit-empty">
            {hasFilters(filters) ? 'No record matches these filters.' : 'Nothing recorded yet: control acts (pause, restart, config saves, overrides…) appear here as they happen.'}
          </p>
        ) : (
          <div className="card audit-table-wrap">
            <AuditTable records={records} />
          </div>
        )}
        <div className="row audit-more">
          {more && (
            <button onClick={() => void loadOlderAudit()} disabled={loading !== null} data-testid="audit-load-older">
              {loading === 'older' ? 'Loading older…' : 'Load older'}
            </button>
          )}
          {!more && records.length > 0 && <span className="muted small">Start of the log{hasFilters(filters) ? ' for these filters' : ''}.</span>}
        </div>
      </div>
      {record && <AuditDrawer record={record} onClose={() => select(null)} onStep={step} />}
    </div>
  )
}
