import type Docker from 'dockerode'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { deadline, endpointError, inspectOrGone } from './docker-calls'
import type { EndpointClient } from './endpoint-url'
import {
  classifyCallError,
  dockerErrorMessage,
  settleOutcome,
  stateContradictsRefusal,
  wantedState,
  type CallVerdict,
} from './outcome'
import { parseDockerTime, toState, type ContainerRecord } from './selection'
import type { ActionKind, ContainerActionResult, ContainerState } from './types'

export interface ActionRequest {
  action: ActionKind
  /** Canonical signal name for 'signal'. */
  signal?: string
  /** Budget for call + confirm of each container. */
  timeoutMs: number
  /** docker restart's `t`: seconds the daemon waits for a graceful stop before SIGKILL. */
  restartStopTimeoutS: number
  /**
   * Inspect first and leave a paused container alone (outcome 'skipped'): a restart or a signal
   * thaws a frozen container (moby#37137), and a caller that did not pause it must not do that.
   */
  unlessPaused?: boolean
  /**
   * pause only: an accepted call (2xx) is the confirmation. The engine answers a pause only once
   * the freezer cgroup reports FROZEN, so the inspect that would confirm it only adds a round trip
   * per container, and Save & Restart pays it inside the freeze. Errors and 'already' are still
   * judged by inspect; its verify step inspects every container afterwards anyway.
   */
  trustAcceptedPause?: boolean
}

function call(c: Docker.Container, req: ActionRequest, signal: AbortSignal): Promise<unknown> {
  switch (req.action) {
    case 'pause':
      return c.pause({ abortSignal: signal })
    case 'unpause':
      return c.unpause({ abortSignal: signal })
    case 'restart':
      return c.restart({ t: req.restartStopTimeoutS, abortSignal: signal })
    case 'signal':
      return c.kill({ signal: req.signal ?? 'SIGTERM', abortSignal: signal })
  }
}

/** Poll waits: start fast because pause/unpause are synchronous in the daemon and usually settled. */
const POLL_MS = [0, 10, 20, 40, 80, 150, 250] as const
/** Looks at a container whose state contradicts the engine's refusal: 0+10+20+40+80+150 ms ≈ 0.3 s. */
const SETTLE_LOOKS = 5

/**
 * Act on one container and confirm by inspect. Never throws: every failure becomes an outcome,
 * so one bad container cannot abort the others running alongside it.
 */
export async function actOnContainer(
  client: EndpointClient,
  rec: ContainerRecord,
  service: string,
  req: ActionRequest,
): Promise<ContainerActionResult> {
  const t0 = performance.now()
  const budget = req.timeoutMs + (req.action === 'restart' ? req.restartStopTimeoutS * 1000 : 0)
  const dl = deadline(budget)
  const base = { id: rec.id, name: rec.name, service, endpoint: rec.endpoint }
  const c = client.docker.getContainer(rec.id)
  let verdict: CallVerdict = 'done'
  let error: string | undefined
  // Docker delivers a signal to a paused container by unfreezing it (moby#37137): a signal would
  // silently resume what someone paused. Look just before sending, and leave paused ones alone.
  // `unlessPaused` (supervision's restarts) extends the same rule to any action, and also refuses to
  // act on a container whose state cannot be told.
  if (req.action === 'signal' || req.unlessPaused) {
    const frozen = await pausedNow(client, rec.id, dl.signal)
    const blocked = req.unlessPaused ? frozen !== false : frozen === true
    if (blocked) {
      dl.done()
      const paused = frozen === true
      return {
        ...base,
        outcome: paused ? 'skipped' : 'failed',
        state: paused ? 'paused' : null,
        error: !paused
          ? `not acted on: ${String(frozen)}`
          : req.action === 'signal'
            ? 'paused: not signalled, because a signal would unfreeze it; resume it first'
            : 'paused by someone else: left frozen',
        ms: Math.round((performance.now() - t0) * 10) / 10,
      }
    }
  }
  try {
    await call(c, req, dl.signal)
  } catch (err) {
    verdict = classifyCallError(req.action, err)
    if (verdict !== 'already' && verdict !== 'gone')
      error = verdict === 'aborted' ? `no answer within ${budget} ms` : endpointError(err, budget)
  }

  let observed: ContainerState | 'gone' | null = null
  let reached = false
  /** Set when a restart did start the container again but its process died at once. */
  let diedAfterRestart: string | null = null
  const want = wantedState(req.action)
  const confirm = verdict === 'done' || verdict === 'already'
  if (req.trustAcceptedPause && req.action === 'pause' && verdict === 'done') {
    observed = 'paused'
    reached = true
  } else if (verdict !== 'gone' && verdict !== 'aborted') {
    for (let i = 0; ; i++) {
      if (i > 0) {
        try {
          await sleep(POLL_MS[Math.min(i, POLL_MS.length - 1)], undefined, { signal: dl.signal })
        } catch {
          break
        }
      }
      try {
        const info = await inspectOrGone(client, rec.id, dl.signal)
        if (info === 'gone') {
          observed = 'gone'
          break
        }
        observed = toState(info.State.Status)
        if (stateContradictsRefusal(req.action, verdict, observed) && i < SETTLE_LOOKS) continue
        if (!confirm || want === null) break
        reached = observed === want && (req.action !== 'restart' || restarted(rec, info))
        if (reached) break
        // Started again and already gone: waiting out the budget would only delay the bad news
        // (and hold a supervisor's backoff hostage to the action timeout).
        if (
          req.action === 'restart' &&
          (observed === 'exited' || observed === 'dead') &&
          restarted(rec, info)
        ) {
          diedAfterRestart = `started again but exited at once (exit code ${info.State.ExitCode})`
          break
        }
      } catch (err) {
        // State unknown. Worth retrying only while confirming an accepted call; after a refused
        // call (endpoint down, say) more polling would only delay the report until the deadline.
        observed = null
        if (dl.signal.aborted) break
        error ??= `inspect: ${dockerErrorMessage(err)}`
        if (!confirm) break
      }
      if (dl.signal.aborted) break
    }
  }
  dl.done()

  const outcome = diedAfterRestart !== null ? 'failed' : settleOutcome(req.action, verdict, observed, reached)
  error ??= diedAfterRestart ?? undefined
  const result: ContainerActionResult = {
    ...base,
    outcome,
    state: observed === 'gone' ? null : observed,
    ms: Math.round((performance.now() - t0) * 10) / 10,
  }
  if (outcome === 'skipped') result.error = error ?? `not applicable in state ${observed ?? 'unknown'}`
  else if (outcome === 'timeout')
    result.error =
      error ?? `not ${want ?? 'confirmed'} within ${budget} ms (last seen ${observed ?? 'unknown'})`
  else if (outcome === 'failed') result.error = error ?? `failed (state ${observed ?? 'unknown'})`
  return result
}

/**
 * True when the container is paused right now, false when it is not, or why that cannot be told
 * (a container we cannot see is not one to act on blindly).
 */
async function pausedNow(client: EndpointClient, id: string, signal: AbortSignal): Promise<boolean | string> {
  try {
    const info = await inspectOrGone(client, id, signal)
    if (info === 'gone') return 'container is gone'
    return info.State.Paused === true || toState(info.State.Status) === 'paused'
  } catch (err) {
    return `inspect: ${dockerErrorMessage(err)}`
  }
}

/** A restart counts only once the container has started again after the one we knew. */
function restarted(rec: ContainerRecord, info: Docker.ContainerInspectInfo): boolean {
  const before = parseDockerTime(rec.startedAt)
  const now = parseDockerTime(info.State.StartedAt)
  return before === null || (now !== null && now > before)
}

/**
 * Every container at once: no serial loop, no shared failure. `stopTimeoutOf`: a restart's grace per
 * service, when the service has its own.
 */
export function actOnAll(
  targets: ReadonlyArray<{ client: EndpointClient; rec: ContainerRecord; service: string }>,
  req: ActionRequest,
  stopTimeoutOf?: (service: string) => number | undefined,
): Promise<ContainerActionResult[]> {
  return Promise.all(
    targets.map((t) => {
      const own = req.action === 'restart' ? stopTimeoutOf?.(t.service) : undefined
      return actOnContainer(
        t.client,
        t.rec,
        t.service,
        own === undefined ? req : { ...req, restartStopTimeoutS: own },
      )
    }),
  )
}
