import { describe, expect, it } from 'vitest'
import { allowsOrigin, attachRequest, attachTarget, localOwnerToken } from './attach'

describe('attach request', () => {
  it('reads --attach URL, --attach=URL, then STACKDECK_ATTACH; none means start a core', () => {
    expect(attachRequest(['electron', '.', '--attach', 'https://box:7420'], {})).toBe('https://box:7420')
    expect(
      attachRequest(['x', '--attach=http://127.0.0.1:7420'], { STACKDECK_ATTACH: 'https://other' }),
    ).toBe('http://127.0.0.1:7420')
    expect(attachRequest(['x'], { STACKDECK_ATTACH: 'https://other' })).toBe('https://other')
    expect(attachRequest(['x', '--hidden'], {})).toBeNull()
    // A flag with no value is a request with an empty URL, refused below, not silently a local core.
    expect(attachRequest(['x', '--attach'], {})).toBe('')
  })
})

describe('attach target', () => {
  it('loads the host’s own page with the token in the fragment', () => {
    expect(attachTarget('http://127.0.0.1:7420/ignored', 'tok_abc-123.~', 'by URL')).toEqual({
      ok: true,
      origin: 'http://127.0.0.1:7420',
      windowUrl: 'http://127.0.0.1:7420/#token=tok_abc-123.~',
      how: 'by URL',
    })
    expect(attachTarget('https://colo.example:7420', 'tok', 'x')).toMatchObject({ ok: true })
  })

  it('refuses plain http beyond loopback, a missing token and a token the page would drop', () => {
    const remote = attachTarget('http://10.1.2.3:7420', 'tok', 'x')
    expect(remote.ok).toBe(false)
    if (!remote.ok)
      expect(remote.reason).toMatch(/^Cannot attach to http:\/\/10\.1\.2\.3:7420: refused plain http/)
    expect(attachTarget('https://colo.example', '', 'x')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('no token. Set STACKDECK_TOKEN') as string,
    })
    expect(attachTarget('https://colo.example', 'a b', 'x')).toMatchObject({ ok: false })
    expect(attachTarget('', 'tok', 'x')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('Cannot attach to (no URL)') as string,
    })
  })
})

describe('local owner token', () => {
  it('takes STACKDECK_TOKEN, then api.token, then the owner’s token file', async () => {
    const file = () => Promise.resolve('from-file')
    expect(
      await localOwnerToken({ env: { STACKDECK_TOKEN: 'env' }, settingsToken: 's', tokenFile: file }),
    ).toBe('env')
    expect(await localOwnerToken({ env: {}, settingsToken: 's', tokenFile: file })).toBe('s')
    expect(await localOwnerToken({ env: {}, settingsToken: '', tokenFile: file })).toBe('from-file')
    expect(
      await localOwnerToken({ env: {}, settingsToken: '', tokenFile: () => Promise.resolve(null) }),
    ).toBeNull()
  })
})

describe('navigation while attached', () => {
  it('allows the attached origin only', () => {
    expect(allowsOrigin('http://127.0.0.1:7420', 'http://127.0.0.1:7420/#audit')).toBe(true)
    expect(allowsOrigin('http://127.0.0.1:7420', 'http://127.0.0.1:7421/')).toBe(false)
    expect(allowsOrigin('http://127.0.0.1:7420', 'https://evil.example/')).toBe(false)
    expect(allowsOrigin(null, 'http://127.0.0.1:7420/')).toBe(false)
    expect(allowsOrigin('http://127.0.0.1:7420', 'not a url')).toBe(false)
  })
})
