import { plural } from '../../lib/format'
import type { ReactNode } from 'react'
import { useNow } from '../../lib/use-now'
import { ago, countdown, countText, failureReason, STATE_HELP, STATE_TONE, unknownText, type ServiceSupervision } from './supervision-model'
import { resetFailed, restartService, useSupervision } from './use-supervision'
import './supervise.css'

export function SupervisionStateBadge({ s }: { s: ServiceSupervision }) {
  return (
    <span className={`badge badge-${STATE_TONE[s.state]} sup-state sup-state-${s.state}`} data-state={s.state} title={STATE_HELP[s.state]}>
      {s.state === 'failed' ? 'FAILED' : s.state}
    </span>
  )
}

function Stat({ label, children, tone }: { label: string; children: ReactNode; tone?: 'warn' | 'bad' }) {
  return (
    <div className={`sup-stat${tone ? ` sup-stat-${tone}` : ''}`}>
      <div className="muted small">{label}</div>
      <div className="sup-stat-value">{children}</div>
    </div>
  )
}

function ServiceRow({ s, busy }: { s: ServiceSupervision; busy: boolean }) {
  const now = useNow()
  const failed = s.state === 'failed'
  const unknown = unknownText(s)
  const short = s.actual !== null && s.actual < s.desired
  const next = countdown(s.nextAttemptAt, now)
  const canReset = failed || s.restarts > 0 || s.consecutiveFailures > 0
  // A restart acts on containers nobody can see right now: refuse it here too, and say why.
  const restartBlocked = s.unknown ? `Disabled: the containers cannot be seen (${s.unknown.reason})` : undefined
  return (
    <section
      className={`sup-service sup-service-${s.state}`}
      aria-label={`Supervision of ${s.service}: ${s.state}`}
      data-testid="supervision-service"
      data-service={s.service}
      data-state={s.state}
    >
      <div className="row">
        <h3 className="mono">{s.service}</h3>
        <SupervisionStateBadge s={s} />
        <span className="muted small">
          auto-heal {s.autoHeal ? 'on' : 'off'} · health from {s.healthSource}
        </span>
        <span className="spacer" />
        <button className="small" disabled={busy || !canReset} onClick={() => void resetFailed(s)} data-testid="supervision-reset" title="Clear the failed mark and counters">
          Reset failed…
        </button>
        <button className="small" disabled={busy || restartBlocked !== undefined} title={restartBlocked} onClick={() => void restartService(s)} data-testid="supervision-restart">
          Restart service…
        </button>
      </div>
      {failed && (
        <div className="sup-failure" role="alert" data-testid="supervision-failure">
          <strong>FAILED</strong> {failureReason(s)}
          {s.failedAt && <span className="small"> · since {new Date(s.failedAt).toLocaleString()}</span>}
        </div>
      )}
      {s.state === 'blocked' && s.blockedBy && (
        <div className="sup-blocked" data-testid="supervision-blocked">
          Holding off: {s.blockedBy}
        </div>
      )}
      {unknown && (
        <div className="sup-unknown" role="status" data-testid="supervision-unknown">
          {unknown}
        </div>
      )}
      {!failed && !unknown && s.lastProblem && <div className="sup-problem small">Problem: {s.lastProblem}</div>}
      <div className="sup-stats">
        <Stat label="Desired / actual" tone={short ? (failed ? 'bad' : 'warn') : undefined}>
          <span data-testid="supervision-counts">
            {s.desired} / {countText(s.actual)}
          </span>
          {s.paused !== null && s.paused > 0 && <span className="muted small"> ({s.paused} paused)</span>}
          {s.actual === null && <span className="muted small"> (unknown)</span>}
        </Stat>
        <Stat label="Last check">
          <span title={s.lastCheckAt ?? undefined}>{ago(s.lastCheckAt, now)}</span>
        </Stat>
        <Stat label="Restarts">
          <span data-testid="supervision-restarts">{s.restarts}</span>
        </Stat>
        <Stat label="Consecutive failures" tone={s.consecutiveFailures > 0 ? (failed ? 'bad' : 'warn') : undefined}>
          {s.consecutiveFailures}
        </Stat>
        <Stat label="Next attempt">
          {next ? <span title={s.nextAttemptAt}>{next}</span> : <span className="muted">{failed ? 'none (gave up)' : '—'}</span>}
        </Stat>
      </div>
      {s.containers.length > 0 && (
        <details>
          <summary>{plural(s.containers.length, 'container')}</summary>
          <table className="sup-containers">
            <thead>
              <tr>
                <th>Name</th>
                <th>State</th>
                <th>Health</th>
                <th>Heartbeat</th>
                <th>Restarts</th>
                <th>Failures</th>
                <th>Problem</th>
              </tr>
            </thead>
            <tbody>
              {s.containers.map((c) => (
                <tr key={c.id}>
                  <td className="mono small">{c.name}</td>
                  <td>{c.state}</td>
                  <td>{c.health}</td>
                  <td>{c.heartbeat}</td>
                  <td>{c.restarts}</td>
                  <td>{c.consecutiveFailures}</td>
                  <td className="small">{c.problem ?? <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </section>
  )
}

/**
 * Auto-heal state of every supervised service, failed ones first and in red. `only` narrows it to
 * some services (e.g. the one a card shows).
 */
export function SupervisionPanel({ only }: { only?: readonly string[] }) {
  const { status, error, busy } = useSupervision()
  if (error && !status) return <p className="field-error">Cannot read the supervision status: {error}</p>
  if (!status) return <p className="muted">Loading supervision…</p>
  const services = status.services.filter((s) => !only || only.includes(s.service))
  const failed = services.filter((s) => s.state === 'failed')
  // Failed first: a failure must not scroll out of sight below healthy services.
  const ordered = [...failed, ...services.filter((s) => s.state !== 'failed')]
  return (
    <section className={`card sup-panel${failed.length ? ' sup-panel-failed' : ''}`} aria-label="Supervision" data-testid="supervision-panel">
      <div className="row">
        <h2>Supervision</h2>
        {failed.length > 0 ? (
          <span className="badge badge-bad" data-testid="supervision-failed-count">
            {failed.length} FAILED
          </span>
        ) : (
          <span className="muted small">{services.length ? 'auto-heal' : ''}</span>
        )}
      </div>
      {services.length === 0 ? (
        <p className="muted small">No service is supervised (add `supervise` to a service in the settings).</p>
      ) : (
        ordered.map((s) => <ServiceRow key={s.service} s={s} busy={busy.has(s.service)} />)
      )}
    </section>
  )
}
