import type { Readable } from 'node:stream'
import { performance } from 'node:perf_hooks'
import { deadline, endpointError, info, inspectOrGone } from './docker-calls'
import type { EndpointClient } from './endpoint-url'
import { LogLineDecoder, splitTimestamp } from './lines'
import { dockerErrorMessage, isAbort } from './outcome'
import { parseDockerTime, toState, type ContainerRecord } from './selection'
import type { ContainerState, ReloadContainerResult, ReloadServiceResult, ServiceSpec } from './types'

/** Daemon clock minus local clock, and how far off that estimate may be. */
export interface ClockSkew {
  skewMs: number
  uncertaintyMs: number
}

/**
 * Log timestamps come from the daemon's clock, the signal time from ours. A unix socket is the
 * same machine, hence the same clock. For remote daemons, compare /info's SystemTime with the
 * midpoint of the request; if that fails, allow a 1 s margin rather than give up.
 */
export async function measureSkew(
  client: EndpointClient,
  isLocal: boolean,
  timeoutMs: number,
): Promise<ClockSkew> {
  if (isLocal) return { skewMs: 0, uncertaintyMs: 0 }
  const dl = deadline(timeoutMs)
  try {
    const t0 = Date.now()
    const sys = await info(client, dl.signal)
    const t1 = Date.now()
    const daemon = parseDockerTime(sys.SystemTime)
    if (daemon === null) return { skewMs: 0, uncertaintyMs: 1000 }
    return { skewMs: daemon - (t0 + t1) / 2, uncertaintyMs: Math.ceil((t1 - t0) / 2) + 1 }
  } catch {
    return { skewMs: 0, uncertaintyMs: 1000 }
  } finally {
    dl.done()
  }
}

const ms1 = (t0: number) => Math.round((performance.now() - t0) * 10) / 10

/**
 * The container's state right now, by inspect. A reload may only talk to a RUNNING container:
 * Docker delivers a signal to a paused one by unfreezing it first (moby#37137), so signalling a
 * container someone else paused would thaw what the trader froze. A snapshot is not enough here,
 * since it may be a few ms old; the inspect is the last thing before the signal.
 */
async function stateNow(
  client: EndpointClient,
  id: string,
  signal: AbortSignal,
): Promise<ContainerState | 'gone'> {
  const i = await inspectOrGone(client, id, signal)
  if (i === 'gone') return 'gone'
  return i.State.Paused ? 'paused' : toState(i.State.Status)
}

/** Why a container was not signalled, or null when it is running and may be. */
function notSignalled(state: ContainerState | 'gone'): Pick<ReloadContainerResult, 'deferred' | 'error'> | null {
  if (state === 'running') return null
  if (state === 'paused')
    return {
      deferred: 'paused',
      error: 'paused by someone else: not signalled (a signal would unfreeze it); reload deferred',
    }
  return { error: state === 'gone' ? 'container is gone' : `not running (${state}): not signalled` }
}

/**
 * Signal one container (when the service has a signal) and wait for a log line matching `pattern`
 * stamped at or after the signal. The log stream is opened BEFORE the signal so the evidence cannot
 * slip between signal and subscription; `since` (whole seconds, minus 1 s) only trims the backlog,
 * the per-line timestamp comparison is what decides. A container that is not running when it is
 * inspected just before the signal gets no signal at all (see `stateNow`).
 */
export async function reloadContainer(
  client: EndpointClient,
  rec: ContainerRecord,
  spec: ServiceSpec,
  pattern: RegExp | null,
  skew: ClockSkew,
  /** Local epoch ms from which evidence counts for services without a signal; default: now. */
  sinceMs: number | null,
): Promise<ReloadContainerResult> {
  const t0 = performance.now()
  const base = { id: rec.id, name: rec.name, endpoint: rec.endpoint }
  const signal = spec.reload.signal
  const container = client.docker.getContainer(rec.id)
  const dl = deadline(Math.max(1, spec.reload.timeoutMs))
  const checkState = async (): Promise<ReloadContainerResult | null> => {
    const skip = notSignalled(await stateNow(client, rec.id, dl.signal))
    return skip ? { ...base, proved: false, ...skip, ms: ms1(t0) } : null
  }

  if (pattern === null) {
    try {
      const skip = await checkState()
      if (skip) return skip
      if (signal) await container.kill({ signal, abortSignal: dl.signal })
      return { ...base, proved: false, ms: ms1(t0) }
    } catch (err) {
      return {
        ...base,
        proved: false,
        error: `signal ${signal}: ${endpointError(err, spec.reload.timeoutMs)}`,
        ms: ms1(t0),
      }
    } finally {
      dl.done()
    }
  }

  let stream: Readable | null = null
  try {
    const localStart = signal ? Date.now() : (sinceMs ?? Date.now())
    const sinceS = Math.floor((localStart + skew.skewMs - skew.uncertaintyMs) / 1000) - 1
    stream = (await container.logs({
      follow: true,
      stdout: true,
      stderr: true,
      timestamps: true,
      since: sinceS,
      abortSignal: dl.signal,
    } as object)) as unknown as Readable
    // A frozen container cannot print its evidence either (services that watch the file
    // themselves included): report it deferred now instead of waiting out the timeout.
    const skip = await checkState()
    if (skip) return skip
    // Evidence must be stamped after this instant (daemon clock), taken just before the signal.
    const threshold = (signal ? Date.now() : (sinceMs ?? localStart)) + skew.skewMs - skew.uncertaintyMs
    const s = stream
    const evidence = new Promise<{ line: string; at: string } | { error: string }>((resolve) => {
      const decoder = new LogLineDecoder()
      const check = (lines: Array<{ line: string }>) => {
        for (const { line } of lines) {
          const parts = splitTimestamp(line)
          if (parts && parts.ms >= Math.floor(threshold) && pattern.test(parts.text)) {
            resolve({ line: parts.text, at: parts.ts })
            return
          }
        }
      }
      s.on('data', (chunk: Buffer) => check(decoder.push(chunk)))
      s.on('end', () => {
        check(decoder.flush())
        resolve({ error: 'log stream ended (container stopped?) before the evidence appeared' })
      })
      const timedOut = `no log line matching /${pattern.source}/ within ${spec.reload.timeoutMs} ms`
      // Our deadline destroys the response; how that surfaces ('aborted', AbortError, close) varies.
      s.on('error', (err) =>
        resolve({ error: dl.signal.aborted || isAbort(err) ? timedOut : dockerErrorMessage(err) }),
      )
      s.on('close', () =>
        resolve({ error: dl.signal.aborted ? timedOut : 'log stream closed before the evidence appeared' }),
      )
    })
    if (signal) {
      try {
        await container.kill({ signal, abortSignal: dl.signal })
      } catch (err) {
        return {
          ...base,
          proved: false,
          error: `signal ${signal}: ${endpointError(err, spec.reload.timeoutMs)}`,
          ms: ms1(t0),
        }
      }
    }
    const found = await evidence
    if ('error' in found) return { ...base, proved: false, error: found.error, ms: ms1(t0) }
    return { ...base, proved: true, line: found.line, at: found.at, ms: ms1(t0) }
  } catch (err) {
    const msg = isAbort(err)
      ? `no answer within ${spec.reload.timeoutMs} ms`
      : endpointError(err, spec.reload.timeoutMs)
    return { ...base, proved: false, error: msg, ms: ms1(t0) }
  } finally {
    dl.done()
    stream?.destroy()
  }
}

/**
 * Containers a reload looks at: the ones with a process. Paused ones are listed so the report can
 * say their reload was deferred; they are never signalled (see `stateNow`).
 */
export const reloadable = (r: ContainerRecord) =>
  r.state === 'running' || r.state === 'paused' || r.state === 'restarting'

export async function reloadService(
  spec: ServiceSpec,
  pattern: RegExp | null,
  targets: ReadonlyArray<{ client: EndpointClient; rec: ContainerRecord; skew: ClockSkew }>,
  sinceMs: number | null,
): Promise<ReloadServiceResult> {
  const t0 = performance.now()
  const containers = await Promise.all(
    targets.map((t) => reloadContainer(t.client, t.rec, spec, pattern, t.skew, sinceMs)),
  )
  // Paused containers are judged apart: their reload is deferred, not failed and not proved.
  const live = containers.filter((c) => c.deferred === undefined)
  const deferred = containers.filter((c) => c.deferred !== undefined).map((c) => c.name)
  const allDeferred = containers.length > 0 && live.length === 0
  const result: ReloadServiceResult = {
    service: spec.name,
    signal: spec.reload.signal,
    status: allDeferred
      ? 'deferred'
      : pattern === null
        ? 'unverifiable'
        : live.length > 0 && live.every((c) => c.proved)
          ? 'proved'
          : 'not_proved',
    containers,
    deferred,
    ms: ms1(t0),
  }
  if (containers.length === 0) result.error = 'no running containers'
  else if (allDeferred) result.error = 'reload deferred: every container is paused by someone else'
  else if (pattern === null) result.error = 'no logPattern configured: the reload cannot be verified'
  return result
}
