import { describe, expect, it } from 'vitest'
import type { ConnectionInfoT, KillswitchStateT, TradingStateT } from '../api/contract/bus'
import { SafetyModel, type SafetySources } from './safety-model'

const T0 = Date.parse('2026-12-01T20:01:13Z')

function sources() {
  const s = {
    conn: { state: 'ready', since: new Date(T0).toISOString(), url: 'redis://x', error: null, attempts: 0 } as ConnectionInfoT,
    ks: { engaged: false, latched: false, reason: null, who: null, at: null, version: 1, stored: true, lastRound: null } as KillswitchStateT,
    ksKnown: true,
    trading: {
      key: 'k',
      enabled: true,
      raw: JSON.stringify({ value: true, version: 7, who: 'schedule', why: 'window', at: '2026-12-01T20:00:00Z', source: 'schedule' }),
      readAt: '2026-12-01T20:01:00Z',
    } as TradingStateT,
  }
  const src: SafetySources = {
    connection: () => s.conn,
    killswitch: () => ({ ...s.ks, known: s.ksKnown, unknownSince: T0, resumeMode: 'manual' }),
    trading: () => s.trading,
    snapshot: () => ({
      at: '',
      services: [],
      endpoints: [{ id: 'local', url: 'unix:///x', reachable: true, watching: true, error: null, since: '', containers: 0 }],
    }),
    schedule: () => null,
  }
  return { s, src }
}

describe('SafetyModel', () => {
  it('says known with the Redis version and source, and turns unknown (never a default) when Redis drops', () => {
    let now = T0
    const { s, src } = sources()
    const m = new SafetyModel(src, { now: () => now })
    const seen: number[] = []
    m.onChange((st) => seen.push(st.version))
    const a = m.refresh()
    expect(a.trading).toMatchObject({ known: true, value: { enabled: true, source: 'schedule', who: 'schedule' }, version: 7 })
    expect(a.killswitch).toMatchObject({ known: true, value: { engaged: false, latched: false } })

    now += 500
    s.conn = { ...s.conn, state: 'reconnecting', error: 'connect ECONNREFUSED', since: new Date(now).toISOString() }
    s.ksKnown = false
    const b = m.refresh()
    expect(b.trading).toEqual({ known: false, since: new Date(now).toISOString(), reason: 'Redis unreachable (connect ECONNREFUSED)' })
    expect(b.killswitch).toMatchObject({ known: false, reason: 'Redis unreachable (connect ECONNREFUSED)' })
    expect(b.bus).toMatchObject({ known: true, value: { state: 'reconnecting' } })
    expect(b.version).toBeGreaterThan(a.version)
    // Nothing changed: same version, no event (the beat is separate).
    now += 500
    expect(m.refresh().version).toBe(b.version)
    expect(seen).toEqual([a.version, b.version])
  })

  it('a killswitch engaged here but not stored yet is known, and says where it lives', () => {
    const { s, src } = sources()
    s.conn = { ...s.conn, state: 'down' }
    s.ks = { ...s.ks, engaged: true, latched: true, stored: false, version: 2 }
    s.ksKnown = true
    const st = new SafetyModel(src, { now: () => T0 }).refresh()
    expect(st.killswitch).toMatchObject({ known: true, value: { engaged: true, stored: false }, source: 'stackdeck (not yet stored in Redis)' })
  })
})
