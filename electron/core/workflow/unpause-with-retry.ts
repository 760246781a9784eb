import type { CallContext } from '../api/call-context'
import type { ContainerRef, ContainerResult, StackPort } from './ports'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Unpause, then retry only the containers that did not come back, with a doubling delay.
 * A container that vanished counts as done: there is nothing left to resume.
 */
export async function unpauseWithRetry(
  stack: StackPort,
  targets: ContainerRef[],
  ctx: CallContext,
  why: string,
  retries: number,
  baseDelayMs = 250,
): Promise<{ results: ContainerResult[]; stillPaused: ContainerRef[] }> {
  const final = new Map<string, ContainerResult>()
  let remaining = targets
  for (let attempt = 0; attempt <= retries && remaining.length > 0; attempt++) {
    if (attempt > 0) await sleep(baseDelayMs * 2 ** (attempt - 1))
    let results: ContainerResult[]
    try {
      results = await stack.unpause(remaining, ctx, why)
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err)
      results = remaining.map((r) => ({ ...r, outcome: 'failed' as const, error: msg, ms: 0 }))
    }
    for (const r of results) final.set(r.id, r)
    remaining = remaining.filter((r) => {
      const o = final.get(r.id)?.outcome
      return o !== 'ok' && o !== 'already' && o !== 'gone'
    })
  }
  return {
    results: targets.map((t) => final.get(t.id) ?? { ...t, outcome: 'failed', error: 'not attempted', ms: 0 }),
    stillPaused: remaining,
  }
}
