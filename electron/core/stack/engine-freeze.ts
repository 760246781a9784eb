import type { Readable } from 'node:stream'
import { deadline } from './docker-calls'
import type { EndpointClient } from './endpoint-url'

/**
 * The freeze as the ENGINE saw it: first `pause` event to last `unpause` event of the given
 * containers, from each engine's own event log (`GET /events?since&until`), in the engine's
 * nanosecond clock. This is the window in which the trader's containers were really frozen; a
 * figure taken on Stackdeck's clock also counts the requests' round trips and its own steps.
 *
 * Several endpoints have several clocks: the window is computed per endpoint and the widest one is
 * reported, never a difference between two engines' clocks.
 */

export interface EngineFreeze {
  ms: number
  pauses: number
  unpauses: number
  /** Endpoint ids whose events were read. */
  endpoints: string[]
}

interface DockerEvent {
  status?: string
  Action?: string
  id?: string
  Actor?: { ID?: string }
  timeNano?: number
}

async function readEvents(client: EndpointClient, ids: string[], sinceMs: number, untilMs: number, timeoutMs: number): Promise<DockerEvent[]> {
  const dl = deadline(timeoutMs)
  try {
    const filters = JSON.stringify({ type: ['container'], event: ['pause', 'unpause'], container: ids })
    const stream = (await client.docker.getEvents({
      since: (sinceMs / 1000).toFixed(3),
      until: (untilMs / 1000).toFixed(3),
      filters,
      abortSignal: dl.signal,
    } as object)) as Readable
    let text = ''
    for await (const chunk of stream) text += String(chunk)
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as DockerEvent)
  } finally {
    dl.done()
  }
}

/**
 * null when the window cannot be told from the events (an engine did not answer, or not every
 * pause has its unpause yet): the caller then says it used its own clock.
 */
export async function engineFreezeWindow(
  clients: ReadonlyMap<string, EndpointClient>,
  refs: ReadonlyArray<{ id: string; endpoint: string }>,
  sinceMs: number,
  untilMs: number,
  timeoutMs = 3000,
): Promise<EngineFreeze | null> {
  if (refs.length === 0) return null
  const byEndpoint = new Map<string, string[]>()
  for (const r of refs) byEndpoint.set(r.endpoint, [...(byEndpoint.get(r.endpoint) ?? []), r.id])
  let widest = 0
  let pauses = 0
  let unpauses = 0
  try {
    for (const [endpoint, ids] of byEndpoint) {
      const client = clients.get(endpoint)
      if (!client) return null
      // The engine stamps events with its own clock: widen the query by a second each side, the
      // container filter keeps it to this run's containers, and the pairing below to this window.
      const events = await readEvents(client, ids, sinceMs - 1000, untilMs + 1000, timeoutMs)
      const action = (e: DockerEvent) => e.Action ?? e.status
      const p = events.filter((e) => action(e) === 'pause' && e.timeNano !== undefined)
      const u = events.filter((e) => action(e) === 'unpause' && e.timeNano !== undefined)
      if (p.length === 0 || u.length < p.length) return null
      const first = Math.min(...p.map((e) => e.timeNano as number))
      const last = Math.max(...u.map((e) => e.timeNano as number))
      if (last < first) return null
      widest = Math.max(widest, (last - first) / 1e6)
      pauses += p.length
      unpauses += u.length
    }
  } catch {
    return null
  }
  return { ms: Math.round(widest * 10) / 10, pauses, unpauses, endpoints: [...byEndpoint.keys()] }
}
