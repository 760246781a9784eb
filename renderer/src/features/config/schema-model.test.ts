import { describe, expect, it } from 'vitest'
import bundled from '../../../../schemas/config.schema.json'
import { applyOf, constraintText, initialValue, keyProblem, kindOf, resolve, type Schema } from './schema-model'

// The bundled schema the form is really built from.
const root = bundled as unknown as Schema
const props = root['properties'] as Record<string, Schema>
const sub = (s: Schema, k: string) => resolve((s['properties'] as Record<string, Schema>)[k], root)

describe('schema-model', () => {
  it('resolves $refs keeping the sibling description and x-apply', () => {
    const start = sub(props['schedule']!, 'start')
    expect(start['type']).toBe('string')
    expect(start['x-apply']).toBe('hot')
    expect(String(start['description'])).toMatch(/opens/)
  })

  it('picks a widget per node', () => {
    expect(kindOf(resolve(props['risk'], root), undefined)).toBe('object')
    expect(kindOf(sub(props['risk']!, 'max_position'), 5)).toBe('integer')
    expect(kindOf(sub(props['orchestrator']!, 'log_level'), 'info')).toBe('enum')
    expect(kindOf(sub(props['schedule']!, 'days'), [])).toBe('array')
    expect(kindOf({ type: ['number', 'string', 'boolean'] }, 1)).toBe('mixed')
    expect(kindOf({}, { a: 1 })).toBe('object')
  })

  it('inherits x-apply from the nearest table', () => {
    expect(applyOf({}, 'restart')).toBe('restart')
    expect(applyOf({ 'x-apply': 'hot' }, 'restart')).toBe('hot')
    expect(applyOf({}, undefined)).toBeUndefined()
  })

  it('says the rules in words', () => {
    expect(constraintText(sub(props['risk']!, 'max_position'))).toBe('≥ 0 · ≤ 10000000')
    expect(constraintText(sub(props['risk']!, 'max_daily_loss'))).toContain('> 0')
  })

  it('fills required keys of a new map entry and checks its name', () => {
    const agent = resolve((props['agents'] as Schema)['additionalProperties'], root)
    expect(initialValue(agent, root)).toEqual({ strategy: '' })
    expect(keyProblem(props['agents']!, 'Bad Name', {})).toMatch(/does not match/)
    expect(keyProblem(props['agents']!, 'scalper', { scalper: {} })).toMatch(/already exists/)
    expect(keyProblem(props['agents']!, 'scalper', {})).toBeNull()
  })
})
