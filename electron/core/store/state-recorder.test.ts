import { describe, expect, it } from 'vitest'
import type { EventMap } from '../api/contract'
import type { AgentTransition, StateRecord } from './event-store'
import { StateRecorder } from './state-recorder'

type Update = EventMap['bus.update']
const agent = (id: string, status: string) => ({ id, status, lastBeat: '2026-03-02T03:00:00.000Z', anomalyCount: 0 }) as unknown as Update['agents'][number]
const update = (o: Partial<Update>): Update => ({ seq: 1, at: '2026-03-02T03:00:00.000Z', agents: [], totals: { total: 0, alive: 0, dead: 0, paused: 0, unknown: 0 }, events: [], eventsSkipped: 0, cursor: 0, ...o })

function recorder() {
  const ts: AgentTransition[] = []
  const st: StateRecord[] = []
  return { ts, st, r: new StateRecorder({ transitions: (t) => ts.push(...t), state: (s) => st.push(...s) }) }
}

describe('StateRecorder', () => {
  it('records an agent transition only when its status changes, and when it is forgotten', () => {
    const { ts, r } = recorder()
    r.onBusUpdate(update({ agents: [agent('a', 'alive')] }))
    r.onBusUpdate(update({ agents: [agent('a', 'alive')] }))
    r.onBusUpdate(update({ agents: [agent('a', 'dead')] }))
    r.onBusUpdate(update({ removedAgents: ['a', 'never-seen'] }))
    expect(ts.map((t) => `${t.agent}:${t.from ?? '-'}>${t.to}`)).toEqual(['a:->alive', 'a:alive>dead', 'a:dead>forgotten'])
  })

  it('records trading with the flag record’s who, why and source, and regime changes, once each', () => {
    const { st, r } = recorder()
    const raw = JSON.stringify({ value: false, version: 3, who: 'killswitch', why: 'engaged', at: '2026-03-02T03:00:00Z', source: 'killswitch' })
    const trading = { key: 'k', enabled: false, raw, readAt: null }
    r.onBusUpdate(update({ trading }))
    r.onBusUpdate(update({ trading }))
    const regime = { regime: 'risk_off', confidence: 0.8, at: null, receivedAt: '2026-03-02T03:00:01.000Z', ageS: 0, source: 'live' as const, payload: {} }
    r.onBusUpdate(update({ regime }))
    r.onBusUpdate(update({ regime }))
    expect(st.map((s) => [s.kind, s.who, s.why])).toEqual([
      ['trading', 'killswitch', 'engaged'],
      ['regime', null, null],
    ])
    expect(st[0]!.detail).toMatchObject({ enabled: false, source: 'killswitch', firstSeen: true })
  })

  it('keeps both an engage and a release from the audit log, with who and why; other actions are not state', () => {
    const { st, r } = recorder()
    const rec = (action: string, who: string, reason: string) => ({ seq: 1, at: '2026-03-02T03:00:00.000Z', who, door: 'http', action, outcome: 'ok', reason }) as EventMap['audit.appended']
    r.onAudit(rec('bus.killswitch.engage', 'alice', 'spread'))
    r.onAudit(rec('bus.killswitch.release', 'bob', 'calm'))
    r.onAudit(rec('stack.pause', 'carol', 'lunch'))
    r.onAudit(rec('supervise.restart', 'supervisor', 'crashed'))
    expect(st.map((s) => [s.kind, s.who, s.why])).toEqual([
      ['killswitch', 'alice', 'spread'],
      ['killswitch', 'bob', 'calm'],
      ['supervise', 'supervisor', 'crashed'],
    ])
  })
})
