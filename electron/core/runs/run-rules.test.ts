/** The seed's validation matrix for runs, as pure rules (no host): see run-rules.ts. */
import { describe, expect, it } from 'vitest'
import type { CoreError } from '@core/errors'
import { canonicalBeat, checkCommandParams, checkTransition, healthOf, judgeBeat, type LastBeat } from './run-rules'

const beat = (step: number, cv: number, extra: Record<string, unknown> = {}) => ({ id: 'r1', step, checkpoint_version: cv, ...extra })
const last = (step: number, cv: number, extra: Record<string, unknown> = {}): LastBeat => ({
  step,
  checkpoint_version: cv,
  canonical: canonicalBeat(beat(step, cv, extra)),
  repeated: false,
})
const errorOf = (fn: () => unknown): CoreError => {
  try {
    fn()
  } catch (e) {
    return e as CoreError
  }
  throw new Error('expected a refusal')
}

describe('heartbeat monotonicity', () => {
  it('accepts the first heartbeat and higher or equal values', () => {
    expect(judgeBeat('r1', null, beat(0, 0))).toEqual({ kind: 'accept' })
    expect(judgeBeat('r1', last(5, 2), beat(6, 2))).toEqual({ kind: 'accept' })
    expect(judgeBeat('r1', last(5, 2), beat(5, 2, { status: 'waiting' }))).toEqual({ kind: 'accept' })
  })

  it('refuses a lower step with 409 naming the field and both values', () => {
    const e = errorOf(() => judgeBeat('r1', last(5, 2), beat(4, 2)))
    expect(e.code).toBe('conflict')
    expect(e.path).toBe('/step')
    expect(e.message).toContain('step 4 is lower than the last accepted 5')
  })

  it('refuses a lower checkpoint_version the same way', () => {
    const e = errorOf(() => judgeBeat('r1', last(5, 2), beat(9, 1)))
    expect(e.code).toBe('conflict')
    expect(e.path).toBe('/checkpoint_version')
    expect(e.message).toContain('checkpoint_version 1 is lower than the last accepted 2')
  })

  it('accepts an exact duplicate once, whatever the key order, then judges it as a beat', () => {
    const l = last(5, 2, { metrics: { a: 1, b: 2 } })
    expect(judgeBeat('r1', l, { checkpoint_version: 2, metrics: { b: 2, a: 1 }, step: 5, id: 'r1' })).toEqual({ kind: 'duplicate' })
    expect(judgeBeat('r1', { ...l, repeated: true }, beat(5, 2, { metrics: { a: 1, b: 2 } }))).toEqual({ kind: 'accept' })
  })

  it('does not take a lower beat with other fields for a duplicate', () => {
    expect(() => judgeBeat('r1', last(5, 2), beat(4, 2, { message: 'x' }))).toThrow(/step 4/)
  })
})

describe('run state machine', () => {
  it('allows queued → running → paused → running → completed', () => {
    for (const [a, b] of [['queued', 'running'], ['running', 'paused'], ['paused', 'running'], ['running', 'completed']] as const) {
      expect(() => checkTransition('r1', a, b)).not.toThrow()
    }
  })
  it('refuses illegal transitions with a conflict that lists what is allowed', () => {
    const e = errorOf(() => checkTransition('r1', 'queued', 'paused'))
    expect(e.code).toBe('conflict')
    expect(e.message).toContain('allowed: running, failed, terminated')
    expect(errorOf(() => checkTransition('r1', 'completed', 'running')).message).toContain('completed is final')
    expect(() => checkTransition('r1', 'terminated', 'terminated')).toThrow(/final/)
  })
})

describe('command params', () => {
  it('tune needs at least one field; the others need none', () => {
    const e = errorOf(() => checkCommandParams('tune', {}))
    expect(e.code).toBe('invalid_input')
    expect(e.path).toBe('/params')
    expect(() => checkCommandParams('tune', { lr: 0.1 })).not.toThrow()
    for (const t of ['pause', 'resume', 'terminate']) expect(() => checkCommandParams(t, {})).not.toThrow()
  })
})

describe('health by heartbeat age', () => {
  const t = { lateAfterMs: 1000, unhealthyAfterMs: 3000, lostAfterMs: 6000 }
  const at = Date.parse('2026-12-01T10:00:00Z')
  const run = (state: 'queued' | 'running' | 'paused' | 'completed', beatAgo: number | null) => ({
    state,
    lastHeartbeatAt: beatAgo === null ? null : new Date(at - beatAgo).toISOString(),
    stateSince: new Date(at - 10_000).toISOString(),
  })
  it('escalates healthy → late → unhealthy → lost at the thresholds', () => {
    expect(healthOf(run('running', 999), at, t, false)).toBe('healthy')
    expect(healthOf(run('running', 1000), at, t, false)).toBe('late')
    expect(healthOf(run('running', 3000), at, t, false)).toBe('unhealthy')
    expect(healthOf(run('running', 6000), at, t, false)).toBe('lost')
  })
  it('is pending before the first beat, paused when the run or its container is, ended when final', () => {
    expect(healthOf(run('queued', null), at, t, false)).toBe('pending')
    expect(healthOf(run('paused', 60_000), at, t, false)).toBe('paused')
    expect(healthOf(run('running', 60_000), at, t, true)).toBe('paused')
    expect(healthOf(run('completed', 60_000), at, t, false)).toBe('ended')
  })
  it('counts a running run that never beat from when it started running', () => {
    expect(healthOf(run('running', null), at, t, false)).toBe('lost')
  })
})
