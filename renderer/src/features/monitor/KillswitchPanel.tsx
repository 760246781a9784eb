import { useState } from 'react'
import { getClient } from '../../api/client'
import { CallError, messageOf } from '../../api/call-error'
import { formatTime } from '../../lib/format'
import { confirmAction } from '../../store/confirm'
import { useSafety } from '../../store/safety'
import { blockedBy, unknownText } from '../../components/truth-text'
import { toast } from '../../store/toasts'
import { useMonitor } from './monitor-store'
import { noteLocalEngage } from './notifications'
import type { Killswitch, KillswitchResult } from './types'

type Outcome = KillswitchResult['actions']['store']
const ACTION_LABEL: Record<keyof KillswitchResult['actions'], string> = {
  store: 'Stored in Redis',
  trading: 'Trading flag',
  announce: 'Announced on the bus',
  stackPause: 'Stack paused',
  audit: 'Audit log',
}

function OutcomeMark({ o }: { o: Outcome }) {
  const cls = o.status === 'ok' ? 'step-ok' : o.status === 'failed' ? 'step-failed' : 'step-skipped'
  const icon = o.status === 'ok' ? '✓' : o.status === 'failed' ? '✗' : '–'
  return (
    <span className={`step-icon ${cls}`} aria-label={o.status}>
      {icon}
    </span>
  )
}

function Actions({ r }: { r: KillswitchResult }) {
  return (
    <ul className="steps" aria-label="What the last killswitch action did" data-testid="ks-actions">
      {(Object.keys(ACTION_LABEL) as Array<keyof KillswitchResult['actions']>).map((k) => {
        const o = r.actions[k]
        return (
          <li key={k} data-action={k} data-status={o.status}>
            <OutcomeMark o={o} />
            <span>{ACTION_LABEL[k]}</span>
            <span className="muted small">{o.status}</span>
            {o.error && <span className="field-error">{o.error}</span>}
          </li>
        )
      })}
      {r.warnings.map((w) => (
        <li key={w} className="step-warning">
          <span className="step-icon">!</span>
          {w}
        </li>
      ))}
    </ul>
  )
}

function Round({ round }: { round: NonNullable<Killswitch['lastRound']> }) {
  const okPaused = round.paused.filter((p) => p.ok)
  const failedPaused = round.paused.filter((p) => !p.ok)
  return (
    <div className="ks-round" data-testid="ks-round" data-ended={round.endedAt !== null}>
      <div className="small muted">
        Acknowledgement round {formatTime(round.startedAt)}
        {round.endedAt ? `, ended ${formatTime(round.endedAt)}` : ` — waiting up to ${round.timeoutMs} ms…`} · {round.asked.length} agent(s) asked
      </div>
      <dl className="ks-lists">
        <dt>Acknowledged</dt>
        <dd data-testid="ks-acked">
          {round.acked.length ? round.acked.map((a) => `${a.agentId} (${Math.round(a.ms)} ms)`).join(', ') : <span className="muted">none</span>}
        </dd>
        <dt>Paused at Docker level</dt>
        <dd data-testid="ks-paused">
          {okPaused.length || round.alreadyPaused.length ? (
            [...okPaused.map((p) => p.agentId), ...round.alreadyPaused.map((id) => `${id} (already paused)`)].join(', ')
          ) : (
            <span className="muted">none</span>
          )}
        </dd>
        {failedPaused.length > 0 && (
          <>
            <dt className="field-error">Could NOT pause</dt>
            <dd className="field-error" data-testid="ks-pause-failed">
              {failedPaused.map((p) => `${p.agentId}${p.error ? `: ${p.error}` : ''}`).join('; ')}
            </dd>
          </>
        )}
        {round.silent.length > 0 && (
          <>
            <dt>Silent (not execution)</dt>
            <dd className="muted">{round.silent.join(', ')}</dd>
          </>
        )}
      </dl>
    </div>
  )
}

function describe(k: Killswitch): string {
  return `${k.reason ?? 'no reason'} — ${k.who ?? 'unknown'}${k.at ? ` at ${new Date(k.at).toLocaleString()}` : ''}`
}

/** Word for word what a release does; the same sentence is in the core's warning and the README. */
export const RELEASE_TEXT =
  'Releasing re-arms the killswitch but leaves trading DISABLED: it stays off until someone runs "Resume trading" (admin). It resumes only the containers the killswitch itself paused; containers paused before it engaged stay paused. Needs the admin scope.'
const RESUME_TEXT =
  'Resuming lifts the killswitch latch. Trading then follows the schedule: enabled now if the trading window is open, otherwise at the next scheduled start. With no schedule configured, trading is enabled now. Needs the admin scope; recorded in the audit log.'

/**
 * Engaging stops trading; releasing (admin) only re-arms the switch, and trading stays latched off
 * until "Resume trading", a deliberate act of its own. What is shown comes from the core's safety
 * state: with Redis unreachable the switch is *unknown*, and Engage says why it is disabled.
 */
export function KillswitchPanel() {
  const monitorKs = useMonitor((s) => s.killswitch)
  const lastResult = useMonitor((s) => s.lastResult)
  const safety = useSafety((s) => s.state)
  const stale = useSafety((s) => s.stale)
  const fact = safety?.killswitch ?? null
  const known = fact?.known === true ? fact.value : null
  const ks = known ? monitorKs : null
  const tradingFact = safety?.trading ?? null
  const [busy, setBusy] = useState<'engage' | 'release' | 'resume' | null>(null)
  const [error, setError] = useState<string | null>(null)

  const engage = async () => {
    const r = await confirmAction({
      title: 'Engage the killswitch?',
      message:
        'This stops trading now: the trading flag is disabled, the switch is announced on the bus, the stack is paused and execution agents that do not acknowledge are paused at Docker level.',
      confirmLabel: 'Engage killswitch',
      danger: true,
      reasonLabel: 'Reason (recorded in the audit log)',
    })
    if (!r.ok) return
    setBusy('engage')
    setError(null)
    noteLocalEngage()
    try {
      const res = await getClient().call('bus.killswitch.engage', { reason: r.reason, confirm: true })
      useMonitor.getState().setKillswitch(res.state, res)
      const failed = Object.values(res.actions).filter((a) => a.status === 'failed').length
      if (failed || res.warnings.length) toast.warning('Killswitch engaged, with problems', [...res.warnings, `${failed} action(s) failed`].join('\n'), true)
      else toast.success('Killswitch engaged', 'Trading is disabled.')
    } catch (e) {
      setError(messageOf(e))
      toast.error('Could not engage the killswitch', messageOf(e))
    } finally {
      noteLocalEngage(true)
      setBusy(null)
    }
  }

  const release = async () => {
    const r = await confirmAction({
      title: 'Release the killswitch?',
      message: RELEASE_TEXT,
      confirmLabel: 'Release killswitch',
      danger: true,
      reasonLabel: 'Reason for releasing (recorded in the audit log)',
    })
    if (!r.ok) return
    setBusy('release')
    setError(null)
    try {
      const res = await getClient().call('bus.killswitch.release', { reason: r.reason, confirm: true })
      useMonitor.getState().setKillswitch(res.state, res)
      // Sticky: the trader must see that trading did NOT come back.
      toast.warning('Killswitch released: trading stays DISABLED', res.warnings.join('\n') || 'Run "Resume trading" to let it follow the schedule again.', true)
    } catch (e) {
      const forbidden = e instanceof CallError && e.code === 'forbidden'
      const msg = forbidden ? `Releasing needs the admin scope, and this session does not have it. (${e.message})` : messageOf(e)
      setError(msg)
      toast.error(forbidden ? 'Release refused: admin only' : 'Could not release the killswitch', msg)
    } finally {
      setBusy(null)
    }
  }

  const resume = async () => {
    const r = await confirmAction({
      title: 'Resume trading?',
      message: RESUME_TEXT,
      confirmLabel: 'Resume trading',
      danger: true,
      reasonLabel: 'Reason for resuming (recorded in the audit log)',
    })
    if (!r.ok) return
    setBusy('resume')
    setError(null)
    try {
      const res = await getClient().call('trading.resume', { reason: r.reason, confirm: true })
      useSafety.getState().apply(res.state)
      if (res.tradingEnabled) toast.success('Trading resumed', res.outcome)
      else toast.warning('Latch lifted, trading still off', res.outcome, true)
    } catch (e) {
      const forbidden = e instanceof CallError && e.code === 'forbidden'
      const msg = forbidden ? `Resuming trading needs the admin scope, and this session does not have it. (${e.message})` : messageOf(e)
      setError(msg)
      toast.error(forbidden ? 'Resume refused: admin only' : 'Could not resume trading', msg)
    } finally {
      setBusy(null)
    }
  }

  const engaged = known?.engaged === true
  const latched = known !== null && !known.engaged && known.latched
  const blocked = blockedBy(safety, stale, 'killswitch')
  const tradingLabel = !tradingFact || !tradingFact.known ? 'unknown' : tradingFact.value.enabled ? 'enabled' : 'DISABLED'
  const tradingEnabled = tradingFact?.known ? tradingFact.value.enabled : null
  return (
    <section
      className={`card ks-panel ${engaged ? 'ks-engaged' : ''}`}
      aria-labelledby="ks-title"
      data-testid="killswitch-panel"
      data-engaged={known ? String(engaged) : 'unknown'}
      data-latched={known ? String(latched) : 'unknown'}
      role={engaged ? 'alert' : undefined}
    >
      <div className="row">
        <h2 id="ks-title" className="ks-title">
          {engaged ? 'KILLSWITCH ENGAGED' : latched ? 'Killswitch released · trading latched off' : known ? 'Killswitch released' : 'Killswitch'}
        </h2>
        {fact && !fact.known && (
          <span className="badge badge-unknown" data-testid="ks-unknown">
            {unknownText(fact)}
          </span>
        )}
        {known && fact?.known && (
          <span className="small ks-meta" data-testid="ks-meta">
            v{fact.version} · {known.stored ? 'stored in Redis' : <strong>NOT yet stored in Redis (written on reconnect)</strong>}
          </span>
        )}
        <span
          className={`badge ${tradingEnabled === false ? 'badge-bad' : tradingEnabled ? 'badge-ok' : 'badge-unknown'}`}
          data-testid="trading-state"
          data-enabled={String(tradingEnabled)}
          title={tradingFact && !tradingFact.known ? unknownText(tradingFact) : undefined}
        >
          trading {tradingLabel}
        </span>
        <span className="spacer" />
        {!engaged && (
          <button
            className="danger ks-button"
            disabled={busy !== null || blocked !== null}
            title={blocked ?? undefined}
            onClick={() => void engage()}
            data-testid="ks-engage"
          >
            {busy === 'engage' ? 'Engaging…' : 'Engage killswitch…'}
          </button>
        )}
        {latched && (
          <button className="ks-resume" disabled={busy !== null || blocked !== null} title={blocked ?? RESUME_TEXT} onClick={() => void resume()} data-testid="ks-resume">
            {busy === 'resume' ? 'Resuming…' : 'Resume trading… (admin)'}
          </button>
        )}
        {engaged && (
          <button className="ks-release" disabled={busy !== null || blocked !== null} title={blocked ?? RELEASE_TEXT} onClick={() => void release()} data-testid="ks-release">
            {busy === 'release' ? 'Releasing…' : 'Release… (admin)'}
          </button>
        )}
      </div>
      {blocked && !engaged && (
        <p className="small muted" data-testid="ks-engage-blocked">
          Engage is disabled: {blocked} To stop now without Redis, pause the stack from the Stack tab (Docker-level), or run
          <code> stackdeck killswitch engage</code>, which pauses at Docker level and stores the switch when Redis returns.
        </p>
      )}
      {latched && (
        <p className="ks-latch-note" data-testid="ks-latch-note">
          The killswitch is released and re-armed, but trading stays <strong>DISABLED</strong> until someone runs “Resume trading”
          {known?.resumeMode === 'next-start' ? ' or the next scheduled start opens a window' : ''}. A release resumes only the containers the killswitch itself paused; any paused before it engaged stay paused.
        </p>
      )}
      {ks && (ks.reason || ks.who) && (
        <p className="ks-reason" data-testid="ks-reason">
          {engaged ? 'Engaged' : 'Last change'}: {describe(ks)}
        </p>
      )}
      {error && (
        <p className="field-error ks-error" role="alert" data-testid="ks-error">
          {error}
        </p>
      )}
      {(lastResult || ks?.lastRound) && (
        <div className="ks-details">
          {lastResult && <Actions r={lastResult} />}
          {ks?.lastRound && <Round round={ks.lastRound} />}
        </div>
      )}
    </section>
  )
}
