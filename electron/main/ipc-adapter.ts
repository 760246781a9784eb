/**
 * The Electron door, written against a minimal transport interface so it can be unit-tested
 * without the Electron binary. Main wires it to `ipcMain`.
 */
import type { Dispatcher } from '@core/api/dispatcher'
import type { Envelope, EventMap, OperationName } from '@core/api/contract'
import { operationNames } from '@core/api/contract'
import type { EventHub } from '@core/event-hub'
import { EVENT_CHANNEL, OP_CHANNEL_PREFIX } from '@core/api/ipc-channels'
import { senderRefusal, type SenderFrame } from './ipc-sender'

export interface IpcInvokeEvent {
  senderFrame: SenderFrame | null
}

export interface IpcTransport {
  handle(
    channel: string,
    listener: (event: IpcInvokeEvent, input: unknown) => Promise<Envelope<unknown>>,
  ): void
  removeHandler(channel: string): void
}

export interface EventSink {
  send(channel: string, name: string, payload: unknown): void
  isDestroyed(): boolean
}

export interface IpcAdapterOptions {
  /** True only for URLs of our own renderer (app://stackdeck, or the dev server in a dev build). Main frames only are asked. */
  isTrustedFrame: (url: string) => boolean
  who: string
}

export function registerIpcAdapter(
  transport: IpcTransport,
  dispatcher: Dispatcher,
  opts: IpcAdapterOptions,
): () => void {
  const channels: string[] = []
  for (const name of operationNames) {
    const channel = OP_CHANNEL_PREFIX + name
    channels.push(channel)
    transport.handle(channel, async (event, input) => {
      const refusal = senderRefusal(event.senderFrame, opts.isTrustedFrame)
      if (refusal) return { ok: false, error: { code: 'forbidden', message: refusal } }
      return dispatcher.dispatch(name satisfies OperationName, input, { who: opts.who, door: 'ipc' })
    })
  }
  return () => channels.forEach((c) => transport.removeHandler(c))
}

/** Forwards every core event to a window; a destroyed window simply stops receiving. */
export function forwardEvents(hub: EventHub<EventMap>, sink: EventSink): () => void {
  return hub.subscribe((name, payload) => {
    if (!sink.isDestroyed()) sink.send(EVENT_CHANNEL, name, payload)
  })
}
