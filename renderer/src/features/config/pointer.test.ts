import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { applyChanges, deepEqual, getAt, isWithin, parsePointer, setAt, toPointer, type ValueChange } from './pointer'

// The renderer rebuilds values from the server's change lists, so the test runs the server's real
// diff: a drift between the two would make the form show something other than the file. Loaded by
// a computed specifier because the renderer's type check must not pull in core's Node modules.
const CORE_DIFF = '../../../../electron/core/config/config-diff.ts'
const { diffConfigs } = (await import(/* @vite-ignore */ CORE_DIFF)) as { diffConfigs: (a: unknown, b: unknown, schema: unknown) => ValueChange[] }

const key = fc.constantFrom('a', 'b', 'c', 'x/y', 'm~n', 'risk')
const leaf = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.boolean(), fc.constantFrom('s', 't', '09:30'))
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('table'), tie('list'), tie('tables')),
  table: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  list: fc.array(leaf, { maxLength: 3 }),
  tables: fc.array(tie('table'), { minLength: 1, maxLength: 3 }),
}))
const config = fc.dictionary(key, value, { maxKeys: 4 })

describe('pointer', () => {
  it('escapes ~ and / as RFC 6901 says, and parses back', () => {
    expect(toPointer(['a/b', 'c~d', 0])).toBe('/a~1b/c~0d/0')
    expect(parsePointer('/a~1b/c~0d/0')).toEqual(['a/b', 'c~d', '0'])
    expect(parsePointer('')).toEqual([])
  })

  it('sets and removes without touching the original or unrelated branches', () => {
    const base = { risk: { max: 1, min: 0 }, list: [1, 2, 3], other: { deep: true } }
    const next = setAt(base, ['risk', 'max'], 5) as typeof base
    expect(next.risk.max).toBe(5)
    expect(base.risk.max).toBe(1)
    expect(next.other).toBe(base.other)
    expect(setAt(base, ['list', 1], undefined)).toMatchObject({ list: [1, 3] })
    expect(Object.keys(setAt(base, ['risk', 'min'], undefined) as object)).toEqual(['risk', 'list', 'other'])
    expect(getAt(setAt({}, ['new', 'deep'], 'x'), ['new', 'deep'])).toBe('x')
  })

  it('isWithin matches whole segments only', () => {
    expect(isWithin('/risk/max', '/risk')).toBe(true)
    expect(isWithin('/risky', '/risk')).toBe(false)
    expect(isWithin('/anything', '')).toBe(true)
  })

  it('rebuilds any edited value from the server diff of the original', () => {
    fc.assert(
      fc.property(config, config, (before, after) => {
        const changes = diffConfigs(before, after, {})
        const rebuilt = applyChanges(before, changes)
        expect(deepEqual(rebuilt, after)).toBe(true)
      }),
      { numRuns: 400 },
    )
  })

  it('deepEqual compares structure, not identity', () => {
    expect(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true)
    expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false)
    expect(deepEqual([1, 2], [2, 1])).toBe(false)
  })
})
