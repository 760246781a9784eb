import { useNow } from '../../lib/use-now'
import { countdown, localZone, offsetAt, wallTime } from './time-format'
import { NOTE_LABELS } from './trading-status'
import type { Transition } from './use-schedule'

interface Props {
  transitions: readonly Transition[]
  testId: string
  caption: string
  empty?: string
}

function notesFor(t: Transition, prev: Transition | undefined, nowMs: number): string[] {
  const notes: string[] = []
  if (t.note) notes.push(NOTE_LABELS[t.note] ?? t.note)
  if (t.scheduled) notes.push(`rule time ${t.scheduled}`)
  // The exchange's offset moved since the previous row (or since now): a DST change in between.
  const before = prev ? offsetAt(prev.at, t.zone) : offsetAt(nowMs, t.zone)
  const after = offsetAt(t.at, t.zone)
  if (before && after && before !== after) notes.push(`DST-shifted: ${before} → ${after}`)
  // The trader's clock may move on a different date than the exchange's (Europe vs US in March).
  const mine = localZone()
  if (mine !== t.zone) {
    const lb = prev ? offsetAt(prev.at, mine) : offsetAt(nowMs, mine)
    const la = offsetAt(t.at, mine)
    if (lb && la && lb !== la) notes.push(`your clock shifts: ${lb} → ${la}`)
  }
  return notes
}

/** Upcoming transitions: wall time on the exchange, the trader's own time, and the notes that matter. */
export function TransitionTable({ transitions, testId, caption, empty = 'No upcoming transitions.' }: Props) {
  const now = useNow()
  const mine = localZone()
  if (transitions.length === 0) return <p className="muted small" data-testid={testId}>{empty}</p>
  return (
    <table className="transition-table" data-testid={testId}>
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Event</th>
          <th scope="col">Exchange time</th>
          <th scope="col">Your time ({mine})</th>
          <th scope="col">In</th>
          <th scope="col">Notes</th>
        </tr>
      </thead>
      <tbody>
        {transitions.map((t, i) => {
          const notes = notesFor(t, transitions[i - 1], now)
          return (
            <tr key={`${t.at}-${t.kind}`} data-testid="transition-row" data-kind={t.kind} data-at={t.at}>
              <td>
                <span className={`kind kind-${t.kind}`}>{t.kind === 'start' ? '▶ start' : '■ stop'}</span>
              </td>
              <td className="mono">
                {wallTime(t.at, t.zone)} <span className="muted small">{offsetAt(t.at, t.zone)}</span>
              </td>
              <td className="mono">{wallTime(t.at)}</td>
              <td className="mono small">{countdown(Date.parse(t.at) - now)}</td>
              <td className="small">
                {notes.length ? notes.map((n) => <span key={n} className={`note ${/DST/.test(n) ? 'note-dst' : /early/.test(n) ? 'note-early' : ''}`}>{n}</span>) : <span className="muted">—</span>}
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}
