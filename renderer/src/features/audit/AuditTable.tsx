import { useRef, useState, type KeyboardEvent } from 'react'
import { monitorAroundHash } from '../../lib/hash-route'
import { formatStamp, shortHash, type AuditOutcome, type AuditRecord } from './audit-records'
import { useAuditStore } from './audit-store'

const OUTCOME_TONE: Record<AuditOutcome, string> = { ok: 'ok', failed: 'bad', partial: 'warn', refused: 'warn' }

export function OutcomeBadge({ outcome }: { outcome: AuditOutcome }) {
  return (
    <span className={`badge badge-${OUTCOME_TONE[outcome]}`} data-testid="audit-outcome" data-outcome={outcome}>
      {outcome}
    </span>
  )
}

/**
 * "Events around this": the Monitor's stored view from 2 minutes before to 2 minutes after the act.
 * A plain hash link, so the tabs stay independent (the Monitor reads the range from the URL).
 */
export function EventsAroundLink({ record, className }: { record: AuditRecord; className?: string }) {
  const href = monitorAroundHash(record.at, `around ${record.action} at ${formatStamp(record.at)}`)
  if (!href) return <span className="muted">—</span>
  return (
    <a
      href={href}
      className={className}
      title="Open the Monitor with the stored bus events from 2 min before to 2 min after this act"
      aria-label={`Bus events around ${record.action} at ${formatStamp(record.at)}`}
      data-testid="audit-events-link"
      // The row opens the drawer on click and Enter; following the link must not do that too.
      onClick={(e) => e.stopPropagation()}
      onKeyDown={(e) => e.stopPropagation()}
    >
      events around this
    </a>
  )
}

/** Focus the row that shows `seq` (after the drawer closes, focus goes back where it came from). */
export function focusAuditRow(seq: number): void {
  document.querySelector<HTMLElement>(`[data-testid=audit-row][data-seq="${seq}"]`)?.focus()
}

function rowLabel(r: AuditRecord): string {
  return `${formatStamp(r.at)}, ${r.who} via ${r.door}: ${r.action}${r.target ? ` on ${r.target}` : ''}, ${r.outcome}. Enter for details.`
}

/**
 * The records table. One row is in the Tab order at a time (roving tabindex): arrows, Home/End and
 * PageUp/PageDown move between rows, Enter or Space opens the details drawer.
 */
export function AuditTable({ records }: { records: AuditRecord[] }) {
  const select = useAuditStore((s) => s.select)
  const selected = useAuditStore((s) => s.selected)
  const liveFrom = useAuditStore((s) => s.liveFrom)
  const [active, setActive] = useState(0)
  const body = useRef<HTMLTableSectionElement>(null)
  const activeIndex = Math.min(active, Math.max(records.length - 1, 0))

  const focusIndex = (i: number) => {
    const n = Math.max(0, Math.min(records.length - 1, i))
    setActive(n)
    body.current?.querySelectorAll<HTMLElement>('tr')[n]?.focus()
  }

  const onKey = (e: KeyboardEvent<HTMLTableRowElement>, i: number, r: AuditRecord) => {
    const moves: Record<string, number> = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: records.length - 1, PageDown: i + 10, PageUp: i - 10 }
    const to = moves[e.key]
    if (to !== undefined) {
      e.preventDefault()
      focusIndex(to)
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault()
      select(r.seq)
    }
  }

  return (
    <table className="audit-table" aria-label="Audit records, newest first" data-testid="audit-table">
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Who</th>
          <th scope="col">Door</th>
          <th scope="col">Action</th>
          <th scope="col">Target</th>
          <th scope="col">Reason</th>
          <th scope="col">Outcome</th>
          <th scope="col">Config diff</th>
          <th scope="col">Bus events</th>
        </tr>
      </thead>
      <tbody ref={body}>
        {records.map((r, i) => (
          <tr
            key={r.seq}
            tabIndex={i === activeIndex ? 0 : -1}
            className={`audit-row${r.seq > liveFrom ? ' audit-row-new' : ''}${r.outcome === 'failed' ? ' audit-row-failed' : ''}`}
            aria-selected={selected === r.seq}
            aria-label={rowLabel(r)}
            onClick={() => {
              setActive(i)
              select(r.seq)
            }}
            onFocus={() => setActive(i)}
            onKeyDown={(e) => onKey(e, i, r)}
            data-testid="audit-row"
            data-seq={r.seq}
            data-action={r.action}
            data-who={r.who}
            data-door={r.door}
            data-outcome={r.outcome}
          >
            <td className="mono small nowrap" title={r.at}>
              {formatStamp(r.at)}
            </td>
            <td>{r.who}</td>
            <td>
              <span className="badge badge-muted">{r.door}</span>
            </td>
            <td className="mono">{r.action}</td>
            <td className="audit-clip mono small" title={r.target}>
              {r.target ?? <span className="muted">—</span>}
            </td>
            <td className="audit-clip" title={r.reason}>
              {r.reason ?? <span className="muted">—</span>}
            </td>
            <td>
              <OutcomeBadge outcome={r.outcome} />
            </td>
            <td className="mono small" title={r.configDiffHash}>
              {r.configDiffHash ? shortHash(r.configDiffHash) : <span className="muted">—</span>}
            </td>
            <td className="small nowrap">
              <EventsAroundLink record={r} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
