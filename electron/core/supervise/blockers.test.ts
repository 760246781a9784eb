import { describe, expect, it } from 'vitest'
import { supervisionBlocker } from './blockers'

type State = 'running' | 'paused' | 'exited'
const blocker = (o: { ks?: boolean; run?: string; states?: State[] }) =>
  supervisionBlocker({
    killswitchEngaged: () => o.ks ?? false,
    runInFlight: () => (o.run ? { who: o.run } : null),
    containers: () => (o.states ?? []).map((state) => ({ state })),
  })()

describe('supervisionBlocker', () => {
  it('holds off for the killswitch first, then a run, each saying what lifts it', () => {
    expect(blocker({ ks: true, run: 'alice', states: ['paused'] })).toEqual({ reason: 'the killswitch is engaged', advice: 'Release the killswitch first.' })
    expect(blocker({ run: 'alice', states: ['paused'] })).toEqual({ reason: 'a Save & Restart run is in flight (alice)', advice: 'Wait for the run to finish.' })
  })

  it('a stack where nothing runs and something is paused is paused; one that merely exited is for healing', () => {
    expect(blocker({ states: ['paused', 'exited'] })?.reason).toBe('the stack is paused')
    expect(blocker({ states: ['exited', 'exited'] })).toBeNull()
    expect(blocker({ states: ['running', 'paused'] })).toBeNull()
    expect(blocker({ states: [] })).toBeNull()
  })
})
