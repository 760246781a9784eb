import { useSafety } from '../../store/safety'
import { unknownText } from '../../components/truth-text'
import { useState } from 'react'
import { StateBadge } from '../../components/StateBadge'
import { formatDuration, plural } from '../../lib/format'
import { pauseResumeAvailability } from './action-availability'
import { useNow } from '../../lib/use-now'
import { confirmAction } from '../../store/confirm'
import { SupervisionBadge } from '../supervise/SupervisionBadge'
import { SupervisionPanel } from '../supervise/SupervisionPanel'
import { runAction, targetKey, useStackFeed, useStackStore, type Snapshot } from './use-stack'
import { ConfigViewBadge, ConfigViewDetail } from './ConfigViewBadge'
import { viewKey } from './config-view-badge'
import { useConfigViews, useConfigViewsFeed } from './use-config-views'

type Service = Snapshot['services'][number]
type Container = Service['containers'][number]

const SIGNALS = ['SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGTERM', 'SIGINT']

async function confirmRestart(what: string, target: { service?: string; container?: string }) {
  const r = await confirmAction({
    title: `Restart ${what}?`,
    message: `Restarting stops and starts ${what}. Open orders and in-memory state of those processes may be lost.`,
    confirmLabel: 'Restart',
    danger: true,
  })
  if (r.ok) await runAction('stack.restart', target, { reason: 'manual restart' })
}

async function confirmSignal(what: string, target: { service?: string; container?: string }, signal: string) {
  const destructive = signal === 'SIGTERM' || signal === 'SIGINT'
  if (destructive) {
    const r = await confirmAction({ title: `Send ${signal} to ${what}?`, message: `${signal} usually stops a process.`, confirmLabel: `Send ${signal}`, danger: true })
    if (!r.ok) return
  }
  await runAction('stack.signal', target, { signal })
}

function SignalPicker({ what, target, disabled }: { what: string; target: { service?: string; container?: string }; disabled: boolean }) {
  const [sig, setSig] = useState('SIGHUP')
  return (
    <span className="row">
      <select aria-label={`Signal for ${what}`} value={sig} onChange={(e) => setSig(e.target.value)} disabled={disabled}>
        {SIGNALS.map((s) => (
          <option key={s}>{s}</option>
        ))}
      </select>
      <button className="small" disabled={disabled} onClick={() => void confirmSignal(what, target, sig)}>
        Send
      </button>
    </span>
  )
}

function Uptime({ c }: { c: Container }) {
  const now = useNow()
  if (c.uptimeS === null || !c.startedAt) return <>—</>
  const started = Date.parse(c.startedAt)
  return <>{formatDuration(Number.isFinite(started) ? (now - started) / 1000 : c.uptimeS)}</>
}

/** Why a container has no row in the views report: still loading, the call failed, or not in it. */
function useMissingReason(): string {
  return useConfigViews((s) => (s.error ? `the views could not be fetched (${s.error})` : !s.report ? 'not fetched yet' : 'this container is not in the last report'))
}

function ContainerRow({ c, cols }: { c: Container; cols: number }) {
  const busy = useStackStore((s) => s.busy.has(c.id) || s.busy.has(`svc:${c.service}`) || s.busy.has('*'))
  const view = useConfigViews((s) => s.report?.containers.find((v) => viewKey(v) === viewKey(c)))
  const missing = useMissingReason()
  const [open, setOpen] = useState(false)
  const detailId = `cv-detail-${c.endpoint}-${c.id}`
  const target = { container: c.id }
  return (
    <>
      <tr data-testid="container-row" data-name={c.name} data-state={c.state} data-config-kind={view?.view.kind ?? 'unknown'}>
        <td className="mono">{c.name}</td>
        <td>
          <StateBadge state={c.state} />
        </td>
        <td>{c.health === 'none' ? <span className="muted">—</span> : <StateBadge state={c.health} />}</td>
        <td>
          <Uptime c={c} />
        </td>
        <td className="mono small muted">{c.image}</td>
        <td className="small muted">{c.endpoint}</td>
        <td>
          <ConfigViewBadge view={view} missing={missing} expanded={open} onToggle={() => setOpen(!open)} controls={detailId} />
        </td>
        <td>
          <span className="row">
            {c.state === 'paused' ? (
              <button className="small" disabled={busy} onClick={() => void runAction('stack.resume', target)}>
                Resume
              </button>
            ) : (
              <button className="small" disabled={busy || c.state !== 'running'} onClick={() => void runAction('stack.pause', target)}>
                Pause
              </button>
            )}
            <button className="small" disabled={busy} onClick={() => void confirmRestart(c.name, target)}>
              Restart…
            </button>
            <SignalPicker what={c.name} target={target} disabled={busy || c.state !== 'running'} />
          </span>
        </td>
      </tr>
      {open && (
        <tr data-testid="config-view-row" data-name={c.name}>
          <td colSpan={cols}>
            <ConfigViewDetail view={view} missing={missing} id={detailId} />
          </td>
        </tr>
      )}
    </>
  )
}

function ServiceCard({ s }: { s: Service }) {
  const busy = useStackStore((st) => st.busy.has(`svc:${s.name}`) || st.busy.has('*'))
  const target = { service: s.name }
  const paused = s.containers.filter((c) => c.state === 'paused').length
  const can = pauseResumeAvailability(s.containers)
  // An unreachable engine's containers are dropped from the snapshot: say so rather than "none match".
  const endpoints = useStackStore((st) => st.snapshot?.endpoints)
  const down = (endpoints ?? []).filter((e) => !e.reachable && (!s.endpoint || e.id === s.endpoint)).map((e) => e.id)
  return (
    <section className="card" aria-label={`Service ${s.name}`} data-testid="service-card" data-service={s.name}>
      <div className="row">
        <h2>{s.name}</h2>
        <SupervisionBadge service={s.name} />
        <span className="muted small">
          {plural(s.containers.length, 'container')}{paused ? `, ${paused} paused` : ''}
          {s.endpoint ? ` on ${s.endpoint}` : ''}
        </span>
        <span className="spacer" />
        <button className="small" disabled={busy || can.pause !== null} title={can.pause ?? undefined} onClick={() => void runAction('stack.pause', target)} data-testid="pause-service">
          Pause service
        </button>
        <button className="small" disabled={busy || can.resume !== null} title={can.resume ?? undefined} onClick={() => void runAction('stack.resume', target)} data-testid="resume-service">
          Resume service
        </button>
        <button className="small" disabled={busy} onClick={() => void confirmRestart(`service ${s.name}`, target)}>
          Restart…
        </button>
        <SignalPicker what={`service ${s.name}`} target={target} disabled={busy} />
      </div>
      {s.containers.length === 0 ? (
        <p className="muted" data-testid="service-empty">
          {down.length > 0
            ? `Containers unknown: engine ${down.join(', ')} unreachable (this is not "none match").`
            : 'No container matches this service\u2019s labels.'}
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>State</th>
              <th>Health</th>
              <th>Uptime</th>
              <th>Image</th>
              <th>Endpoint</th>
              <th title="How the container sees config.toml: a directory mount sees every save; a single-file mount keeps the old file">Config</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {s.containers.map((c) => (
              <ContainerRow key={`${c.endpoint}/${c.id}`} c={c} cols={8} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

/** One line over the services when a container bind-mounts config.toml itself, or when the views are unknown. */
function ConfigViewsLine() {
  const { report, error, loading } = useConfigViews()
  if (error)
    return (
      <p className="small field-error" role="status" data-testid="config-views-error">
        How the containers see config.toml is unknown: {error}
      </p>
    )
  if (!report) return loading ? <p className="small muted">Checking how the containers see config.toml…</p> : null
  const file = report.containers.filter((c) => c.view.kind === 'file')
  if (file.length === 0) return null
  const one = file.length === 1
  return (
    <p className="small cv-banner" role="status" data-testid="stack-single-file-note">
      {file.length} container{one ? '' : 's'} bind-mount{one ? 's' : ''} config.toml as a single file ({file.map((c) => c.name).join(', ')}): after a save{' '}
      {one ? 'it keeps' : 'they keep'} reading the old file.{' '}
      {report.singleFileMounts === 'refuse'
        ? 'Save & Restart refuses until the directory is mounted instead.'
        : 'Save & Restart writes config.toml in place for them (config.singleFileMounts = write-in-place, not crash-atomic).'}{' '}
      Open the <em>Config</em> badge of {one ? 'that container' : 'each one'} for the compose fix.
    </p>
  )
}

export function StackView() {
  useStackFeed()
  useConfigViewsFeed()
  const { snapshot, error } = useStackStore()
  const busyAll = useStackStore((s) => s.busy.has(targetKey({})))
  // With every engine unreachable the container states are unknown: whole-stack actions say why they are off.
  const containersFact = useSafety((s) => s.state?.containers)
  const blocked = containersFact && !containersFact.known ? `Container states are ${unknownText(containersFact)}: nothing can be done to them from here.` : null
  if (error && !snapshot) return <p className="field-error">Cannot list the stack: {error}</p>
  if (!snapshot) return <p className="muted">Loading the stack…</p>
  const all = snapshot.services.flatMap((s) => s.containers)
  const count = (st: string) => all.filter((c) => c.state === st).length
  const can = pauseResumeAvailability(all)
  return (
    <div>
      <div className="card row" aria-label="Stack summary">
        <strong>{all.length} containers</strong>
        <StateBadge state="running" label={`${count('running')} running`} />
        <StateBadge state="paused" label={`${count('paused')} paused`} />
        {all.length - count('running') - count('paused') > 0 && (
          <StateBadge state="exited" label={`${all.length - count('running') - count('paused')} other`} />
        )}
        <span className="spacer" />
        {snapshot.endpoints.map((e) => (
          <span key={e.id} title={e.error ?? e.url} data-testid="endpoint-chip">
            <StateBadge state={!e.reachable ? 'unreachable' : e.watching ? 'open' : 'reconnecting'} label={`${e.id}: ${!e.reachable ? 'unreachable' : e.watching ? 'live' : 'reconnecting'}`} />
          </span>
        ))}
        <button disabled={busyAll || blocked !== null || can.pause !== null} title={blocked ?? can.pause ?? undefined} onClick={() => void runAction('stack.pause', {})} data-testid="pause-stack">
          Pause stack
        </button>
        <button disabled={busyAll || blocked !== null || can.resume !== null} title={blocked ?? can.resume ?? undefined} onClick={() => void runAction('stack.resume', {})} data-testid="resume-stack">
          Resume stack
        </button>
        <button disabled={busyAll || blocked !== null} title={blocked ?? undefined} onClick={() => void confirmRestart('the whole stack', {})}>
          Restart stack…
        </button>
      </div>
      <SupervisionPanel />
      <ConfigViewsLine />
      {snapshot.services.map((s) => (
        <ServiceCard key={s.name} s={s} />
      ))}
    </div>
  )
}
