import { useEffect } from 'react'
import { requestNotifications, useNotifyPermission } from './notifications'
import { useMonitor } from './monitor-store'

const TONE: Record<string, string> = { ready: 'ok', connecting: 'warn', reconnecting: 'warn', down: 'bad' }

function NotifyButton() {
  const permission = useNotifyPermission((s) => s.permission)
  const refresh = useNotifyPermission((s) => s.refresh)
  useEffect(refresh, [refresh])
  if (permission === 'app') return null // Electron: the main process notifies
  if (permission === 'granted') return <span className="muted small" data-testid="notify-state">desktop notifications on</span>
  if (permission === 'denied') return <span className="muted small" data-testid="notify-state" title="Allow them in the browser's site settings">notifications blocked: in-app alerts only</span>
  if (permission === 'unsupported') return null
  return (
    <button className="small" onClick={() => void requestNotifications()} data-testid="notify-enable">
      Enable notifications
    </button>
  )
}

/** The bus connection, always at the top of the tab: every number below is only as live as this. */
export function MonitorHeader() {
  const conn = useMonitor((s) => s.connection)
  const error = useMonitor((s) => s.error)
  const state = conn?.state ?? 'connecting'
  return (
    <div className="card row monitor-header" data-testid="bus-connection" data-state={conn?.state ?? 'unknown'}>
      <strong>Redis bus</strong>
      <span className={`badge badge-${TONE[state] ?? 'muted'}`} data-testid="bus-state">
        {conn ? state : 'loading…'}
      </span>
      {conn && (
        <span className="mono small muted" data-testid="bus-url">
          {conn.url}
        </span>
      )}
      {conn && conn.state !== 'ready' && (
        <span className="small field-error">
          {conn.attempts > 0 ? `${conn.attempts} failed attempt(s)` : ''}
          {conn.error ? ` · ${conn.error}` : ''} · since {new Date(conn.since).toLocaleTimeString()}
        </span>
      )}
      {error && (
        <span className="field-error small" role="alert">
          Cannot load the monitor: {error}
        </span>
      )}
      <span className="spacer" />
      <NotifyButton />
    </div>
  )
}
