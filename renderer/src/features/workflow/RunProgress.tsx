import { formatMs, formatTime } from '../../lib/format'
import { StateBadge } from '../../components/StateBadge'
import { useWorkflow, useWorkflowFeed, type RunReport, type StepReport } from './use-workflow'
import { freezeText } from './freeze-estimate'
import { STEP_LABELS } from './step-labels'
import { ContainerChecks } from './ContainerChecks'
import './workflow.css'

const ICON: Record<StepReport['status'], string> = { running: '◌', ok: '✓', failed: '✗', skipped: '–', warning: '!' }

/** How the finished run applied: hot or paused, the freeze and whose clock measured it, an in-place write. */
export function RunSummary({ report }: { report: RunReport }) {
  const mode = report.mode ?? (report.freezeWindowMs ? 'paused' : null)
  const client = report.freezeWindowClientMs
  return (
    <p className="small wf-run-summary" data-testid="run-summary" data-mode={mode ?? 'unknown'} data-write-mode={report.writeMode ?? 'atomic'}>
      <span data-testid="run-mode">
        <strong>{mode === 'hot' ? 'hot' : mode === 'paused' ? 'paused' : 'mode not reported'}</strong>
        {mode === 'hot' ? ': applied without pausing' : ''}
      </span>
      <span data-testid="run-freeze" title={client != null && report.freezeClock === 'engine' ? `Stackdeck’s own clock: ${Math.round(client)} ms (pause requested to unpause confirmed)` : undefined}>
        {freezeText(report)}
      </span>
      {report.writeMode === 'in-place' && (
        <span className="field-error" data-testid="run-write-mode">
          written in place (single-file mounts): not crash-atomic
        </span>
      )}
    </p>
  )
}

/** Live step list of the current (or last) run, plus past runs. */
export function RunProgress() {
  useWorkflowFeed()
  const { steps, running, history, last } = useWorkflow()
  return (
    <section className="card" aria-label="Save & Restart progress" data-testid="run-progress">
      <h3>Save &amp; Restart {running && <StateBadge state="restarting" label="running" />}</h3>
      {steps.length === 0 ? (
        <p className="muted small">No run yet.</p>
      ) : (
        <ol className="steps" aria-live="polite">
          {steps.map((s) => (
            <li key={s.step} data-testid={`step-${s.step}`} data-status={s.status}>
              <span aria-hidden className={`step-icon step-${s.status}`}>
                {ICON[s.status]}
              </span>
              <strong>{STEP_LABELS[s.step]}</strong>
              <span className="muted small">{s.ms !== undefined ? formatMs(s.ms) : s.status === 'running' ? '…' : ''}</span>
              {s.detail && <span className="small">{s.detail}</span>}
              {s.containers && s.containers.some((c) => c.outcome !== 'ok') && (
                <span className="small field-error">
                  {s.containers
                    .filter((c) => c.outcome !== 'ok')
                    .map((c) => `${c.name}: ${c.outcome}`)
                    .join(', ')}
                </span>
              )}
            </li>
          ))}
        </ol>
      )}
      {last && !running && <RunSummary report={last} />}
      {last && !running && <ContainerChecks report={last} />}
      {history.length > 0 && (
        <details>
          <summary>History ({history.length})</summary>
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>Who</th>
                <th>Outcome</th>
                <th>Freeze</th>
                <th>Backup</th>
                <th>Message</th>
              </tr>
            </thead>
            <tbody>
              {history.map((r) => (
                <tr key={r.runId}>
                  <td>{formatTime(r.startedAt)}</td>
                  <td>
                    {r.who} <span className="muted small">({r.door})</span>
                  </td>
                  <td>
                    <StateBadge state={r.outcome === 'applied' ? 'healthy' : r.outcome === 'applied_unconfirmed' ? 'degraded' : 'failed'} label={r.outcome} />
                  </td>
                  <td>{r.freezeWindowMs === null ? '—' : freezeText(r)}</td>
                  <td className="mono small">{r.backup ?? '—'}</td>
                  <td className="small">{r.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </section>
  )
}
