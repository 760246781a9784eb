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

/** Slack for the engine's clock granularity against ours (a local engine shares our clock). */
const MARGIN_MS = 50

/** Per container its last pause and the first unpause after it; null unless every container has both. */
function perContainer(events: DockerEvent[], ids: readonly string[]): { firstPauseNs: number; lastUnpauseNs: number } | null {
  const action = (e: DockerEvent) => e.Action ?? e.status
  let first = Infinity
  let last = -Infinity
  for (const id of ids) {
    const mine = events
      .filter((e) => (e.Actor?.ID ?? e.id) === id && e.timeNano !== undefined)
      .sort((a, b) => (a.timeNano as number) - (b.timeNano as number))
    const lastPause = mine.filter((e) => action(e) === 'pause').pop()
    if (!lastPause) return null
    const unpause = mine.find((e) => action(e) === 'unpause' && (e.timeNano as number) >= (lastPause.timeNano as number))
    if (!unpause) return null
    first = Math.min(first, lastPause.timeNano as number)
    last = Math.max(last, unpause.timeNano as number)
  }
  return { firstPauseNs: first, lastUnpauseNs: last }
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
      // The query window is widened a little for clock granularity, never far enough to reach the
      // previous run on the same containers; and the pairing below takes, per container, only its
      // LAST pause and the unpause after it, so an earlier pair in the window cannot widen the freeze.
      // `until` is never in the future: the engine would hold the stream open until then.
      const events = await readEvents(client, ids, sinceMs - MARGIN_MS, Math.min(untilMs + MARGIN_MS, Date.now()), timeoutMs)
      const window = perContainer(events, ids)
      if (window === null) return null
      widest = Math.max(widest, (window.lastUnpauseNs - window.firstPauseNs) / 1e6)
      pauses += ids.length
      unpauses += ids.length
    }
  } catch {
    return null
  }
  return { ms: Math.round(widest * 10) / 10, pauses, unpauses, endpoints: [...byEndpoint.keys()] }
}
