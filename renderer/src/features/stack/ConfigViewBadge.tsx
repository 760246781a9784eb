/** How a container sees config.toml: the badge for tables, and the detail with the compose fix. */
import { toast } from '../../store/toasts'
import { configBadge, describeMount, type ConfigBadge, type ContainerConfigView } from './config-view-badge'
import './config-views.css'

const TONE_CLASS: Record<ConfigBadge['tone'], string> = {
  ok: 'badge-ok',
  warn: 'badge-warn',
  unknown: 'badge-unknown',
  muted: 'badge-muted',
}

export async function copyText(text: string, what: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text)
    toast.success(`${what} copied`, text)
  } catch {
    toast.warning(`Could not copy the ${what.toLowerCase()}`, 'The clipboard is not available here; select the text instead.')
  }
}

interface BadgeProps {
  view: ContainerConfigView | undefined
  /** Why there is no view for this container (shown as unknown). */
  missing?: string
  /** With a toggle, the badge is a button that opens the detail (keyboard: Enter/Space). */
  expanded?: boolean
  onToggle?: () => void
  controls?: string
}

export function ConfigViewBadge({ view, missing, expanded, onToggle, controls }: BadgeProps) {
  const b = configBadge(view, missing)
  const cls = `badge ${TONE_CLASS[b.tone]}`
  const data = { 'data-testid': 'config-view-badge', 'data-kind': b.kind }
  if (!onToggle)
    return (
      <span className={cls} title={b.title} {...data}>
        {b.label}
      </span>
    )
  return (
    <button
      type="button"
      className={`${cls} cv-badge-button`}
      title={b.title}
      aria-expanded={expanded ?? false}
      aria-controls={controls}
      aria-label={`config.toml: ${b.label}. ${expanded ? 'Hide' : 'Show'} details`}
      onClick={onToggle}
      {...data}
    >
      {b.label} <span aria-hidden>{expanded ? '▴' : '▾'}</span>
    </button>
  )
}

/** The detail panel: where the container sees the file, through which mount, and for a single-file mount why Save & Restart refuses and the fix. */
export function ConfigViewDetail({ view, missing, id }: { view: ContainerConfigView | undefined; missing?: string; id?: string }) {
  const b = configBadge(view, missing)
  if (!view)
    return (
      <div className="cv-detail small" id={id} data-testid="config-view-detail" data-kind="unknown">
        {b.title}
      </div>
    )
  const v = view.view
  const mount = describeMount(v.mount)
  const r = view.refusal
  return (
    <div className="cv-detail small" id={id} data-testid="config-view-detail" data-kind={v.kind}>
      <p>{b.title}</p>
      <dl className="cv-facts">
        <dt className="muted">container path</dt>
        <dd className="mono">{v.containerPath ?? '—'}</dd>
        <dt className="muted">mount</dt>
        <dd className="mono">{mount ?? (v.kind === 'volume' ? v.volumes.map((m) => describeMount(m)).join('; ') : '—')}</dd>
        {v.reason && (
          <>
            <dt className="muted">why unknown</dt>
            <dd>{v.reason}</dd>
          </>
        )}
        {!v.sameHost && v.kind !== 'unknown' && (
          <>
            <dt className="muted">engine</dt>
            <dd>remote: mount sources are paths on the engine’s host, matched by path only</dd>
          </>
        )}
      </dl>
      {v.notes.length > 0 && (
        <ul className="cv-notes">
          {v.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
      {r && (
        <div className="cv-refusal" data-testid="config-view-refusal">
          <p>
            <strong>{r.summary}.</strong> {r.why}
          </p>
          <p>Fix: mount the directory. In the service’s compose volumes, replace</p>
          <pre className="cv-line" data-testid="fix-replace">{r.fix.replace}</pre>
          <p>with</p>
          <div className="row">
            <pre className="cv-line" data-testid="fix-with">{r.fix.with}</pre>
            <button type="button" className="small" data-testid="copy-fix" onClick={() => void copyText(r.fix.with, 'Compose line')}>
              Copy
            </button>
          </div>
          {r.caveats.length > 0 && (
            <ul className="cv-notes">
              {r.caveats.map((c, i) => (
                <li key={i}>{c}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  )
}
