import { describe, expect, it } from 'vitest'
import { checkHostUrl, isLoopbackHostname } from './host-url'

describe('isLoopbackHostname', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['localhost', true],
    ['LOCALHOST.', true],
    ['app.localhost', true],
    ['[::1]', true],
    ['::ffff:7f00:1', true],
    ['128.0.0.1', false],
    ['127.0.0.256', false],
    ['10.0.0.5', false],
    ['localhost.example.com', false],
    ['box', false],
    ['[::2]', false],
  ])('%s -> %s', (host, loop) => {
    expect(isLoopbackHostname(host)).toBe(loop)
  })
})

describe('checkHostUrl', () => {
  it('accepts loopback http and any https, and keeps only the origin', () => {
    expect(checkHostUrl('http://127.0.0.1:7420/some/path#x')).toEqual({
      ok: true,
      origin: 'http://127.0.0.1:7420',
      loopback: true,
      tls: false,
    })
    expect(checkHostUrl('http://[::1]:7420')).toMatchObject({ ok: true, origin: 'http://[::1]:7420' })
    expect(checkHostUrl(' https://box.example:7420/ ')).toEqual({
      ok: true,
      origin: 'https://box.example:7420',
      loopback: false,
      tls: true,
    })
  })

  it('refuses plain http beyond loopback, naming the host and the two ways that work', () => {
    const r = checkHostUrl('http://10.0.0.5:7420')
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.reason).toContain('refused plain http:// to 10.0.0.5:7420')
    expect(r.reason).toContain('https://')
    expect(r.reason).toContain('ssh -L 7420:127.0.0.1:7420 10.0.0.5')
  })

  it('refuses other schemes, credentials in the URL and garbage', () => {
    expect(checkHostUrl('ws://127.0.0.1:7420')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('ws://') as string,
    })
    expect(checkHostUrl('https://me:pw@box:7420')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('no user or password') as string,
    })
    expect(checkHostUrl('box:7420')).toMatchObject({ ok: false })
    expect(checkHostUrl('')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('is not a URL') as string,
    })
  })
})
