import type { ActionKind, ContainerState, Outcome } from './types'

/**
 * What the action call itself told us, before we look at the container:
 * - done: 2xx
 * - already: Docker says the container is in the wanted state (409 "already paused", 304 not modified)
 * - inapplicable: 409 that means the action does not apply to the current state ("not running", "not paused")
 * - gone: 404
 * - conflict: any other 409 (e.g. "is paused. Unpause the container before stopping or killing")
 * - aborted: our own deadline fired
 * - failed: anything else, including transport errors
 */
export type CallVerdict = 'done' | 'already' | 'inapplicable' | 'gone' | 'conflict' | 'aborted' | 'failed'

interface ErrorLike {
  statusCode?: unknown
  message?: unknown
  json?: unknown
  name?: unknown
  code?: unknown
}

/** The daemon's own message when there is one, else the transport error's. */
export function dockerErrorMessage(err: unknown): string {
  const e = (err ?? {}) as ErrorLike
  const json = e.json as { message?: unknown } | null | undefined
  if (json && typeof json === 'object' && typeof json.message === 'string') return json.message.trim()
  if (typeof e.message === 'string') return e.message.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim()
  return String(err)
}

export function statusCodeOf(err: unknown): number | undefined {
  const code = (err as ErrorLike | null)?.statusCode
  return typeof code === 'number' ? code : undefined
}

export function isAbort(err: unknown): boolean {
  const e = err as ErrorLike | null
  return e?.name === 'AbortError' || e?.code === 'ABORT_ERR'
}

export function classifyCallError(action: ActionKind, err: unknown): CallVerdict {
  if (isAbort(err)) return 'aborted'
  const status = statusCodeOf(err)
  if (status === 404) return 'gone'
  if (status === 304) return 'already'
  // Docker 20.10 answers "is not paused" with 500, newer engines with 409: read the message for both.
  if (status === 409 || status === 500) {
    const msg = dockerErrorMessage(err).toLowerCase()
    if (action === 'pause' && msg.includes('already paused')) return 'already'
    if (action === 'unpause' && msg.includes('not paused')) return 'inapplicable'
    // "is not running", or 500 "cannot pause a stopped container" while a stop or `rm -f` races us.
    if (
      (action === 'pause' || action === 'signal') &&
      (msg.includes('not running') || msg.includes('stopped container'))
    )
      return 'inapplicable'
    if (status === 409) return 'conflict'
  }
  return 'failed'
}

/** The state an action must reach before it counts as confirmed; null = nothing to wait for. */
export function wantedState(action: ActionKind): ContainerState | null {
  switch (action) {
    case 'pause':
      return 'paused'
    case 'unpause':
    case 'restart':
      return 'running'
    case 'signal':
      return null
  }
}

/**
 * Final outcome from the call verdict and what inspect showed afterwards.
 * `observed` is 'gone' after a 404 from inspect, null when inspect failed for another reason.
 * `reached` says whether the confirm loop saw the wanted state before the deadline.
 */
export function settleOutcome(
  action: ActionKind,
  verdict: CallVerdict,
  observed: ContainerState | 'gone' | null,
  reached: boolean,
): Outcome {
  if (verdict === 'gone' || observed === 'gone') return 'gone'
  // Docker is deleting it (e.g. `rm -f` raced with us): it is leaving, whatever the call said.
  if (observed === 'removing' && verdict !== 'done' && verdict !== 'already') return 'gone'
  const inactive = observed === 'exited' || observed === 'created' || observed === 'dead'
  // A refusal from a container that is not running means the action does not apply, not that it broke.
  if ((verdict === 'failed' || verdict === 'conflict') && inactive && action !== 'restart') return 'skipped'
  switch (verdict) {
    case 'done':
      if (action === 'signal') return 'ok'
      return reached ? 'ok' : 'timeout'
    case 'already':
      return reached ? 'already' : 'timeout'
    case 'inapplicable': {
      // Docker said "not paused" / "not running": the truth is in the state we saw.
      const want = wantedState(action)
      if (want !== null && observed === want) return 'already'
      if (observed === null) return 'failed'
      const active = observed === 'running' || observed === 'paused' || observed === 'restarting'
      return active ? 'failed' : 'skipped'
    }
    case 'aborted':
      return 'timeout'
    case 'conflict':
    case 'failed':
      return 'failed'
  }
}

export const emptyTotals = (): Record<Outcome, number> & { all: number } => ({
  ok: 0,
  already: 0,
  skipped: 0,
  gone: 0,
  failed: 0,
  timeout: 0,
  all: 0,
})

/**
 * The engine refused because the container is not running, yet inspect still says it runs: during
 * a stop or `rm -f` the two disagree for a few milliseconds. Worth a few more looks before judging,
 * or a container being removed would count as a failure of the action.
 */
export function stateContradictsRefusal(
  action: ActionKind,
  verdict: CallVerdict,
  observed: ContainerState | 'gone' | null,
): boolean {
  return verdict === 'inapplicable' && (action === 'pause' || action === 'signal') && observed === 'running'
}
