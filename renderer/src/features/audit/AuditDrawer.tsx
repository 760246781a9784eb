import { useEffect, useRef, type ReactNode } from 'react'
import { toast } from '../../store/toasts'
import { formatStamp, prettyDetail, type AuditRecord } from './audit-records'
import { EventsAroundLink, focusAuditRow, OutcomeBadge } from './AuditTable'

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="muted small">{label}</dt>
      <dd>{children}</dd>
    </>
  )
}

async function copy(text: string, what: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text)
    toast.success(`${what} copied`)
  } catch {
    toast.warning(`Could not copy the ${what.toLowerCase()}`, 'The clipboard is not available here; select the text instead.')
  }
}

/**
 * Side drawer with one record in full. Non-modal, so the table stays usable: ↑/↓ in the table still
 * move, and Escape (or Close) shuts it and returns focus to the record's row.
 */
export function AuditDrawer({
  record,
  onClose,
  onStep,
}: {
  record: AuditRecord
  onClose: () => void
  onStep: (dir: -1 | 1) => void
}) {
  const closeRef = useRef<HTMLButtonElement>(null)
  const seq = record.seq
  useEffect(() => {
    closeRef.current?.focus()
  }, [seq])

  const close = () => {
    onClose()
    requestAnimationFrame(() => focusAuditRow(seq))
  }
  const json = prettyDetail(record.detail)

  return (
    <aside
      className="audit-drawer"
      role="dialog"
      aria-modal="false"
      aria-labelledby="audit-drawer-title"
      data-testid="audit-drawer"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault()
          close()
        }
      }}
    >
      <header className="row">
        <h2 id="audit-drawer-title" className="mono">
          {record.action}
        </h2>
        <OutcomeBadge outcome={record.outcome} />
        <span className="spacer" />
        <button className="small" onClick={() => onStep(-1)} aria-label="Newer record" title="Newer record">
          ↑
        </button>
        <button className="small" onClick={() => onStep(1)} aria-label="Older record" title="Older record">
          ↓
        </button>
        <button ref={closeRef} className="small" onClick={close} data-testid="audit-drawer-close">
          Close
        </button>
      </header>
      <dl className="audit-fields">
        <Field label="Seq">
          <span className="mono">{record.seq}</span>
        </Field>
        <Field label="Time">
          {formatStamp(record.at)} <span className="muted small mono">({record.at})</span>
        </Field>
        <Field label="Who">{record.who}</Field>
        <Field label="Door">{record.door}</Field>
        <Field label="Target">{record.target ?? <span className="muted">—</span>}</Field>
        <Field label="Reason">{record.reason ?? <span className="muted">—</span>}</Field>
        <Field label="Bus events">
          <EventsAroundLink record={record} />
        </Field>
        <Field label="Config diff">
          {record.configDiffHash ? (
            <span className="row">
              <code className="audit-hash" data-testid="audit-drawer-hash">
                {record.configDiffHash}
              </code>
              <button className="small" onClick={() => void copy(record.configDiffHash ?? '', 'Hash')}>
                Copy
              </button>
            </span>
          ) : (
            <span className="muted">—</span>
          )}
        </Field>
      </dl>
      <div className="row">
        <h3 className="small muted">Detail</h3>
        <span className="spacer" />
        {record.detail !== undefined && (
          <button className="small" onClick={() => void copy(json, 'Detail JSON')}>
            Copy JSON
          </button>
        )}
      </div>
      <pre className="audit-json" tabIndex={0} aria-label="Detail JSON" data-testid="audit-detail-json">
        {json}
      </pre>
    </aside>
  )
}
