import { useNow } from '../../lib/use-now'
import { countdown, wallTime } from './time-format'
import { tradingStatus } from './trading-status'
import { useSchedule, useScheduleFeed } from './use-schedule'
import './schedule.css'

interface Props {
  /** Called on click (the header wires it to open the Scheduler tab). */
  onClick?: () => void
}

/**
 * Trading on/off is visible on every tab, with an override marker and the next transition's
 * countdown. Live from schedule.transition, with a 30 s poll as a safety net.
 */
export function TradingChip({ onClick }: Props) {
  useScheduleFeed()
  const view = useSchedule((s) => s.view)
  const error = useSchedule((s) => s.error)
  const now = useNow()
  if (!view) {
    return error ? (
      <button type="button" className="trading-chip trading-unknown" data-testid="trading-chip" data-enabled="unknown" title={error} onClick={onClick}>
        trading: ?
      </button>
    ) : null
  }
  const st = tradingStatus(view)
  const override = view.state.override
  // An override until cleared outlives the next transition, so its countdown would mislead.
  const next = override?.until === 'cleared' ? null : view.next
  const tone = st.enabled === null ? 'unknown' : st.enabled ? 'on' : 'off'
  const label = st.enabled === null ? 'trading: not scheduled' : `trading ${st.enabled ? 'enabled' : 'disabled'}`
  const title = [
    `${label} — ${st.sourceLabel}`,
    override ? `Override by ${override.who}${override.why ? ` (${override.why})` : ''}, ${override.until === 'cleared' ? 'until cleared' : `until ${override.expiresAt ? wallTime(override.expiresAt) : 'next transition'}`}` : '',
    view.next ? `Next scheduled: ${view.next.kind} at ${view.next.local} ${view.next.zone}` : '',
    view.flag ? `Flag v${view.flag.version} by ${view.flag.who}` : view.flagError ? `Flag unreadable: ${view.flagError}` : '',
    'Open the Scheduler',
  ]
    .filter(Boolean)
    .join('\n')
  return (
    <button
      type="button"
      className={`trading-chip trading-${tone}`}
      data-testid="trading-chip"
      data-enabled={st.enabled === null ? 'unknown' : String(st.enabled)}
      data-override={override ? 'true' : 'false'}
      data-source={st.source}
      title={title}
      aria-label={`${label}${override ? ', manual override' : ''}${next ? `, next ${next.kind} in ${countdown(Date.parse(next.at) - now)}` : ''}. Open the Scheduler.`}
      onClick={onClick}
    >
      <span className="trading-dot" aria-hidden />
      <span>{label}</span>
      {override && <span className="trading-override-mark">override</span>}
      {st.source === 'killswitch' && <span className="trading-override-mark">killswitch</span>}
      {next && (
        <span className="trading-chip-next">
          · {next.kind} in {countdown(Date.parse(next.at) - now)}
        </span>
      )}
    </button>
  )
}
