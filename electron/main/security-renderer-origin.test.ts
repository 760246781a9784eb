import { describe, expect, it } from 'vitest'
import { APP_ENTRY_URL, isOwnUrl, rendererSource } from './security-renderer-origin'

describe('rendererSource', () => {
  it('serves the built renderer from app://stackdeck in a production build, whatever the dev URL says', () => {
    // The production call site passes dev: false; a stray devUrl must change nothing.
    const src = rendererSource({ dev: false, devUrl: 'https://evil.example/' })
    expect(src).toEqual({ entryUrl: APP_ENTRY_URL, protocol: 'app:', host: 'stackdeck', dev: false })
    expect(isOwnUrl(src, 'https://evil.example/')).toBe(false)
  })

  it('uses the dev server in a development build', () => {
    const src = rendererSource({ dev: true, devUrl: 'http://localhost:5173' })
    expect(src).toMatchObject({ entryUrl: 'http://localhost:5173/', host: 'localhost:5173', dev: true })
    expect(isOwnUrl(src, 'http://localhost:5173/src/main.tsx')).toBe(true)
    expect(isOwnUrl(src, APP_ENTRY_URL)).toBe(false)
  })

  it('falls back to app:// in a development build without a dev server', () => {
    expect(rendererSource({ dev: true }).entryUrl).toBe(APP_ENTRY_URL)
  })

  it.each([
    'https://evil.example/',
    'http://192.168.1.5:5173/',
    'file:///tmp/x.html',
    'http://user@localhost:5173/',
    'not a url',
  ])('refuses a dev server that is not plain http(s) on loopback: %s', (devUrl) => {
    expect(() => rendererSource({ dev: true, devUrl })).toThrow(/localhost/)
  })
})

describe('isOwnUrl (production)', () => {
  const src = rendererSource({ dev: false })

  it.each([
    'app://stackdeck/index.html',
    'app://stackdeck/index.html#/stack',
    'app://stackdeck/assets/index-abc.js',
    // Chromium's requesting origin for permission checks has no path.
    'app://stackdeck',
  ])('accepts %s', (url) => expect(isOwnUrl(src, url)).toBe(true))

  it.each([
    'app://stackdeck.evil/index.html',
    'app://stackdeck@evil/index.html',
    'app://evil@stackdeck/index.html',
    'app://stackdeck:8080/index.html',
    'app://other/index.html',
    'file:///opt/stackdeck/out/renderer/index.html',
    'https://stackdeck/index.html',
    'http://localhost:5173/',
    '',
    'app:stackdeck',
  ])('refuses %s', (url) => expect(isOwnUrl(src, url)).toBe(false))
})
