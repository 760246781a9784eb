import { describe, expect, it } from 'vitest'
import { eventSource } from './event-ring'
import { isFlatObject } from './flat-json'
import { flatEventFields } from './flat-json-fields'

/** What the store would file the event under if it parsed it: the answer flatEventFields must give. */
function parsed(text: string) {
  const v = JSON.parse(text) as { agent_id?: unknown }
  return { source: eventSource(v), agent: typeof v.agent_id === 'string' ? v.agent_id : null }
}

describe('flatEventFields (source and agent_id off a flat event text)', () => {
  it.each([
    '{}',
    ' { } ',
    '{"source":"feed","agent_id":"a1"}',
    '{"agent_id":"a1"}',
    '{"source":7,"agent_id":"a1"}',
    '{"source":null}',
    '{"a":"source","b":"agent_id","c":1}',
    '{"sources":"x","agent_ids":"y","source_":"z"}',
    '{"source":"first","source":"last"}',
    '{"source":"first","source":false,"agent_id":"a9"}',
    '{ "agent_id" :\t"a2" , "step" : -3.5 , "ok" : true }',
    '{"x":"a,b}c","source":"after a comma in a string"}',
    '{"source":""}',
  ])('%s', (text) => {
    expect(isFlatObject(text, 1 << 16)).toBe(true)
    expect(flatEventFields(text)).toEqual(parsed(text))
  })

  it('agrees with JSON.parse on 5,000 generated flat objects', () => {
    let seed = 42
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n)
    const keys = ['source', 'agent_id', 'sym', 'src', 'agent', 'source2', '']
    const values = ['"feed"', '"a-1"', '""', '"source"', '"agent_id"', '1', '-0.5', 'true', 'null', '"{,}:"']
    const ws = ['', ' ', '\n', '\t ']
    for (let k = 0; k < 5000; k++) {
      const pairs = Array.from({ length: rnd(6) }, () => `${ws[rnd(4)]}"${keys[rnd(keys.length)]}"${ws[rnd(4)]}:${ws[rnd(4)]}${values[rnd(values.length)]}${ws[rnd(4)]}`)
      const text = `${ws[rnd(4)]}{${pairs.join(',')}}${ws[rnd(4)]}`
      expect(isFlatObject(text, 1 << 16)).toBe(true)
      expect(flatEventFields(text), text).toEqual(parsed(text))
    }
  })
})
