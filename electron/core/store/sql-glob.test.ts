import { describe, expect, it } from 'vitest'
import { globToLike, likeDottedPrefix, storableText } from './sql-glob'

describe('globToLike', () => {
  it('turns * and ? into % and _, and escapes LIKE metacharacters so they match only themselves', () => {
    expect(globToLike('orchestrator.*')).toBe('orchestrator.%')
    expect(globToLike('agent.?.state')).toBe('agent._.state')
    expect(globToLike('fill_100%')).toBe('fill\\_100\\%')
    expect(globToLike('a\\b')).toBe('a\\\\b')
  })
})

describe('likeDottedPrefix', () => {
  it('matches below a dot boundary only, with LIKE metacharacters in the prefix taken literally', () => {
    expect(likeDottedPrefix('data.market')).toBe('data.market.%')
    expect(likeDottedPrefix('fill_1%')).toBe('fill\\_1\\%.%')
  })
})

describe('storableText', () => {
  it('replaces NUL, which PostgreSQL text cannot hold, and leaves everything else alone', () => {
    expect(storableText('a\u0000b')).toBe('a\uFFFDb')
    const s = 'emoji 🚀 rtl \u202e zero\u200bwidth'
    expect(storableText(s)).toBe(s)
  })
})
