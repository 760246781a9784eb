import { formatDuration } from '../../lib/format'
import { useNow } from '../../lib/use-now'
import { hostNow, useMonitor } from './monitor-store'

/** A regime older than this is flagged: the detector may have stopped. */
const STALE_S = 60

function Age({ receivedAt, fallback }: { receivedAt: string | null; fallback: number | null }) {
  const now = useNow()
  const offset = useMonitor((s) => s.clockOffset)
  const received = receivedAt ? Date.parse(receivedAt) : NaN
  const age = Number.isFinite(received) ? Math.max(0, (hostNow(now, offset) - received) / 1000) : fallback
  if (age === null) return <span className="muted">—</span>
  return (
    <span className={age > STALE_S ? 'since-late' : undefined} data-testid="regime-age" data-age={Math.floor(age)}>
      {formatDuration(age)} ago{age > STALE_S ? ' (stale)' : ''}
    </span>
  )
}

export function RegimePanel() {
  const r = useMonitor((s) => s.regime)
  return (
    <section className="card" aria-labelledby="regime-title" data-testid="regime-panel" data-regime={r?.regime ?? ''}>
      <h2 id="regime-title">Market regime</h2>
      {!r || r.source === 'none' || !r.regime ? (
        <p className="muted">No quant.regime.state received yet.</p>
      ) : (
        <>
          <div className="regime-name" data-testid="regime-name">
            {r.regime}
          </div>
          <dl className="kv small">
            <dt>Confidence</dt>
            <dd>{r.confidence === null ? '—' : `${Math.round(r.confidence * 100)}%`}</dd>
            <dt>Age</dt>
            <dd>
              <Age receivedAt={r.receivedAt} fallback={r.ageS} />
            </dd>
            <dt>Detector time</dt>
            <dd className="mono">{r.at ?? '—'}</dd>
            <dt>Source</dt>
            <dd>{r.source === 'live' ? 'live on the bus' : 'stored (last known before this run)'}</dd>
          </dl>
        </>
      )}
    </section>
  )
}
