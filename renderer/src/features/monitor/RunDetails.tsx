import { useEffect, useState } from 'react'
import type { OpResult } from '@contract'
import { getClient } from '../../api/client'
import { messageOf } from '../../api/call-error'
import { formatDuration } from '../../lib/format'
import { useNow } from '../../lib/use-now'
import { useConnection } from '../../store/connection'
import { useMonitor, hostNow } from './monitor-store'
import { RUN_HEALTH_TONE } from './agent-status'
import { stamp } from './time-range'

type RunView = OpResult<'runs.get'>
type Loaded = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ok'; view: RunView; at: number }

const COMMAND_TONE: Record<RunView['commands'][number]['status'], string> = { queued: 'muted', delivered: 'muted', acknowledged: 'ok', expired: 'warn' }

/**
 * Follows one run: read with runs.get, read again whenever the host announces a change of the run
 * or of one of its commands (runs.changed, runs.command), and after a reconnect, when changes
 * sent meanwhile are gone. A view older than the connection says so rather than passing for live.
 */
function useRun(runId: string): Loaded {
  const [res, setRes] = useState<{ id: string; l: Loaded } | null>(null)
  const conn = useConnection((s) => s.state)
  useEffect(() => {
    const client = getClient()
    let alive = true
    let inFlight = false
    let again = false
    const read = (): void => {
      if (inFlight) {
        again = true // coalesce: a beat a second per run must not become a read queue
        return
      }
      inFlight = true
      client
        .call('runs.get', { id: runId })
        .then((view) => alive && setRes({ id: runId, l: { state: 'ok', view, at: Date.now() } }))
        .catch((e: unknown) => alive && setRes({ id: runId, l: { state: 'error', message: messageOf(e) } }))
        .finally(() => {
          inFlight = false
          if (again && alive) {
            again = false
            read()
          }
        })
    }
    read()
    const offRun = client.on('runs.changed', (r) => r.id === runId && read())
    const offCmd = client.on('runs.command', (c) => c.runId === runId && read())
    return () => {
      alive = false
      offRun()
      offCmd()
    }
  }, [runId, conn])
  return res && res.id === runId ? res.l : { state: 'loading' }
}

const when = (iso: string | null) =>
  iso === null ? (
    <span className="muted">—</span>
  ) : (
    <span className="mono" title={iso}>
      {stamp(iso)}
    </span>
  )

/** How long a pending command has waited, on the host's clock: its age is what the trader judges. */
function PendingAge({ since, what }: { since: string; what: string }) {
  const now = useNow()
  const offset = useMonitor((s) => s.clockOffset)
  const secs = Math.max(0, (hostNow(now, offset) - Date.parse(since)) / 1000)
  return (
    <div className="muted" data-testid="run-command-age">
      {what} {formatDuration(secs)}
    </div>
  )
}

/** The run part of the agent drawer: its figures, its transitions and its commands with their times. */
export function RunDetails({ runId }: { runId: string }) {
  const l = useRun(runId)
  const conn = useConnection((s) => s.state)
  if (l.state === 'loading') return <p className="muted small">Reading run {runId}…</p>
  if (l.state === 'error')
    return (
      <p className="field-error" role="alert" data-testid="run-details-error">
        Run {runId} could not be read: {l.message}
      </p>
    )
  const { run, transitions, commands } = l.view
  return (
    <section className="run-details" aria-label={`Run ${run.id}`} data-testid="run-details" data-run-id={run.id}>
      <div className="row">
        <h3 className="small muted">Run (HTTP)</h3>
        <span className={`badge badge-${RUN_HEALTH_TONE[run.health]}`}>{run.health}</span>
        <span className="badge badge-muted">{run.state}</span>
        {conn !== 'open' && (
          <span className="badge badge-unknown" title="Not connected to the host: this is the run as last read">
            stale
          </span>
        )}
      </div>
      <dl className="agent-fields small">
        <dt className="muted">Run</dt>
        <dd className="mono">{run.id}</dd>
        <dt className="muted">Strategy</dt>
        <dd>
          {run.strategy} <span className="muted">{run.version}</span>
        </dd>
        <dt className="muted">Step / ckpt</dt>
        <dd className="mono">
          {run.step ?? '—'} / {run.checkpointVersion ?? '—'}
        </dd>
        <dt className="muted">Last beat</dt>
        <dd>{when(run.lastHeartbeatAt)}</dd>
        <dt className="muted">Container</dt>
        <dd>{run.container ?? <span className="muted">not given</span>}</dd>
        <dt className="muted">Created</dt>
        <dd>
          {when(run.createdAt)} <span className="muted">by {run.createdBy}</span>
        </dd>
      </dl>
      <h4 className="small muted">Transitions</h4>
      <ol className="agent-timeline" aria-label="Run transitions, newest first" data-testid="run-transitions">
        {[...transitions].reverse().map((t, i) => (
          <li key={`${t.at}-${i}`} data-testid="run-transition" data-from={t.from ?? ''} data-to={t.to}>
            {when(t.at)} {t.from === null ? <span className="badge badge-muted">created</span> : <span className="badge badge-muted">{t.from}</span>}
            {' → '}
            <span className="badge badge-muted">{t.to}</span>
            <div className="muted small">
              {t.who}: {t.why}
            </div>
          </li>
        ))}
      </ol>
      <h4 className="small muted">Commands</h4>
      {commands.length === 0 ? (
        <p className="muted small">No command sent to this run.</p>
      ) : (
        <table className="run-commands small" data-testid="run-commands">
          <thead>
            <tr>
              <th scope="col">Command</th>
              <th scope="col">Status</th>
              <th scope="col">Queued</th>
              <th scope="col">Delivered</th>
              <th scope="col">Acknowledged</th>
            </tr>
          </thead>
          <tbody>
            {commands.map((c) => (
              <tr key={c.id} data-testid="run-command" data-command-id={c.id} data-status={c.status} data-type={c.type}>
                <td title={JSON.stringify(c.params)}>
                  {c.type}
                  {Object.keys(c.params).length > 0 && <span className="muted"> {Object.keys(c.params).join(', ')}</span>}
                  <div className="muted">by {c.createdBy}</div>
                </td>
                <td>
                  <span className={`badge badge-${c.result?.ok === false ? 'bad' : COMMAND_TONE[c.status]}`}>{c.result?.ok === false ? 'rejected' : c.status}</span>
                  {c.result?.message && <div className="muted ellipsis" title={c.result.message}>{c.result.message}</div>}
                  {c.status === 'queued' && <PendingAge since={c.createdAt} what="not pulled for" />}
                  {c.status === 'delivered' && c.deliveredAt && <PendingAge since={c.deliveredAt} what="not acknowledged for" />}
                  {c.status !== 'acknowledged' && c.status !== 'expired' && <div className="muted">expires {stamp(c.expiresAt)}</div>}
                </td>
                <td>{when(c.createdAt)}</td>
                <td>{when(c.deliveredAt)}</td>
                <td>{when(c.acknowledgedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
