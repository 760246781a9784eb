import { failureReason, STATE_HELP, STATE_TONE, unknownText } from './supervision-model'
import { useSupervision } from './use-supervision'
import './supervise.css'

/** Supervision state and restart count for a service card; nothing when the service is not supervised. */
export function SupervisionBadge({ service }: { service: string }) {
  const { byService } = useSupervision()
  const s = byService(service)
  if (!s) return null
  const failed = s.state === 'failed'
  const unknown = unknownText(s)
  const title = failed ? `FAILED: ${failureReason(s)}${unknown ? ` · ${unknown}` : ''}` : unknown || STATE_HELP[s.state]
  return (
    <span
      className={`badge badge-${STATE_TONE[s.state]} sup-badge${failed ? ' sup-badge-failed' : ''}`}
      title={title}
      aria-label={`Supervision ${s.state}, ${s.restarts} restart${s.restarts === 1 ? '' : 's'}${failed ? `: ${failureReason(s)}` : ''}`}
      data-testid="supervision-badge"
      data-service={service}
      data-state={s.state}
    >
      {failed ? 'FAILED' : s.state}
      <span className="sup-badge-count" aria-hidden="true">
        {' '}
        ↻ {s.restarts}
      </span>
    </span>
  )
}
