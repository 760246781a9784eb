import { describe, expect, it } from 'vitest'
import type { Handlers } from './contract'
import { createDispatcher } from './dispatcher'
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
})
