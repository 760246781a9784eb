import { describe, expect, it } from 'vitest'
import { DEFAULT_ORDER, orderChanged, orderedIds, type AgentOrder } from './agent-order'
import { makeAgent } from '../../../../test-support/renderer/test-agents'

const agents = [
  makeAgent({ id: 'b', name: 'Bravo', group: 'execution', lastBeat: '2026-01-01T00:00:03.000Z' }),
  makeAgent({ id: 'a', name: 'alpha', group: 'signals', lastBeat: '2026-01-01T00:00:01.000Z' }),
  makeAgent({ id: 'd', name: 'Delta', group: 'signals', status: 'dead', alive: false, lastBeat: '2026-01-01T00:00:00.000Z' }),
  makeAgent({ id: 'c', name: 'charlie', group: 'ingestion', status: 'paused', paused: true, lastBeat: '2026-01-01T00:00:02.000Z' }),
]
const by = (o: Partial<AgentOrder>) => orderedIds(agents, { ...DEFAULT_ORDER, ...o })

describe('agent order', () => {
  it('puts dead agents first by default, then sorts by id', () => {
    expect(by({})).toEqual(['d', 'a', 'b', 'c'])
  })

  it('sorts by each column both ways; without dead-first the dead agent takes its natural place', () => {
    expect(by({ key: 'name', deadFirst: false })).toEqual(['a', 'b', 'c', 'd'])
    expect(by({ key: 'name', dir: 'desc', deadFirst: false })).toEqual(['d', 'c', 'b', 'a'])
    expect(by({ key: 'group', deadFirst: false })).toEqual(['b', 'c', 'a', 'd'])
    expect(by({ key: 'status', deadFirst: false })).toEqual(['d', 'c', 'a', 'b'])
    expect(by({ key: 'lastBeat', deadFirst: false })).toEqual(['d', 'a', 'c', 'b'])
    // Seconds since beat ascending = the freshest beat first.
    expect(by({ key: 'since', deadFirst: false })).toEqual(['b', 'c', 'a', 'd'])
    expect(by({ key: 'since', dir: 'desc' })).toEqual(['d', 'a', 'c', 'b'])
  })

  it('filters by group', () => {
    expect(by({ group: 'signals' })).toEqual(['d', 'a'])
    expect(by({ group: 'orchestration' })).toEqual([])
  })

  it('says a plain heartbeat does not move a row under the default order, but a death does', () => {
    const a = agents[1]!
    const beat = { ...a, lastBeat: '2026-01-01T00:00:09.000Z', beats: 2 }
    expect(orderChanged(a, beat, DEFAULT_ORDER)).toBe(false)
    expect(orderChanged(a, { ...a, status: 'dead' }, DEFAULT_ORDER)).toBe(true)
    expect(orderChanged(a, beat, { ...DEFAULT_ORDER, key: 'lastBeat' })).toBe(true)
    expect(orderChanged(undefined, a, DEFAULT_ORDER)).toBe(true)
    expect(orderChanged(a, { ...a, group: 'execution' }, DEFAULT_ORDER)).toBe(true)
  })
})
