/**
 * Sandboxed preload. It exposes one named function per contract operation and one subscriber
 * per contract event; the renderer never gets `ipcRenderer` or any generic channel access.
 * Envelopes pass through unchanged because Error objects lose their fields crossing contextBridge;
 * the renderer's IPC client rebuilds typed errors from them.
 */
import { contextBridge, ipcRenderer } from 'electron'
import { EVENT_CHANNEL, EVENTS_ARG, OP_CHANNEL_PREFIX, OPS_ARG } from '../core/api/ipc-channels'

function namesFrom(prefix: string): string[] {
  const arg = process.argv.find((a) => a.startsWith(prefix))
  return arg ? arg.slice(prefix.length).split(',').filter((n) => /^[a-zA-Z0-9_.]+$/.test(n)) : []
}

type Listener = (payload: unknown) => void
const listeners = new Map<string, Set<Listener>>()

ipcRenderer.on(EVENT_CHANNEL, (_event, name: unknown, payload: unknown) => {
  if (typeof name !== 'string') return
  for (const l of listeners.get(name) ?? []) l(payload)
})

const ops: Record<string, (input: unknown) => Promise<unknown>> = {}
for (const name of namesFrom(OPS_ARG)) {
  ops[name] = (input: unknown) => ipcRenderer.invoke(OP_CHANNEL_PREFIX + name, input)
}

const on: Record<string, (listener: Listener) => () => void> = {}
for (const name of namesFrom(EVENTS_ARG)) {
  on[name] = (listener: Listener) => {
    const set = listeners.get(name) ?? new Set<Listener>()
    set.add(listener)
    listeners.set(name, set)
    return () => set.delete(listener)
  }
}

contextBridge.exposeInMainWorld('stackdeck', { ops, on })
