import { useState } from 'react'
import { confirmAction } from '../../store/confirm'
import { wallTime } from './time-format'
import { setOverride, type ScheduleViewData } from './use-schedule'

type Until = 'next-transition' | 'cleared'

/** Force trading on or off by hand, until the next scheduled transition or until cleared. */
export function OverridePanel({ view }: { view: ScheduleViewData }) {
  const [until, setUntil] = useState<Until>('next-transition')
  const [reason, setReason] = useState('')
  const [busy, setBusy] = useState(false)
  const override = view.state.override
  const next = view.next

  const untilText = (u: Until) =>
    u === 'cleared' ? 'until you clear it' : next ? `until the next scheduled transition (${next.kind} at ${wallTime(next.at, next.zone)} ${next.zone})` : 'until the next scheduled transition'

  const force = async (value: boolean) => {
    const ok = await confirmAction({
      title: `Force trading ${value ? 'ON' : 'OFF'}?`,
      message: `trading_enabled becomes ${value} now and stays so ${untilText(until)}, whatever the schedule says.${
        value && view.state.vetoed ? ` Note: ${view.state.vetoed}, which still holds trading off.` : ''
      }`,
      confirmLabel: `Force ${value ? 'ON' : 'OFF'}`,
      danger: value,
    })
    if (!ok.ok) return
    setBusy(true)
    const r = reason.trim()
    if (await setOverride({ value, until, ...(r ? { reason: r } : {}) })) setReason('')
    setBusy(false)
  }

  const clear = async () => {
    const ok = await confirmAction({
      title: 'Clear the override?',
      message: 'The schedule takes over again at once: trading_enabled is set to what the schedule says for now.',
      confirmLabel: 'Clear override',
    })
    if (!ok.ok) return
    setBusy(true)
    await setOverride({ value: null })
    setBusy(false)
  }

  return (
    <section className="card" aria-labelledby="override-title" data-testid="override-panel">
      <h3 id="override-title">Manual override</h3>
      {override ? (
        <p className="small" data-testid="override-current">
          Trading forced <strong className={override.value ? 'text-ok' : 'text-bad'}>{override.value ? 'ON' : 'OFF'}</strong> by{' '}
          <strong>{override.who}</strong>{' '}
          {override.until === 'cleared' ? 'until cleared' : `until ${override.expiresAt ? wallTime(override.expiresAt) : 'the next transition'}`}
          {override.why ? ` — “${override.why}”` : ''}.
        </p>
      ) : (
        <p className="muted small">No override: the schedule decides.</p>
      )}
      <div className="row">
        <label className="field compact">
          <span>Until</span>
          <select value={until} onChange={(e) => setUntil(e.target.value as Until)} data-testid="override-until">
            <option value="next-transition">next transition</option>
            <option value="cleared">cleared by hand</option>
          </select>
        </label>
        <label className="field compact grow">
          <span>Reason (optional)</span>
          <input value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} placeholder="e.g. FOMC at 14:00" data-testid="override-reason" />
        </label>
      </div>
      <div className="row">
        <button className="force-on" disabled={busy} onClick={() => void force(true)} data-testid="force-on">
          Force trading ON
        </button>
        <button className="force-off" disabled={busy} onClick={() => void force(false)} data-testid="force-off">
          Force trading OFF
        </button>
        <span className="spacer" />
        <button disabled={busy || !override} onClick={() => void clear()} data-testid="clear-override" title={override ? undefined : 'No override is set'}>
          Clear override
        </button>
      </div>
    </section>
  )
}
