import { setMaxListeners } from 'node:events'
import type Docker from 'dockerode'
import { CoreError } from '../errors'
import type { EndpointClient } from './endpoint-url'
import { dockerErrorMessage, isAbort, statusCodeOf } from './outcome'
import {
  commonLabelFilters,
  matchesSelector,
  recordFromInspect,
  recordFromSummary,
  servicesOn,
  type ContainerRecord,
} from './selection'
import type { ServiceSpec } from './types'

/** An AbortSignal that fires after `ms`, plus the means to stop the timer early. */
export function deadline(ms: number): { signal: AbortSignal; done: () => void } {
  const ac = new AbortController()
  // One deadline legitimately covers many requests (a list plus N inspects); each adds a listener.
  setMaxListeners(0, ac.signal)
  const t = setTimeout(() => ac.abort(), ms)
  return { signal: ac.signal, done: () => clearTimeout(t) }
}

// @types/dockerode omits the options argument of ping/info, which dockerode accepts (abortSignal).
type WithSignal = { abortSignal: AbortSignal }
export const ping = (client: EndpointClient, signal: AbortSignal): Promise<unknown> =>
  (client.docker as unknown as { ping(o: WithSignal): Promise<unknown> }).ping({ abortSignal: signal })
export const info = (client: EndpointClient, signal: AbortSignal): Promise<{ SystemTime?: string }> =>
  (client.docker as unknown as { info(o: WithSignal): Promise<{ SystemTime?: string }> }).info({
    abortSignal: signal,
  })

/** A human message for an endpoint-level failure (socket missing, refused, timed out…). */
export function endpointError(err: unknown, timeoutMs: number): string {
  if (isAbort(err)) return `no answer within ${timeoutMs} ms`
  const code = (err as { code?: unknown } | null)?.code
  const msg = dockerErrorMessage(err)
  return typeof code === 'string' && !msg.includes(code) ? `${code}: ${msg}` : msg
}

/**
 * List the stack containers of one endpoint. `inspect: true` adds one inspect per container (in
 * parallel) for the exact start time and health; targeting an action does not need them.
 * Throws CoreError('unavailable') when the endpoint does not answer within `timeoutMs`.
 */
export async function listEndpoint(
  client: EndpointClient,
  services: readonly ServiceSpec[],
  opts: { timeoutMs: number; inspect: boolean },
): Promise<ContainerRecord[]> {
  const mine = servicesOn(services, client.id)
  const dl = deadline(opts.timeoutMs)
  try {
    if (mine.length === 0) {
      await ping(client, dl.signal)
      return []
    }
    const labels = commonLabelFilters(mine)
    const filters = JSON.stringify(labels.length > 0 ? { label: labels } : {})
    const list = await client.docker.listContainers({
      all: true,
      filters,
      abortSignal: dl.signal,
    } as Docker.ContainerListOptions)
    const matching = list
      .map((c) => recordFromSummary(c, client.id))
      .filter((r) => mine.some((s) => matchesSelector(r.labels, s.selector)))
    if (!opts.inspect) return matching
    const inspected = await Promise.all(
      matching.map(async (r) => {
        try {
          const info = await client.docker.getContainer(r.id).inspect({ abortSignal: dl.signal } as object)
          return recordFromInspect(info, client.id)
        } catch (err) {
          // Removed between list and inspect: it is simply not there any more.
          if (statusCodeOf(err) === 404) return null
          throw err
        }
      }),
    )
    return inspected.filter((r): r is ContainerRecord => r !== null)
  } catch (err) {
    throw new CoreError(
      'unavailable',
      `docker endpoint ${client.id}: ${endpointError(err, opts.timeoutMs)}`,
      { cause: err },
    )
  } finally {
    dl.done()
  }
}

/** Inspect one container; 'gone' on 404. Other errors propagate. */
export async function inspectOrGone(
  client: EndpointClient,
  id: string,
  signal?: AbortSignal,
): Promise<Docker.ContainerInspectInfo | 'gone'> {
  try {
    return await client.docker.getContainer(id).inspect((signal ? { abortSignal: signal } : {}) as object)
  } catch (err) {
    if (statusCodeOf(err) === 404) return 'gone'
    throw err
  }
}
