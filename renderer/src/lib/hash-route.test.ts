import { describe, expect, it } from 'vitest'
import { monitorAroundHash, monitorRangeHash, monitorRangeOf, parseHash } from './hash-route'

describe('hash routes', () => {
  it('splits the tab from its parameters', () => {
    expect(parseHash('#monitor').tab).toBe('monitor')
    const { tab, params } = parseHash('#monitor?from=a&to=b')
    expect([tab, params.get('from'), params.get('to')]).toEqual(['monitor', 'a', 'b'])
    expect(parseHash('').tab).toBe('')
  })
  it('a range link round-trips, with its label', () => {
    const h = monitorRangeHash('2026-12-02T10:00:00.000Z', '2026-12-02T10:04:00.000Z', 'around stack.pause')
    expect(monitorRangeOf(h)).toEqual({ from: '2026-12-02T10:00:00.000Z', to: '2026-12-02T10:04:00.000Z', label: 'around stack.pause' })
  })
  it('ignores other tabs and invalid or inverted ranges', () => {
    expect(monitorRangeOf('#audit?from=2026-12-02T10:00:00Z&to=2026-12-02T10:04:00Z')).toBeNull()
    expect(monitorRangeOf('#monitor?from=x&to=2026-12-02T10:04:00Z')).toBeNull()
    expect(monitorRangeOf('#monitor?from=2026-12-02T10:04:00Z&to=2026-12-02T10:00:00Z')).toBeNull()
    expect(monitorRangeOf('#monitor')).toBeNull()
  })
  it('around: two minutes either side by default', () => {
    const r = monitorRangeOf(monitorAroundHash('2026-12-02T10:02:00.000Z') ?? '')
    expect(r).toEqual({ from: '2026-12-02T10:00:00.000Z', to: '2026-12-02T10:04:00.000Z', label: null })
    expect(monitorAroundHash('not a time')).toBeNull()
  })
})
