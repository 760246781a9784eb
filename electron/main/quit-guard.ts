/**
 * Whether quitting the desktop app needs a confirmation, and what it must say. Quitting stops the
 * core: the trading-window schedule stops switching trading_enabled (it stays as last written, so a
 * window that should close at 16:00 does not), supervision stops healing, and the control API goes
 * away. When a schedule or supervision is active the trader is asked, with each of these named;
 * otherwise the app quits at once. Pure and unit-tested; the dialog is in desktop-shell.ts.
 */
import type { SafetyStateT } from '@core/api/contract/state'
import type { SuperviseStatusT } from '@core/api/contract/supervise'
import type { Confirmation } from './tray-menu'

export interface QuitFacts {
  state: SafetyStateT | null
  /** null when it could not be read (then supervision is reported as possibly active). */
  supervision: SuperviseStatusT | null
  /** The control API's URL, or null when it is off. */
  apiUrl: string | null
}

/** Services the supervisor would heal: auto-heal on, not given up on. */
export function supervisedServices(s: SuperviseStatusT): string[] {
  return s.services
    .filter((x) => x.autoHeal && x.state !== 'disabled' && x.state !== 'failed')
    .map((x) => x.service)
}

export function quitGuard(f: QuitFacts): Confirmation | null {
  const stops: string[] = []
  const sched = f.state?.schedule
  // Not known (still starting, or the state could not be read): it may be running, so say so.
  if (!sched?.known)
    stops.push('the trading-window schedule (its state is not known) stops switching trading, if it is on')
  else if (sched.value.configured) {
    const next =
      sched.value.nextKind && sched.value.nextAt
        ? `; the next ${sched.value.nextKind} at ${sched.value.nextAt} will NOT happen`
        : ''
    const trading = f.state?.trading.known
      ? ` (trading_enabled stays ${String(f.state.trading.value.enabled)})`
      : ''
    stops.push(`the trading-window schedule stops switching trading${trading}${next}`)
  }
  const healed = f.supervision ? supervisedServices(f.supervision) : null
  if (healed === null) stops.push('supervision (its status could not be read) stops healing services')
  else if (healed.length > 0) stops.push(`supervision stops healing ${healed.join(', ')}`)
  if (stops.length === 0) return null
  if (f.apiUrl) stops.push(`the control API at ${f.apiUrl} stops answering (stackdeck commands, scripts)`)
  return {
    title: 'Quit Stackdeck?',
    message: 'Quitting stops what Stackdeck runs for this stack.',
    detail: `${stops.map((s) => `• ${s}`).join('\n')}\n\nClose the window instead to keep it running in the background.`,
    confirmLabel: 'Quit and stop these',
  }
}
