import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cspDirectives, HEADER_ONLY_DIRECTIVES, metaCsp, RENDERER_CSP } from './security-csp'

const indexHtml = readFileSync(resolve(import.meta.dirname, '../../renderer/index.html'), 'utf8')

describe('renderer CSP', () => {
  it('is the same in the app:// header and the <meta> tag, except for header-only directives', () => {
    const meta = metaCsp(indexHtml)
    expect(meta).not.toBeNull()
    const header = cspDirectives(RENDERER_CSP)
    for (const d of HEADER_ONLY_DIRECTIVES) header.delete(d)
    expect(Object.fromEntries(cspDirectives(meta!))).toEqual(Object.fromEntries(header))
  })

  it('allows no inline or eval script, no plugins and no framing', () => {
    const d = cspDirectives(RENDERER_CSP)
    expect(d.get('default-src')).toBe("'self'")
    expect(d.get('script-src')).toBe("'self'")
    expect(d.get('object-src')).toBe("'none'")
    expect(d.get('frame-ancestors')).toBe("'none'")
    expect(RENDERER_CSP).not.toMatch(/unsafe-|\*|https?:|app:/)
  })
})
