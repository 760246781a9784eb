import type { Blocker, SupervisedContainer } from './ports'

/** What the supervisor must know to decide whether healing would fight someone. */
export interface BlockerFacts {
  killswitchEngaged: () => boolean
  /** The Save & Restart run in flight, if any (the refusal names who started it). */
  runInFlight: () => { who: string } | null
  containers: () => ReadonlyArray<Pick<SupervisedContainer, 'state'>>
}

/**
 * Why supervision holds off right now, in the order a trader would fix them. Each blocker says what
 * lifts it: a refusal must not tell the trader to release a Save & Restart. A stack counts as paused
 * when nothing runs and something is paused (the trader's or the scheduler's freeze); a stack where
 * everything exited is exactly what supervision is for, so that blocks nothing.
 */
export function supervisionBlocker(facts: BlockerFacts): () => Blocker | null {
  return () => {
    if (facts.killswitchEngaged()) return { reason: 'the killswitch is engaged', advice: 'Release the killswitch first.' }
    const run = facts.runInFlight()
    if (run) return { reason: `a Save & Restart run is in flight (${run.who})`, advice: 'Wait for the run to finish.' }
    const containers = facts.containers()
    if (containers.length > 0 && containers.every((c) => c.state !== 'running') && containers.some((c) => c.state === 'paused'))
      return { reason: 'the stack is paused', advice: 'Resume the stack first.' }
    return null
  }
}
