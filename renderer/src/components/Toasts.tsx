import { useToasts } from '../store/toasts'

export function Toasts() {
  const { toasts, dismiss } = useToasts()
  return (
    <div className="toasts" role="region" aria-label="Notifications" aria-live="polite">
      {toasts.map((t) => (
        <div
          key={t.id}
          className={`toast toast-${t.kind}`}
          role={t.kind === 'error' ? 'alert' : 'status'}
          data-testid={`toast-${t.kind}`}
        >
          <div className="toast-body">
            <strong>{t.title}</strong>
            {t.message && <div className="toast-message">{t.message}</div>}
          </div>
          <button className="icon-button" aria-label="Dismiss notification" onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  )
}
