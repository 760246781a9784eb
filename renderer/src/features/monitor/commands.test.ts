import { describe, expect, it } from 'vitest'
import { parseParamValue, parseTuneParams } from './commands'
import { describeDeaths } from './notifications'

describe('tune parameters', () => {
  it('reads numbers, booleans, null and JSON, else keeps the text', () => {
    expect(parseParamValue('2')).toBe(2)
    expect(parseParamValue('-0.5')).toBe(-0.5)
    expect(parseParamValue('1e3')).toBe(1000)
    expect(parseParamValue('true')).toBe(true)
    expect(parseParamValue('null')).toBeNull()
    expect(parseParamValue('["ES","NQ"]')).toEqual(['ES', 'NQ'])
    expect(parseParamValue('{"a":1}')).toEqual({ a: 1 })
    expect(parseParamValue('aggressive')).toBe('aggressive')
    expect(parseParamValue('{broken')).toBe('{broken')
    expect(parseParamValue('12abc')).toBe('12abc')
  })

  it('needs at least one parameter and flags bad rows', () => {
    expect(parseTuneParams([{ key: '', value: '' }])).toMatchObject({ ok: false, error: 'Tune needs at least one parameter' })
    expect(parseTuneParams([{ key: 'rate', value: '2' }, { key: '', value: '' }])).toEqual({ ok: true, params: { rate: 2 } })
    const bad = parseTuneParams([
      { key: 'rate', value: '1' },
      { key: 'rate', value: '2' },
      { key: '', value: '3' },
      { key: '9x', value: '' },
    ])
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(Object.keys(bad.rowErrors)).toEqual(['1', '2', '3'])
  })
})

describe('death notifications', () => {
  const d = (agentId: string) => ({ agentId, name: `Agent ${agentId}`, group: 'execution' as const, lastBeat: '', secondsSinceBeat: 3.4, at: '' })
  it('names a single agent and summarises a mass death', () => {
    expect(describeDeaths([d('x')])).toEqual({ title: 'Agent died: Agent x', body: 'x (execution) has been silent for 3 s.' })
    const many = describeDeaths(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(d))
    expect(many.title).toBe('7 agents died')
    expect(many.body).toBe('a, b, c, d, e and 2 more.')
  })
})
