import { describe, expect, it } from 'vitest'
import { createTwoFilesPatch } from 'diff'
import { classifyUnified, invertChanges, invertUnified } from './diff-text'

// The same call the server's config-diff makes.
const unifiedDiff = (a: string, b: string, la: string, lb: string) => createTwoFilesPatch(la, lb, a, b, undefined, undefined, { context: 3 })

const A = ['# head', 'a = 1', 'b = 2', 'c = 3', 'd = 4', 'e = 5', 'f = 6', 'g = 7', 'h = 8', 'i = 9', 'j = 10', ''].join('\n')
const B = ['# head', 'a = 1', 'b = 20', 'c = 3', 'd = 4', 'e = 5', 'f = 6', 'g = 7', 'h = 8', 'i = 9', 'k = 11', 'j = 10', 'z = 0', ''].join('\n')

describe('diff-text', () => {
  it('inverting the server diff of A->B gives the server diff of B->A', () => {
    for (const [x, y] of [[A, B], [B, A], ['a\nb\n', 'a\nc\nd\n']] as const) {
      const fwd = unifiedDiff(x, y, 'x', 'y')
      expect(invertUnified(fwd, 'y', 'x')).toBe(unifiedDiff(y, x, 'y', 'x'))
    }
  })

  it('classifies lines for colouring', () => {
    const kinds = classifyUnified(unifiedDiff('a\nb\n', 'a\nc\n', 'old', 'new')).map((l) => l.kind)
    expect(kinds).toEqual(['meta', 'meta', 'meta', 'hunk', 'ctx', 'del', 'add'])
    expect(classifyUnified('')).toEqual([])
  })

  it('inverts field changes', () => {
    const out = invertChanges([
      { pointer: '/a', kind: 'added' as const, after: 1, apply: 'hot' as const },
      { pointer: '/b', kind: 'changed' as const, before: 1, after: 2, apply: 'restart' as const },
    ])
    expect(out).toEqual([
      { pointer: '/a', kind: 'removed', before: 1, apply: 'hot' },
      { pointer: '/b', kind: 'changed', before: 2, after: 1, apply: 'restart' },
    ])
  })
})
