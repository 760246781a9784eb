import { beforeEach, describe, expect, it } from 'vitest'
import { EVENT_CAPACITY, useMonitor } from './monitor-store'
import { makeAgent } from '../../../../test-support/renderer/test-agents'
import { UpdateAccumulator } from './update-accumulator'
import type { AgentCommand, BusEvent, BusUpdate } from './types'

const totals = { total: 0, alive: 0, dead: 0, paused: 0, unknown: 0 }
let seq = 0
const update = (p: Partial<BusUpdate>): BusUpdate => ({
  seq: ++seq,
  at: new Date().toISOString(),
  agents: [],
  totals,
  events: [],
  eventsSkipped: 0,
  cursor: 0,
  ...p,
})
const ev = (id: number, channel = 'data.market.quotes', source: string | null = 'quotes'): BusEvent => ({
  id,
  channel,
  type: channel.split('.').slice(0, 2).join('.'),
  source,
  ts: new Date().toISOString(),
  payload: { id },
})
const cmd = (p: Partial<AgentCommand> & { commandId: string; agentId: string }): AgentCommand => ({
  transport: 'redis',
  runId: null,
  type: 'pause',
  params: {},
  who: 'op',
  issuedAt: '2026-01-01T00:00:00.000Z',
  deliveredAt: null,
  expiresAt: null,
  state: 'delivered',
  receivers: 1,
  ackedAt: null,
  ackMs: null,
  late: false,
  message: null,
  ...p,
})

function apply(...updates: BusUpdate[]) {
  const acc = new UpdateAccumulator(EVENT_CAPACITY)
  for (const u of updates) acc.add(u, Date.now())
  useMonitor.getState().apply(acc.take())
}

beforeEach(() => useMonitor.getState().reset())

describe('monitor store', () => {
  it('updates agents in place and only re-sorts when a change can move a row', () => {
    apply(update({ agents: [makeAgent({ id: 'b' }), makeAgent({ id: 'a' })] }))
    const s1 = useMonitor.getState()
    expect(s1.ids).toEqual(['a', 'b'])
    const idsBefore = s1.ids
    const mapBefore = s1.agents

    apply(update({ agents: [makeAgent({ id: 'a', lastBeat: '2026-01-01T00:00:05.000Z', beats: 2 })] }))
    const s2 = useMonitor.getState()
    expect(s2.agents).toBe(mapBefore) // same Map: O(batch), no copy of every agent
    expect(s2.ids).toBe(idsBefore) // a heartbeat did not re-sort
    expect(s2.agents.get('a')?.beats).toBe(2)
    expect(s2.agentsRev).toBe(s1.agentsRev + 1)

    apply(update({ agents: [makeAgent({ id: 'b', status: 'dead', alive: false })] }))
    expect(useMonitor.getState().ids).toEqual(['b', 'a']) // dead first

    apply(update({ removedAgents: ['b'] }))
    expect(useMonitor.getState().ids).toEqual(['a'])
    expect(useMonitor.getState().agents.has('b')).toBe(false)
  })

  it('keeps a bounded event buffer, skips ids it already has and maintains the filtered view incrementally', () => {
    useMonitor.getState().loadSnapshot({
      agents: [],
      totals,
      timeoutMs: 3000,
      events: [ev(1), ev(2, 'heartbeat.x', 'x')],
      connection: null,
      killswitch: null,
      trading: null,
      regime: null,
      rates: null,
      commands: [],
    })
    useMonitor.getState().setFilter({ type: 'heartbeat', source: '' })
    expect(useMonitor.getState().view?.toArray().map((e) => e.id)).toEqual([2])

    apply(update({ events: [ev(2, 'heartbeat.x', 'x'), ev(3, 'heartbeat.y', 'y'), ev(4)], eventsSkipped: 7 }))
    const s = useMonitor.getState()
    expect(s.events.toArray().map((e) => e.id)).toEqual([1, 2, 3, 4])
    expect(s.view?.toArray().map((e) => e.id)).toEqual([2, 3])
    expect(s.skipped).toBe(7)
    expect([...s.sources].sort()).toEqual(['quotes', 'x', 'y'])

    const many = Array.from({ length: EVENT_CAPACITY + 50 }, (_, i) => ev(10 + i))
    apply(update({ events: many }))
    const after = useMonitor.getState()
    expect(after.events.size).toBe(EVENT_CAPACITY)
    expect(after.events.last()?.id).toBe(10 + EVENT_CAPACITY + 49)
    expect(after.events.at(0)?.id).toBe(60)
  })

  it('tracks each agent’s latest command and never lets a stale call result undo a final state', () => {
    apply(update({ commands: [cmd({ commandId: 'c1', agentId: 'a', state: 'acked', ackMs: 12 })] }))
    useMonitor.getState().upsertCommand(cmd({ commandId: 'c1', agentId: 'a', state: 'delivered' }))
    expect(useMonitor.getState().lastCommand.get('a')?.state).toBe('acked')

    useMonitor.getState().upsertCommand(cmd({ commandId: 'c2', agentId: 'a', type: 'tune', issuedAt: '2026-01-01T00:01:00.000Z' }))
    expect(useMonitor.getState().lastCommand.get('a')?.commandId).toBe('c2')
    apply(update({ commands: [cmd({ commandId: 'c2', agentId: 'a', type: 'tune', state: 'timeout', issuedAt: '2026-01-01T00:01:00.000Z' })] }))
    expect(useMonitor.getState().lastCommand.get('a')?.state).toBe('timeout')
  })

  it('ignores an older killswitch state arriving after a newer one', () => {
    const ks = (version: number, engaged: boolean) => ({ engaged, latched: engaged, reason: 'r', who: 'w', at: null, version, stored: true, lastRound: null })
    apply(update({ killswitch: ks(5, true) }))
    useMonitor.getState().setKillswitch(ks(4, false))
    expect(useMonitor.getState().killswitch?.engaged).toBe(true)
    useMonitor.getState().setKillswitch(ks(6, false))
    expect(useMonitor.getState().killswitch?.version).toBe(6)
  })

  it('estimates the host clock offset from the smallest delay seen', () => {
    const acc = new UpdateAccumulator(10)
    acc.add(update({ at: new Date(10_000).toISOString() }), 10_500)
    useMonitor.getState().apply(acc.take())
    expect(useMonitor.getState().clockOffset).toBe(500)
    acc.add(update({ at: new Date(20_000).toISOString() }), 20_100)
    useMonitor.getState().apply(acc.take())
    expect(useMonitor.getState().clockOffset).toBe(100)
    acc.add(update({ at: new Date(30_000).toISOString() }), 30_900)
    useMonitor.getState().apply(acc.take())
    expect(useMonitor.getState().clockOffset).toBe(102) // creeps up, does not jump to a slow sample
  })
})

describe('UpdateAccumulator', () => {
  it('merges batches: latest agent wins, removal then re-appearance keeps the agent, events bounded', () => {
    const acc = new UpdateAccumulator(3)
    acc.add(update({ agents: [makeAgent({ id: 'a', beats: 1 })], events: [ev(1), ev(2)] }), 0)
    acc.add(update({ removedAgents: ['a'], events: [ev(3), ev(4)] }), 0)
    acc.add(update({ agents: [makeAgent({ id: 'a', beats: 3 })], events: [ev(5), ev(6), ev(7)], eventsSkipped: 2 }), 0)
    expect(acc.pending).toBe(true)
    const m = acc.take()
    expect(acc.pending).toBe(false)
    expect(m.agents.get('a')?.beats).toBe(3)
    expect(m.removed.has('a')).toBe(false)
    expect(m.events.map((e) => e.id)).toEqual([5, 6, 7])
    expect(m.received).toBe(7)
    expect(m.skipped).toBe(2)
    expect(m.batches).toBe(3)
  })

  it('stays bounded however many batches pile up without a frame', () => {
    const acc = new UpdateAccumulator(100)
    for (let b = 0; b < 1000; b++) acc.add(update({ events: Array.from({ length: 50 }, (_, i) => ev(b * 50 + i)) }), 0)
    // Internal array never exceeds 2x the bound; take() returns exactly the newest 100.
    const m = acc.take()
    expect(m.events).toHaveLength(100)
    expect(m.events[99]?.id).toBe(49_999)
  })
})
