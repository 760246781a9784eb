import { beforeEach, describe, expect, it } from 'vitest'
import { useConnection } from './connection'
import { STALE_AFTER_MS, useSafety, type SafetyState } from './safety'

const unknown = { known: false as const, since: '2026-01-01T20:01:13.000Z', reason: 'Redis unreachable' }
const state = (version: number, enabled: boolean): SafetyState => ({
  version,
  at: new Date().toISOString(),
  trading: { known: true, value: { enabled, source: 'schedule', who: 's', why: 'w', since: '' }, version, at: '', source: 'redis' },
  killswitch: unknown,
  bus: unknown,
  engines: [],
  schedule: unknown,
  containers: unknown,
})

describe('client safety store', () => {
  beforeEach(() => {
    useSafety.setState({ state: null, floor: -1, receivedAt: null, stale: true })
    useConnection.setState({ state: 'open' })
  })

  it('never lets a late event with a lower version overwrite a newer one', () => {
    const s = useSafety.getState()
    expect(s.apply(state(5, false))).toBe(true)
    expect(s.apply(state(4, true))).toBe(false)
    expect(useSafety.getState().state?.version).toBe(5)
    expect(useSafety.getState().state?.trading).toMatchObject({ value: { enabled: false } })
    // The same version again is a liveness beat: taken, it changes nothing but the freshness.
    expect(s.apply(state(5, false))).toBe(true)
    expect(s.apply(state(6, true))).toBe(true)
    expect(useSafety.getState().state?.trading).toMatchObject({ value: { enabled: true } })
  })

  it('after a reconnect takes the re-read whatever its version (a restarted host)', () => {
    const s = useSafety.getState()
    s.apply(state(9, false))
    s.resetFloor()
    expect(s.apply(state(3, true))).toBe(true)
    expect(s.apply(state(2, false))).toBe(false)
  })

  it('marks the view stale when the host is silent for 2 s or the connection is not open', () => {
    const s = useSafety.getState()
    const t = Date.now()
    s.apply(state(1, true), t)
    expect(useSafety.getState().stale).toBe(false)
    s.judge(t + STALE_AFTER_MS + 1)
    expect(useSafety.getState()).toMatchObject({ stale: true, staleReason: 'no word from the host' })
    s.apply(state(2, true), t + 3000)
    expect(useSafety.getState().stale).toBe(false)
    useConnection.setState({ state: 'reconnecting' })
    s.judge(t + 3001)
    expect(useSafety.getState()).toMatchObject({ stale: true, staleReason: 'the host is unreachable' })
  })
})
