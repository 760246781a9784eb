import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP_SCHEME_PRIVILEGES, createAppRequestHandler, resolveAppRequest } from './security-app-protocol'
import { RENDERER_CSP } from './security-csp'

const ROOT = '/opt/stackdeck/out/renderer'

describe('resolveAppRequest', () => {
  it.each([
    ['app://stackdeck/', 'index.html'],
    ['app://stackdeck', 'index.html'],
    ['app://stackdeck/index.html', 'index.html'],
    ['app://stackdeck/index.html?x=1#/stack', 'index.html'],
    ['app://stackdeck/assets/index-abc.js', 'assets/index-abc.js'],
    ['app://stackdeck/assets/my%20font.woff2', 'assets/my font.woff2'],
    // The URL parser resolves literal dot segments against the root before we see them, so these
    // stay inside the directory (Chromium canonicalises standard-scheme URLs the same way).
    ['app://stackdeck/../../etc/passwd.txt', 'etc/passwd.txt'],
    ['app://stackdeck/assets/%2e%2e/index.html', 'index.html'],
    ['app://stackdeck/%2e%2e', 'index.html'],
  ])('serves %s as <root>/%s', (url, rel) => {
    const r = resolveAppRequest(ROOT, url)
    expect(r).toMatchObject({ ok: true, file: path.join(ROOT, rel) })
  })

  it.each([
    ['an encoded slash', 'app://stackdeck/..%2F..%2Fetc%2Fpasswd', 400],
    ['an encoded slash inside a name', 'app://stackdeck/assets%2F..%2F..%2Fx.js', 400],
    ['an encoded backslash', 'app://stackdeck/..%5C..%5Cwindows%5Cwin.ini', 400],
    ['a raw backslash', 'app://stackdeck/..\\..\\x.js', 400],
    ['an encoded NUL', 'app://stackdeck/index.html%00.js', 400],
    ['a drive letter', 'app://stackdeck/C:%5Cx.js', 400],
    ['malformed percent-encoding', 'app://stackdeck/%E0%A4%A.js', 400],
    ['an empty segment', 'app://stackdeck/assets//x.js', 404],
    ['a directory', 'app://stackdeck/assets/', 404],
    ['a file type that is not served', 'app://stackdeck/secrets.env', 404],
    ['another host', 'app://evil/index.html', 403],
    ['a look-alike host', 'app://stackdeck.evil/index.html', 403],
    ['credentials', 'app://user@stackdeck/index.html', 403],
    ['a port', 'app://stackdeck:1/index.html', 403],
    ['another scheme', 'file:///opt/stackdeck/out/renderer/index.html', 403],
    ['not a URL', '::', 400],
  ])('refuses %s', (_label, url, status) => {
    const r = resolveAppRequest(ROOT, url)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.status).toBe(status)
  })

  it('applies the same rules with Windows paths', () => {
    const root = 'C:\\Program Files\\Stackdeck\\resources\\app.asar\\out\\renderer'
    expect(resolveAppRequest(root, 'app://stackdeck/assets/a.js', path.win32)).toMatchObject({
      ok: true,
      file: `${root}\\assets\\a.js`,
    })
    for (const url of [
      'app://stackdeck/..%5C..%5Cx.js',
      'app://stackdeck/C:%5Cx.js',
      'app://stackdeck/a%3A.js',
    ]) {
      expect(resolveAppRequest(root, url, path.win32).ok).toBe(false)
    }
  })

  it('never resolves outside root, for any mix of hostile segments (property test)', () => {
    const pieces = [
      '..',
      '.',
      '%2e%2e',
      '%2E.',
      '%2f',
      '%5c',
      '%00',
      'a',
      'index.html',
      'x.js',
      '',
      '%252e%252e',
      ':',
      'C:',
    ]
    let seed = 1
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    for (let i = 0; i < 5000; i++) {
      const n = 1 + (next() % 6)
      const segs = Array.from({ length: n }, () => pieces[next() % pieces.length])
      const r = resolveAppRequest(ROOT, `app://stackdeck/${segs.join('/')}`)
      if (r.ok) {
        const rel = path.relative(ROOT, r.file)
        expect(
          rel.startsWith('..') || path.isAbsolute(rel) || rel === '',
          `escaped with ${segs.join('/')}`,
        ).toBe(false)
      }
    }
  })
})

describe('createAppRequestHandler', () => {
  let root: string
  let outside: string
  beforeAll(() => {
    outside = mkdtempSync(path.join(tmpdir(), 'stackdeck-app-protocol-'))
    root = path.join(outside, 'renderer')
    mkdirSync(path.join(root, 'assets'), { recursive: true })
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><p>hello</p>')
    writeFileSync(path.join(root, 'assets', 'app.js'), 'console.log(1)')
    writeFileSync(path.join(outside, 'secret.txt'), 'do not serve')
  })
  afterAll(() => rmSync(outside, { recursive: true, force: true }))

  const quiet = { log: () => undefined }

  it('serves index.html with the CSP header and nosniff', async () => {
    const res = await createAppRequestHandler(root, quiet)(new Request('app://stackdeck/'))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('content-security-policy')).toBe(RENDERER_CSP)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await res.text()).toContain('hello')
  })

  it('serves scripts with a JavaScript type (module scripts need one) and no CSP header', async () => {
    const res = await createAppRequestHandler(root, quiet)(new Request('app://stackdeck/assets/app.js'))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/)
    expect(res.headers.get('content-security-policy')).toBeNull()
  })

  it('does not serve the file next to the renderer directory', async () => {
    const handler = createAppRequestHandler(root, quiet)
    for (const url of [
      'app://stackdeck/..%2Fsecret.txt',
      'app://stackdeck/../secret.txt',
      'app://stackdeck/%2e%2e/secret.txt',
    ]) {
      const res = await handler(new Request(url))
      expect(res.status, url).not.toBe(200)
      expect(await res.text()).not.toContain('do not serve')
    }
  })

  it('answers 404 for a missing file and 405 for a write', async () => {
    const handler = createAppRequestHandler(root, quiet)
    expect((await handler(new Request('app://stackdeck/nope.js'))).status).toBe(404)
    const post = await handler(new Request('app://stackdeck/index.html', { method: 'POST', body: 'x' }))
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
  })

  it('answers HEAD without a body', async () => {
    const res = await createAppRequestHandler(
      root,
      quiet,
    )(new Request('app://stackdeck/index.html', { method: 'HEAD' }))
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
  })

  it('answers 500 and logs when a file cannot be read for another reason', async () => {
    const logs: string[] = []
    const handler = createAppRequestHandler(root, {
      log: (m) => logs.push(m),
      readFile: () =>
        Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })),
    })
    expect((await handler(new Request('app://stackdeck/index.html'))).status).toBe(500)
    expect(logs.join('\n')).toMatch(/permission denied/)
  })
})

describe('APP_SCHEME_PRIVILEGES', () => {
  it('is standard and secure, and neither bypasses the CSP nor opens the scheme to other origins', () => {
    expect(APP_SCHEME_PRIVILEGES).toMatchObject({ standard: true, secure: true })
    expect(APP_SCHEME_PRIVILEGES).not.toHaveProperty('bypassCSP')
    expect(APP_SCHEME_PRIVILEGES).not.toHaveProperty('corsEnabled')
  })
})
