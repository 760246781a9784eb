import { describe, expect, it } from 'vitest'
import { isCoreError } from '../errors'
import { parseSettings } from './load-settings'
import { selectorsCanOverlap } from './selector-overlap'

const SUP = { desired: 1, autoHeal: true }
const svc = (name: string, selector: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  name,
  selector,
  reload: { signal: null, logPattern: null },
  ...extra,
})

describe('selectorsCanOverlap (all labels must match; a container may carry any others)', () => {
  it.each([
    ['identical', { app: 'x' }, { app: 'x' }, true],
    ['one a subset of the other', { app: 'x' }, { app: 'x', tier: 'exec' }, true],
    ['no key in common', { app: 'x' }, { tier: 'exec' }, true],
    ['same key, different values', { app: 'x' }, { app: 'y' }, false],
    ['a shared key differs though another matches', { app: 'x', tier: 'a' }, { app: 'x', tier: 'b' }, false],
    ['an empty value is a value', { app: '' }, { app: 'x' }, false],
  ])('%s', (_what, a, b, overlap) => {
    expect(selectorsCanOverlap({ selector: a }, { selector: b })).toBe(overlap)
    expect(selectorsCanOverlap({ selector: b }, { selector: a })).toBe(overlap)
  })

  it('services pinned to different endpoints never share a container; one unpinned may', () => {
    expect(selectorsCanOverlap({ selector: { app: 'x' }, endpoint: 'a' }, { selector: { app: 'x' }, endpoint: 'b' })).toBe(false)
    expect(selectorsCanOverlap({ selector: { app: 'x' }, endpoint: 'a' }, { selector: { app: 'x' }, endpoint: 'a' })).toBe(true)
    expect(selectorsCanOverlap({ selector: { app: 'x' }, endpoint: 'a' }, { selector: { app: 'x' } })).toBe(true)
  })
})

describe('settings refuse overlapping supervised services', () => {
  const refusal = (services: unknown[]): unknown => {
    try {
      parseSettings({ services }, 'settings.json')
      return null
    } catch (err) {
      return err
    }
  }

  it('names both services, the field, and the fix', () => {
    const err = refusal([svc('feed', { app: 'feed' }, { supervise: SUP }), svc('exec', { tier: 'exec' }, { supervise: SUP })])
    expect(isCoreError(err)).toBe(true)
    expect(err).toMatchObject({ code: 'invalid_input', path: '/services/1/selector' })
    const message = (err as Error).message
    expect(message).toContain('settings.json: /services/1/selector')
    expect(message).toContain('"feed" and "exec"')
    expect(message).toContain('app=feed, tier=exec')
    expect(message).toContain('different values')
  })

  it('lists every overlapping pair in the details', () => {
    const err = refusal([
      svc('a', { app: 'x' }, { supervise: SUP }),
      svc('b', { app: 'x' }, { supervise: SUP }),
      svc('c', { app: 'x', tier: '1' }, { supervise: SUP }),
    ])
    expect((err as { details?: Array<{ path: string }> }).details?.map((d) => d.path)).toEqual([
      '/services/1/selector',
      '/services/2/selector',
      '/services/2/selector',
    ])
  })

  it('accepts disjoint selectors, different endpoints, and overlap with an unsupervised service', () => {
    const endpoints = [
      { id: 'a', url: 'unix:///a.sock' },
      { id: 'b', url: 'unix:///b.sock' },
    ]
    expect(refusal([svc('feed', { app: 'feed' }, { supervise: SUP }), svc('exec', { app: 'exec' }, { supervise: SUP })])).toBeNull()
    expect(
      parseSettings(
        { docker: { endpoints }, services: [svc('x1', { app: 'x' }, { supervise: SUP, endpoint: 'a' }), svc('x2', { app: 'x' }, { supervise: SUP, endpoint: 'b' })] },
        'settings.json',
      ).services,
    ).toHaveLength(2)
    // Only supervision acts on its own; the stack view listing one container under two services is not a double restart.
    expect(refusal([svc('feed', { app: 'feed' }, { supervise: SUP }), svc('all', { app: 'feed' })])).toBeNull()
  })
})
