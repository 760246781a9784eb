import { describe, expect, it } from 'vitest'
import { checkEvidencePattern, compileEvidencePattern, placeholders, valueAt } from './evidence-pattern'

describe('reload evidence patterns that name config values', () => {
  const cfg = { risk: { max_position: 250, 'a/b': 'x.y' }, name: 'alpha (1)' }
  it('finds placeholders and values by JSON pointer', () => {
    expect(placeholders('reloaded max={{/risk/max_position}} n={{/name}}')).toEqual(['/risk/max_position', '/name'])
    expect(valueAt(cfg, '/risk/a~1b')).toBe('x.y')
    expect(valueAt(cfg, '/risk/missing')).toBeUndefined()
  })
  it('matches only the new value, escaped', () => {
    const c = compileEvidencePattern('Config reloaded.*max_position={{/risk/max_position}}\\b', cfg)
    if ('error' in c) throw new Error(c.error)
    expect(c.re.test('Config reloaded: max_position=250')).toBe(true)
    expect(c.re.test('Config reloaded: max_position=100')).toBe(false)
    const n = compileEvidencePattern('name={{/name}}$', cfg)
    if ('error' in n) throw new Error(n.error)
    expect(n.re.test('name=alpha (1)')).toBe(true)
    expect(n.re.test('name=alphaX(1)')).toBe(false)
  })
  it('names a pointer the new config lacks; without a config placeholders match anything', () => {
    expect(compileEvidencePattern('x={{/nope}}', cfg)).toEqual({ error: 'the reload pattern names /nope, which the new config.toml does not have' })
    expect(checkEvidencePattern('x={{/nope}}').test('x=whatever')).toBe(true)
    expect(() => checkEvidencePattern('(')).toThrow()
  })
})
