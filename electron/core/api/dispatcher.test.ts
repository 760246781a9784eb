import { describe, expect, it } from 'vitest'
import type { Handlers } from './contract'
import { createDispatcher, MAX_LISTED_ERRORS } from './dispatcher'
import { CoreError } from '../errors'

const ctx = { who: 'test', door: 'system' } as const

function dispatcherWith(impl: () => Promise<unknown>) {
  const handlers = new Proxy({} as Handlers, { get: () => impl })
  return createDispatcher(handlers, { validateResults: true, log: () => undefined })
}

describe('dispatcher', () => {
  it('reports unknown operations as not_found', async () => {
    const env = await dispatcherWith(async () => ({})).dispatch('nope.nothing', {}, ctx)
    expect(env).toMatchObject({ ok: false, error: { code: 'not_found' } })
  })

  it('turns a CoreError into a structured error with its path', async () => {
    const env = await dispatcherWith(async () => {
      throw new CoreError('conflict', 'config.toml changed on disk', { path: '/config.toml' })
    }).dispatch('settings.get', {}, ctx)
    expect(env).toEqual({ ok: false, error: { code: 'conflict', message: 'config.toml changed on disk', path: '/config.toml' } })
  })

  it('hides internals of unexpected errors', async () => {
    const env = await dispatcherWith(async () => {
      throw new Error('secret stack detail')
    }).dispatch('settings.get', {}, ctx)
    expect(env.ok).toBe(false)
    if (!env.ok) {
      expect(env.error.code).toBe('internal')
      expect(env.error.message).not.toContain('secret')
    }
  })

  it('flags a handler result that breaks the contract', async () => {
    const env = await dispatcherWith(async () => ({ wrong: true })).dispatch('app.info', {}, ctx)
    expect(env).toMatchObject({ ok: false, error: { code: 'internal' } })
  })

  describe('null and absent input', () => {
    it('refuses null for every operation, even one whose input is all optional', async () => {
      let called = 0
      const d = dispatcherWith(async () => {
        called++
        return {}
      })
      for (const op of ['stack.pause', 'settings.get', 'workflow.saveAndRestart']) {
        const env = await d.dispatch(op, null, ctx)
        expect(env, op).toEqual({ ok: false, error: { code: 'invalid_input', message: `${op}: input must be a JSON object, not null`, path: '/' } })
      }
      expect(called).toBe(0)
    })

    it('treats absent input as {} only when the input is entirely optional', async () => {
      const seen: unknown[] = []
      const handlers = new Proxy({} as Handlers, { get: () => async (i: unknown) => (seen.push(i), { ok: true }) })
      const d = createDispatcher(handlers, { log: () => undefined })
      expect((await d.dispatch('stack.pause', undefined, ctx)).ok).toBe(true)
      expect(seen).toEqual([{}])
      const env = await d.dispatch('bus.killswitch.engage', undefined, ctx)
      expect(env).toMatchObject({ ok: false, error: { code: 'invalid_input', path: '/reason' } })
      expect(!env.ok && env.error.message).toContain('input is required (an object with `reason`, `confirm`)')
    })
  })

  describe('lone surrogates', () => {
    it('refuses one in a value, naming the field path and the offset', async () => {
      const env = await dispatcherWith(async () => ({})).dispatch('config.validate', { text: 'ab\ud800c' }, ctx)
      expect(env).toMatchObject({ ok: false, error: { code: 'invalid_input', path: '/text' } })
      expect(!env.ok && env.error.message).toContain('lone surrogate (U+D800) at character offset 2')
    })

    it('finds one deep inside, and in a property name', async () => {
      const d = dispatcherWith(async () => ({}))
      const deep = await d.dispatch('workflow.saveAndRestart', { baseHash: 'a'.repeat(64), value: { risk: { 'a/b': ['ok', '\udc00'] } } }, ctx)
      expect(deep).toMatchObject({ ok: false, error: { path: '/value/risk/a~1b/1' } })
      const key = await d.dispatch('workflow.saveAndRestart', { baseHash: 'a'.repeat(64), value: { ['x\ud83d']: 1 } }, ctx)
      expect(key).toMatchObject({ ok: false, error: { path: '/value/x\ud83d' } })
      expect(!key.ok && key.error.message).toContain('the property name holds a lone surrogate (U+D83D) at character offset 1')
    })

    it('accepts well-formed pairs (emoji)', async () => {
      const handlers = new Proxy({} as Handlers, { get: () => async () => ({ valid: true, errors: [], warnings: [] }) })
      const env = await createDispatcher(handlers, { log: () => undefined }).dispatch('config.validate', { text: 'name = "😀"' }, ctx)
      expect(env.ok).toBe(true)
    })
  })

  it('caps the listed validation errors and counts the rest', async () => {
    const body: Record<string, number> = {}
    for (let i = 0; i < 60_000; i++) body[`k${i}`] = i
    const env = await dispatcherWith(async () => ({})).dispatch('settings.get', body, ctx)
    expect(env.ok).toBe(false)
    if (env.ok) return
    expect(env.error.details).toHaveLength(MAX_LISTED_ERRORS + 1)
    expect(env.error.details?.at(-1)).toEqual({ path: '/', message: `and ${60_000 - MAX_LISTED_ERRORS} more error(s), not listed` })
    expect(env.error.message).toBe('settings.get: /k0 is not an allowed property (and 59999 more errors)')
    expect(JSON.stringify(env).length).toBeLessThan(4096)
  })
})
