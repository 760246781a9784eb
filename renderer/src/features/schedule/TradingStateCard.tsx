import { useNow } from '../../lib/use-now'
import { formatTime } from '../../lib/format'
import { clockIn, countdown, wallTime } from './time-format'
import { tradingStatus } from './trading-status'
import type { ScheduleViewData } from './use-schedule'

/** "Trading enabled — next: stop at 16:00 America/New_York (in 2h 13m)", with where that comes from. */
export function TradingStateCard({ view }: { view: ScheduleViewData }) {
  const now = useNow()
  const st = tradingStatus(view)
  const next = view.next
  const override = view.state.override
  // An override until cleared, or the killswitch, outlives the next transition: the countdown is the
  // schedule's, not what will happen to trading ("disabled — next: stop in 1h 22m" would be a lie).
  const held = override?.until === 'cleared' || st.source === 'killswitch' || st.source === 'other'
  const headline = st.enabled === null ? 'Trading not scheduled' : st.enabled ? 'Trading enabled' : 'Trading disabled'
  const tone = st.enabled === null ? 'unknown' : st.enabled ? 'on' : 'off'
  return (
    <section className={`card trading-state trading-state-${tone}`} aria-label="Trading state" data-testid="trading-state" data-enabled={st.enabled === null ? 'unknown' : String(st.enabled)}>
      <div className="trading-state-line" aria-live="polite">
        <span className="trading-dot" aria-hidden />
        <strong data-testid="trading-headline">{headline}</strong>
        {next ? (
          <span data-testid="trading-next">
            {held ? (override?.until === 'cleared' ? '— held until cleared; schedule’s next: ' : '— held off; schedule’s next: ') : '— next: '}
            {next.kind} at <span className="mono">{clockIn(next.at, next.zone)}</span> {next.zone}{' '}
            <span className="muted">(in {countdown(Date.parse(next.at) - now)})</span>
          </span>
        ) : (
          <span className="muted">— no upcoming transition</span>
        )}
      </div>
      <div className="row small trading-state-meta">
        <span>
          source: <span className={`source-tag source-${st.source}`} data-testid="trading-source">{st.source}</span>
          {st.source !== 'schedule' && st.source !== 'override' && <span className="muted"> — {st.sourceLabel}</span>}
        </span>
        {/* The override banner below says it better than the reason line would. */}
        {!override && <span className="muted">{view.state.reason}</span>}
        {view.flag ? (
          <span className="muted" data-testid="trading-flag" title={view.flag.why}>
            trading_enabled = {String(view.flag.value)} · v{view.flag.version} by {view.flag.who} at {formatTime(view.flag.at)}
          </span>
        ) : view.flagError ? (
          <span className="field-error">trading flag unreadable: {view.flagError}</span>
        ) : (
          <span className="muted">flag not written yet</span>
        )}
      </div>
      {override && (
        <div className="override-banner" role="status" data-testid="override-banner">
          <strong>Manual override:</strong> trading forced <strong>{override.value ? 'ON' : 'OFF'}</strong> by {override.who} since{' '}
          {formatTime(override.at)},{' '}
          {override.until === 'cleared'
            ? 'until cleared'
            : override.expiresAt
              ? `until the next transition at ${wallTime(override.expiresAt)} (in ${countdown(Date.parse(override.expiresAt) - now)})`
              : 'until the next transition'}
          {override.why && <span> — “{override.why}”</span>}
        </div>
      )}
      {view.state.vetoed && <div className="field-error">Trading is held off: {view.state.vetoed}.</div>}
      {view.rulesError && (
        <div className="field-error" role="alert" data-testid="rules-error">
          {view.rulesError.message}
        </div>
      )}
      {!view.configured && !view.rulesError && (
        <p className="muted small">No [schedule] in config.toml: Stackdeck leaves trading_enabled alone. Set one below.</p>
      )}
      {view.lastError && <div className="field-error">Scheduler error: {view.lastError}</div>}
    </section>
  )
}
