import { useAlerts } from '../store/alerts'

/** Persistent alerts sit above every tab until dismissed: nothing critical hides in a toast. */
export function AlertBar() {
  const { alerts, dismiss } = useAlerts()
  if (alerts.length === 0) return null
  return (
    <div className="alert-bar" role="alert" data-testid="alert-bar">
      {alerts.map((a) => (
        <div key={a.id} className={`alert alert-${a.level}`}>
          <strong>{a.title}</strong> <span>{a.message}</span>
          <button className="icon-button" aria-label={`Dismiss ${a.title}`} onClick={() => dismiss(a.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  )
}
