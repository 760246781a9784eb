import { describe, expect, it } from 'vitest'
import { checkShape, exceedsDepth, MAX_INPUT_DEPTH, toPointer } from './bounded-shape'

const nest = (levels: number): unknown => {
  let v: unknown = 0
  for (let i = 0; i < levels; i++) v = [v]
  return v
}

describe('checkShape', () => {
  it('walks 100,000 levels without overflowing its own stack', () => {
    const v = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown
    expect(() => JSON.stringify(v)).toThrow(RangeError) // the reason the bound exists
    const bad = checkShape(v, { maxDepth: MAX_INPUT_DEPTH })
    expect(bad).toMatchObject({ reason: 'too_deep', message: 'is nested deeper than 64 levels' })
    expect(bad?.path).toMatch(/^\/0\/0\/0.*more levels\)$/)
  })

  it('counts the outermost container as level 1', () => {
    expect(checkShape(nest(64), { maxDepth: 64 })).toBeNull()
    expect(checkShape(nest(65), { maxDepth: 64 })?.reason).toBe('too_deep')
    expect(checkShape({ a: { b: 1 } }, { maxDepth: 2 })).toBeNull()
    expect(checkShape({ a: { b: {} } }, { maxDepth: 2 })).toMatchObject({ reason: 'too_deep', path: '/a/b' })
  })

  it('counts object keys and array items over the whole value', () => {
    expect(checkShape({ a: [1, 2], b: 3 }, { maxDepth: 9, maxEntries: 4 })).toBeNull()
    expect(checkShape({ a: [1, 2, 3], b: 3 }, { maxDepth: 9, maxEntries: 4 })).toMatchObject({
      reason: 'too_many_keys',
      path: '',
    })
  })

  it('finds NaN and ±Infinity only when asked, and names where', () => {
    const v = { quotes: [{ bid: 1 }, { bid: -Infinity }], 'a/b': { '~': NaN } }
    expect(checkShape(v, { maxDepth: 9 })).toBeNull()
    const first = checkShape({ quotes: v.quotes }, { maxDepth: 9, finiteOnly: true })
    expect(first).toEqual({
      reason: 'non_finite',
      path: '/quotes/1/bid',
      message: 'must be a finite number (got -inf)',
    })
    expect(checkShape({ 'a/b': { '~': NaN } }, { maxDepth: 9, finiteOnly: true })?.path).toBe('/a~1b/~0')
    expect(checkShape(Infinity, { maxDepth: 9, finiteOnly: true })?.path).toBe('')
    expect(checkShape(1e308, { maxDepth: 9, finiteOnly: true })).toBeNull()
  })

  it('scalars and null pass', () => {
    for (const v of [null, 'x', true, 0, undefined])
      expect(checkShape(v, { maxDepth: 1, maxEntries: 0, finiteOnly: true })).toBeNull()
  })
})

describe('exceedsDepth (the API dispatcher bound)', () => {
  it('walks shared and cyclic objects once', () => {
    const shared = { x: 1 }
    let dag: unknown = shared
    for (let i = 0; i < 40; i++) dag = { l: dag, r: dag } // 2^40 paths, 41 nodes
    expect(exceedsDepth(dag, 64)).toBe(false)
    const cyclic: Record<string, unknown> = {}
    cyclic['self'] = cyclic
    expect(exceedsDepth(cyclic, 64)).toBe(false)
    expect(exceedsDepth(nest(65), 64)).toBe(true)
  })
})

describe('toPointer', () => {
  it('escapes ~ and / and shortens very deep paths', () => {
    expect(toPointer(['a/b', 'c~d'])).toBe('/a~1b/c~0d')
    expect(toPointer(Array.from({ length: 20 }, () => '0'))).toBe(`${'/0'.repeat(12)}/…(8 more levels)`)
  })
})
