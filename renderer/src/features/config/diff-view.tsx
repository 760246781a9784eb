/** Field changes with their apply hint, and the coloured unified diff: used before saving, for disk changes and for backups. */
import { useMemo } from 'react'
import { APPLY_WORDS } from './schema-model'
import { classifyUnified, showValue } from './diff-text'
import type { ConfigDiff } from './config-store'

type Change = ConfigDiff['changes'][number]

function ApplyHint({ apply }: { apply: Change['apply'] }) {
  const tone = apply === 'hot' ? 'badge-ok' : apply === 'restart' ? 'badge-warn' : 'badge-bad'
  return (
    <span className="row cfg-hint">
      <span className={`badge ${tone}`}>{apply}</span>
      <span className="small">{APPLY_WORDS[apply]}</span>
    </span>
  )
}

export function ChangeList({ changes, testid = 'change-list' }: { changes: readonly Change[]; testid?: string }) {
  if (changes.length === 0) return <p className="muted small">No setting changes (comments or layout only).</p>
  return (
    <table className="cfg-changes" data-testid={testid}>
      <thead>
        <tr>
          <th scope="col">Setting</th>
          <th scope="col">Before → after</th>
          <th scope="col">Applies</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={`${c.kind}:${c.pointer}`} data-testid="change-row" data-pointer={c.pointer} data-apply={c.apply}>
            <td className="mono small">{c.pointer}</td>
            <td className="mono small cfg-before-after">
              <span className="diff-del">{c.kind === 'added' ? '(absent)' : showValue(c.before)}</span>
              <span aria-hidden> → </span>
              <span className="visually-hidden"> becomes </span>
              <span className="diff-add">{c.kind === 'removed' ? '(removed)' : showValue(c.after)}</span>
            </td>
            <td>
              <ApplyHint apply={c.apply} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function UnifiedDiff({ unified, label = 'Text diff' }: { unified: string; label?: string }) {
  const lines = useMemo(() => classifyUnified(unified), [unified])
  if (lines.length === 0) return <p className="muted small">The texts are identical.</p>
  return (
    <pre className="cfg-diff" aria-label={label} tabIndex={0} data-testid="unified-diff">
      {lines.map((l, i) => (
        <span key={i} className={`cfg-diff-${l.kind}`}>
          {l.text}
          {'\n'}
        </span>
      ))}
    </pre>
  )
}

/** A short verdict: everything applies on reload, or which changes need a restart. */
export function RestartNote({ changes }: { changes: readonly Change[] }) {
  const restart = changes.filter((c) => c.apply !== 'hot')
  if (changes.length === 0) return null
  if (restart.length === 0)
    return (
      <p className="small cfg-note-ok" data-testid="restart-note" data-restart="false">
        Every change takes effect on reload: Save &amp; Restart applies it without restarting anything.
      </p>
    )
  return (
    <p className="small cfg-note-warn" data-testid="restart-note" data-restart="true">
      {restart.length} change{restart.length === 1 ? '' : 's'} need{restart.length === 1 ? 's' : ''} a service restart (a reload is not enough):{' '}
      <span className="mono">{restart.map((c) => c.pointer).join(', ')}</span>. Restart those services from the Stack tab after saving.
    </p>
  )
}
