import type { OpResult } from '@contract'
import { formatDuration, plural } from '../../lib/format'

/** Pure helpers of the supervision UI: wording, countdowns and failed-transition detection. */

export type SuperviseStatus = OpResult<'supervise.status'>
export type ServiceSupervision = SuperviseStatus['services'][number]
export type SupervisionState = ServiceSupervision['state']
export type ManualRestart = OpResult<'supervise.restart'>

/** Badge tone per state; failed is the only red one so it cannot be mistaken for anything else. */
export const STATE_TONE: Record<SupervisionState, 'ok' | 'warn' | 'bad' | 'muted'> = {
  healthy: 'ok',
  degraded: 'warn',
  recovering: 'warn',
  failed: 'bad',
  blocked: 'warn',
  disabled: 'muted',
  // Neutral, never green: not knowing is not the same as fine.
  unknown: 'muted',
}

export const STATE_HELP: Record<SupervisionState, string> = {
  healthy: 'All desired containers are running and healthy.',
  degraded: 'A problem Stackdeck is not acting on (or fewer containers than desired: Stackdeck does not create containers).',
  recovering: 'A restart is pending or proving itself.',
  failed: 'Auto-heal gave up after too many failed restarts. Fix the cause, then reset.',
  blocked: 'Auto-heal is holding off (killswitch, Save & Restart, or a trader pause).',
  disabled: 'Auto-heal is off for this service: reported only.',
  unknown: 'Stackdeck cannot see the containers of this service right now (for example the engine is unreachable): nothing is counted and nothing is restarted until it can.',
}

/** "unknown: engine unreachable: local (…) since 21:40:01", or '' when the state is known. */
export function unknownText(s: ServiceSupervision): string {
  if (!s.unknown) return ''
  const at = new Date(s.unknown.since)
  const since = Number.isFinite(at.getTime()) ? ` since ${at.toLocaleTimeString()}` : ''
  return `unknown: ${s.unknown.reason}${since}`
}

/** "3", or "?" while the count is unknown (never a 0 that reads as "no containers"). */
export const countText = (n: number | null): string => (n === null ? '?' : String(n))

/**
 * Services that turned failed since the previous known states. A service seen for the first time
 * is not a transition (the panel already shows it loud); states survive the view unmounting, so a
 * failure that happened while another tab was open is still announced on return.
 */
export function newlyFailed(prev: ReadonlyMap<string, SupervisionState>, next: SuperviseStatus): ServiceSupervision[] {
  return next.services.filter((s) => s.state === 'failed' && prev.has(s.service) && prev.get(s.service) !== 'failed')
}

export function statesOf(status: SuperviseStatus): Map<string, SupervisionState> {
  return new Map(status.services.map((s) => [s.service, s.state]))
}

/** Why it failed, in words, from the most specific source available. */
export function failureReason(s: ServiceSupervision): string {
  const fromContainer = s.containers.find((c) => c.problem)?.problem
  const why = s.lastProblem ?? fromContainer
  const tries = `gave up after ${s.consecutiveFailures} consecutive failed restart${s.consecutiveFailures === 1 ? '' : 's'}`
  return why ? `${why} (${tries})` : tries
}

/** "in 4s", "due now", or '' when no attempt is scheduled. */
export function countdown(nextAttemptAt: string | undefined, now: number): string {
  if (!nextAttemptAt) return ''
  const at = Date.parse(nextAttemptAt)
  if (!Number.isFinite(at)) return ''
  const s = Math.ceil((at - now) / 1000)
  return s <= 0 ? 'due now' : `in ${formatDuration(s)}`
}

/** "3s ago", "never". */
export function ago(iso: string | null | undefined, now: number): string {
  if (!iso) return 'never'
  const at = Date.parse(iso)
  if (!Number.isFinite(at)) return '—'
  return `${formatDuration(Math.max(0, (now - at) / 1000))} ago`
}

/** One line for the outcome of a manual restart. */
export function summarizeRestart(r: ManualRestart): { ok: boolean; text: string; problems: string[] } {
  const count = (o: string) => r.containers.filter((c) => c.outcome === o).length
  const problems = r.containers.filter((c) => c.outcome === 'failed').map((c) => `${c.name}: ${c.error ?? 'failed'}`)
  const parts = [`${count('ok')} ok`, count('skipped') ? `${count('skipped')} skipped` : '', problems.length ? `${problems.length} failed` : ''].filter(Boolean)
  return { ok: problems.length === 0, text: `${plural(r.containers.length, 'container')}: ${parts.join(', ')}`, problems }
}
