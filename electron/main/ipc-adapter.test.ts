import { describe, expect, it } from 'vitest'
import { createDispatcher } from '@core/api/dispatcher'
import type { Envelope, Handlers } from '@core/api/contract'
import { OP_CHANNEL_PREFIX } from '@core/api/ipc-channels'
import { registerIpcAdapter, type IpcInvokeEvent, type IpcTransport } from './ipc-adapter'

/** Stand-in for ipcMain: records handlers so the test can invoke them as a renderer would. */
class FakeTransport implements IpcTransport {
  readonly handlers = new Map<string, (e: IpcInvokeEvent, input: unknown) => Promise<Envelope<unknown>>>()
  handle(channel: string, fn: (e: IpcInvokeEvent, input: unknown) => Promise<Envelope<unknown>>) {
    this.handlers.set(channel, fn)
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel)
  }
  invoke(op: string, input: unknown, url = 'file:///app/out/renderer/index.html') {
    const fn = this.handlers.get(OP_CHANNEL_PREFIX + op)
    if (!fn) throw new Error(`no handler for ${op}`)
    return fn({ senderFrame: { url, parent: null } }, input)
  }
}

function setup() {
  const calls: unknown[] = []
  const handlers = new Proxy({} as Handlers, {
    get: (_t, name: string) => async (input: unknown) => {
      calls.push({ name, input })
      return {
        name: 'Stackdeck',
        version: '1',
        platform: 'x',
        node: '20',
        pid: 1,
        startedAt: new Date(0).toISOString(),
        uptimeS: 0,
        settingsSource: null,
        who: 'u',
        instance: { kind: 'desktop', url: null, hostname: 'h', stateDir: '/tmp/state' },
      }
    },
  })
  const transport = new FakeTransport()
  const dispose = registerIpcAdapter(transport, createDispatcher(handlers, { validateResults: true }), {
    isTrustedFrame: (url) => url.startsWith('file:///app/out/renderer/'),
    who: 'trader',
  })
  return { calls, transport, dispose }
}

describe('IPC adapter', () => {
  it('registers one channel per contract operation', () => {
    const { transport } = setup()
    expect([...transport.handlers.keys()]).toContain(`${OP_CHANNEL_PREFIX}app.info`)
  })

  it('passes valid input to the core and wraps the result in an envelope', async () => {
    const { transport, calls } = setup()
    const env = await transport.invoke('app.info', {})
    expect(env.ok).toBe(true)
    expect(calls).toEqual([{ name: 'app.info', input: {} }])
  })

  it.each([
    ['an unknown property', { extra: 1 }],
    ['a string', 'hello'],
    ['an array', [1, 2]],
    ['a number', 42],
  ])('rejects %s before it reaches the core', async (_label, input) => {
    const { transport, calls } = setup()
    const env = await transport.invoke('app.info', input)
    expect(env.ok).toBe(false)
    if (!env.ok) {
      expect(env.error.code).toBe('invalid_input')
      expect(env.error.path).toBeDefined()
    }
    expect(calls).toHaveLength(0)
  })

  it('refuses calls from a frame that is not our renderer', async () => {
    const { transport, calls } = setup()
    const env = await transport.invoke('app.info', {}, 'https://evil.example/')
    expect(env).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(calls).toHaveLength(0)
  })

  it('removes its handlers on dispose', () => {
    const { transport, dispose } = setup()
    dispose()
    expect(transport.handlers.size).toBe(0)
  })
})
