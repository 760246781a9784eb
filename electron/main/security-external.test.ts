import { describe, expect, it } from 'vitest'
import {
  ALLOWED_EXTERNAL_ORIGINS,
  confirmLeaveOptions,
  externalLinkDecision,
  OPEN_BUTTON,
} from './security-external'

describe('externalLinkDecision', () => {
  it('lists only https origins, each without a path', () => {
    expect(ALLOWED_EXTERNAL_ORIGINS.length).toBeGreaterThan(0)
    for (const o of ALLOWED_EXTERNAL_ORIGINS) expect(new URL(o).origin).toBe(o)
    for (const o of ALLOWED_EXTERNAL_ORIGINS) expect(o.startsWith('https://')).toBe(true)
  })

  it('allows an https page on an allowed origin and hands on the serialised URL', () => {
    expect(externalLinkDecision('https://stackdeck.dev/docs/settings#docker')).toEqual({
      allow: true,
      url: 'https://stackdeck.dev/docs/settings#docker',
      origin: 'https://stackdeck.dev',
    })
    expect(externalLinkDecision('HTTPS://StackDeck.dev/a b')).toMatchObject({
      allow: true,
      url: 'https://stackdeck.dev/a%20b',
    })
  })

  it.each([
    ['another site', 'https://evil.example/'],
    ['a look-alike host', 'https://stackdeck.dev.evil.example/'],
    ['a host hidden behind credentials', 'https://stackdeck.dev@evil.example/'],
    ['credentials on the right host', 'https://user:pw@stackdeck.dev/'],
    ['plain http', 'http://stackdeck.dev/'],
    ['another port', 'https://stackdeck.dev:8443/'],
    ['file:', 'file:///etc/passwd'],
    ['javascript:', 'javascript:alert(1)'],
    ['a custom handler scheme', 'ms-msdt:/id PCWDiagnostic'],
    ['smb:', 'smb://stackdeck.dev/share'],
    ['our own scheme', 'app://stackdeck/index.html'],
    ['garbage', 'not a url'],
  ])('refuses %s', (_label, url) => {
    expect(externalLinkDecision(url).allow).toBe(false)
  })

  it('honours a list passed in, so the rule and the list stay separate', () => {
    expect(externalLinkDecision('https://docs.example/x', ['https://docs.example']).allow).toBe(true)
    expect(externalLinkDecision('https://stackdeck.dev/x', ['https://docs.example']).allow).toBe(false)
  })
})

describe('confirmLeaveOptions', () => {
  it('shows the URL and makes staying the default and the cancel answer', () => {
    const o = confirmLeaveOptions('https://stackdeck.dev/docs')
    expect(o.detail).toBe('https://stackdeck.dev/docs')
    expect(o.defaultId).toBe(o.cancelId)
    expect(o.defaultId).not.toBe(OPEN_BUTTON)
    expect(o.buttons[OPEN_BUTTON]).toMatch(/open/i)
  })
})
