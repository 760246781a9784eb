import { describe, expect, it } from 'vitest'
import { createDispatcher } from '@core/api/dispatcher'
import type { Envelope, Handlers } from '@core/api/contract'
import { OP_CHANNEL_PREFIX } from '@core/api/ipc-channels'
import { registerIpcAdapter, type IpcInvokeEvent } from './ipc-adapter'
import { senderRefusal, type SenderFrame } from './ipc-sender'

const OWN = 'app://stackdeck/index.html#/stack'
const trusted = (url: string) => url.startsWith('app://stackdeck/')
const mainFrame = (url: string): SenderFrame => ({ url, parent: null })
const subFrame = (url: string): SenderFrame => ({ url, parent: mainFrame(OWN) })

describe('senderRefusal', () => {
  it('lets the main frame of our renderer call', () => {
    expect(senderRefusal(mainFrame(OWN), trusted)).toBeNull()
  })

  it.each([
    ['a subframe on our own origin', subFrame('app://stackdeck/index.html'), /subframe/],
    ['a subframe elsewhere', subFrame('https://evil.example/'), /subframe/],
    ['a main frame elsewhere', mainFrame('https://evil.example/'), /untrusted/],
    ['a frame that is gone', null, /gone/],
    // Fail closed: a frame object without the field is not taken for a main frame.
    ['a frame whose parent is unknown', { url: OWN } as unknown as SenderFrame, /subframe/],
  ])('refuses %s', (_label, frame, why) => {
    expect(senderRefusal(frame, trusted)).toMatch(why)
  })
})

describe('IPC adapter with the sender rule', () => {
  function setup() {
    const calls: string[] = []
    const handlers = new Proxy({} as Handlers, {
      get: (_t, name: string) => async () => {
        calls.push(name)
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
        }
      },
    })
    const listeners = new Map<string, (e: IpcInvokeEvent, input: unknown) => Promise<Envelope<unknown>>>()
    registerIpcAdapter(
      { handle: (c, l) => void listeners.set(c, l), removeHandler: (c) => void listeners.delete(c) },
      createDispatcher(handlers),
      { isTrustedFrame: trusted, who: 'trader' },
    )
    const invoke = (senderFrame: SenderFrame | null) =>
      listeners.get(`${OP_CHANNEL_PREFIX}app.info`)!({ senderFrame }, {})
    return { calls, invoke }
  }

  it('serves the main frame', async () => {
    const { calls, invoke } = setup()
    expect(await invoke(mainFrame(OWN))).toMatchObject({ ok: true })
    expect(calls).toEqual(['app.info'])
  })

  it('refuses an iframe of our own page before the core is called', async () => {
    const { calls, invoke } = setup()
    expect(await invoke(subFrame('app://stackdeck/index.html'))).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    })
    expect(await invoke(null)).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(calls).toHaveLength(0)
  })
})
