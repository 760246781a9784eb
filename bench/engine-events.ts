/**
 * The containers' freeze as the ENGINE saw it: from `docker events`, the first `pause` to the last
 * `unpause` of the given containers inside a time window, on the daemon's own clock (`timeNano`).
 * An independent witness of a freeze, whoever caused it; used by the workflow bench and available
 * to integration tests.
 */
import type Docker from 'dockerode'

export interface EngineFreeze {
  /** Daemon time of the first pause event, ns since the epoch (exact: read as a BigInt from the JSON text). */
  firstPauseNs: bigint
  /** Daemon time of the last unpause event, ns since the epoch. */
  lastUnpauseNs: bigint
  /** lastUnpauseNs - firstPauseNs, in ms. */
  ms: number
  /** Pause and unpause events seen for these containers in the window. */
  pauses: number
  unpauses: number
}

export interface EngineEventCounts {
  pauses: number
  unpauses: number
  firstPauseNs: bigint | null
  lastUnpauseNs: bigint | null
}

/**
 * Pause/unpause events of `ids` between `sinceMs` and `untilMs` (epoch ms). Reads the daemon's
 * event log for that window (the engine keeps the recent past), so call it soon after the run;
 * `untilMs` in the future makes it wait until then.
 */
export async function engineEventCounts(
  docker: Docker,
  ids: readonly string[],
  sinceMs: number,
  untilMs: number,
): Promise<EngineEventCounts> {
  const want = new Set(ids)
  const stream = await docker.getEvents({
    since: (sinceMs / 1000).toFixed(3),
    until: (untilMs / 1000).toFixed(3),
    filters: { type: ['container'], event: ['pause', 'unpause'] },
  } as unknown as Parameters<Docker['getEvents']>[0])
  const out: EngineEventCounts = { pauses: 0, unpauses: 0, firstPauseNs: null, lastUnpauseNs: null }
  let buf = ''
  const take = (line: string) => {
    if (line.trim() === '') return
    const e = JSON.parse(line) as { Action?: string; status?: string; id?: string; Actor?: { ID?: string } }
    const id = e.Actor?.ID ?? e.id ?? ''
    if (!want.has(id)) return
    // JSON numbers lose the last digits of a ns timestamp; read it from the text instead.
    const m = /"timeNano"\s*:\s*(\d+)/.exec(line)
    if (m === null) return
    const ns = BigInt(m[1] as string)
    const action = e.Action ?? e.status
    if (action === 'pause') {
      out.pauses++
      if (out.firstPauseNs === null || ns < out.firstPauseNs) out.firstPauseNs = ns
    } else if (action === 'unpause') {
      out.unpauses++
      if (out.lastUnpauseNs === null || ns > out.lastUnpauseNs) out.lastUnpauseNs = ns
    }
  }
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8')
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        try {
          take(line)
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)))
        }
      }
    })
    stream.on('end', () => {
      try {
        take(buf)
        resolve()
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)))
      }
    })
    stream.on('error', reject)
  })
  return out
}

/**
 * First pause to last unpause of `ids` in the window, or null when the events are missing: no
 * pause, no unpause, not one of each per container, or an unpause before the first pause.
 */
export async function engineFreezeWindow(
  docker: Docker,
  ids: readonly string[],
  sinceMs: number,
  untilMs: number,
): Promise<EngineFreeze | null> {
  const c = await engineEventCounts(docker, ids, sinceMs, untilMs)
  if (c.firstPauseNs === null || c.lastUnpauseNs === null) return null
  if (c.pauses < ids.length || c.unpauses < ids.length || c.lastUnpauseNs < c.firstPauseNs) return null
  return {
    firstPauseNs: c.firstPauseNs,
    lastUnpauseNs: c.lastUnpauseNs,
    ms: Number(c.lastUnpauseNs - c.firstPauseNs) / 1e6,
    pauses: c.pauses,
    unpauses: c.unpauses,
  }
}
