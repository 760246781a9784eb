const TONE: Record<string, string> = {
  running: 'ok',
  healthy: 'ok',
  alive: 'ok',
  enabled: 'ok',
  open: 'ok',
  paused: 'warn',
  restarting: 'warn',
  starting: 'warn',
  degraded: 'warn',
  recovering: 'warn',
  reconnecting: 'warn',
  created: 'muted',
  exited: 'bad',
  dead: 'bad',
  unhealthy: 'bad',
  failed: 'bad',
  unreachable: 'bad',
  disabled: 'muted',
}

export function StateBadge({ state, label }: { state: string; label?: string }) {
  return (
    <span className={`badge badge-${TONE[state] ?? 'muted'}`} data-state={state}>
      {label ?? state}
    </span>
  )
}
