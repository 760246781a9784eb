import type { HeartbeatT, RunHealth, RunState } from '@core/api/contract/runs'
import { CoreError } from '@core/errors'

/**
 * The pure rules of runs (seed 004's validation matrix): which state changes are legal, when a
 * heartbeat goes backwards, what a command's params must hold, and the health a heartbeat's age
 * means. No clock, no I/O: the registry passes times in.
 */

/** queued → running → paused → running → completed | failed | terminated; the three ends are final. */
const LEGAL: Record<RunState, readonly RunState[]> = {
  queued: ['running', 'failed', 'terminated'],
  running: ['paused', 'completed', 'failed', 'terminated'],
  paused: ['running', 'completed', 'failed', 'terminated'],
  completed: [],
  failed: [],
  terminated: [],
}

export const isFinal = (s: RunState): boolean => LEGAL[s].length === 0

export function checkTransition(runId: string, from: RunState, to: RunState): void {
  if (LEGAL[from].includes(to)) return
  const allowed = LEGAL[from]
  throw new CoreError(
    'conflict',
    `Run ${runId} is ${from}; it cannot become ${to} (${allowed.length ? `allowed: ${allowed.join(', ')}` : `${from} is final`})`,
    { path: '/to' },
  )
}

export interface LastBeat {
  step: number
  checkpoint_version: number
  /** The canonical text of the last accepted heartbeat, to spot an exact repeat. */
  canonical: string
  /** Whether that heartbeat's one idempotent repeat was already used. */
  repeated: boolean
}

/** Stable text of a heartbeat for the duplicate check: key order never makes two equal beats differ. */
export function canonicalBeat(beat: HeartbeatT): string {
  const sort = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]))
      : Array.isArray(v)
        ? v.map(sort)
        : v
  return JSON.stringify(sort(beat))
}

export type BeatVerdict = { kind: 'accept' } | { kind: 'duplicate' }

/**
 * A heartbeat is refused (409) when step or checkpoint_version is lower than the last accepted
 * one, naming the field and both values. Equal values are fine (an agent may beat while it waits).
 * An exact repeat of the last heartbeat is accepted once, without recording it again: a client that
 * retried after a lost answer must not fail; a second repeat is a stuck agent and counts again.
 */
export function judgeBeat(runId: string, last: LastBeat | null, beat: HeartbeatT): BeatVerdict {
  if (!last) return { kind: 'accept' }
  if (!last.repeated && canonicalBeat(beat) === last.canonical) return { kind: 'duplicate' }
  for (const field of ['step', 'checkpoint_version'] as const) {
    if (beat[field] < last[field]) {
      throw new CoreError('conflict', `Run ${runId}: ${field} ${beat[field]} is lower than the last accepted ${last[field]}`, {
        path: `/${field}`,
        details: [{ path: `/${field}`, message: `got ${beat[field]}, last accepted ${last[field]}` }],
      })
    }
  }
  return { kind: 'accept' }
}

/** `tune` changes something, so it must say what; the others carry optional context only. */
export function checkCommandParams(type: string, params: Record<string, unknown>): void {
  if (type === 'tune' && Object.keys(params).length === 0) {
    throw new CoreError('invalid_input', 'A tune command needs at least one field in params', { path: '/params' })
  }
}

export interface HealthThresholds {
  lateAfterMs: number
  unhealthyAfterMs: number
  lostAfterMs: number
}

/**
 * The health a run shows. Ended and paused come from its state (a paused run is expected to be
 * quiet); a paused container pauses the run's health too, so a frozen stack never reads as lost.
 * Otherwise the age of the last heartbeat decides; a running run that never beat counts from
 * when it started running.
 */
export function healthOf(
  run: { state: RunState; lastHeartbeatAt: string | null; stateSince: string },
  now: number,
  t: HealthThresholds,
  containerPaused: boolean,
): RunHealth {
  if (isFinal(run.state)) return 'ended'
  if (run.state === 'paused' || containerPaused) return 'paused'
  if (run.state === 'queued' && !run.lastHeartbeatAt) return 'pending'
  const since = Date.parse(run.lastHeartbeatAt ?? run.stateSince)
  const age = now - since
  if (age >= t.lostAfterMs) return 'lost'
  if (age >= t.unhealthyAfterMs) return 'unhealthy'
  if (age >= t.lateAfterMs) return 'late'
  return 'healthy'
}
