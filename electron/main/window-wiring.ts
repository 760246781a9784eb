/**
 * What a window subscribes to on the core's event hub, and when it lets go. Everything a window
 * subscribes to is undone when that window closes: before this, each `createWindow` added an
 * `app.alert` listener that outlived its window, so after macOS `activate` re-created the window
 * every alert raised one more notification. Written against minimal interfaces so the bookkeeping
 * is unit-tested without Electron.
 */
import type { EventMap } from '@core/api/contract'
import type { EventHub } from '@core/event-hub'
import { forwardEvents } from './ipc-adapter'

/** The part of `BrowserWindow` the wiring uses. */
export interface WiredWindow {
  isDestroyed(): boolean
  webContents: { send(channel: string, ...args: unknown[]): void; isDestroyed(): boolean }
  once(event: 'closed', listener: () => void): unknown
}

export type AlertPayload = EventMap['app.alert']

/**
 * Forwards every hub event to the window and shows each alert through `notify`, for as long as the
 * window lives. Returns the unsubscribe (also run on `closed`; running it twice is harmless).
 */
export function wireWindowToHub(
  win: WiredWindow,
  hub: EventHub<EventMap>,
  notify: (alert: AlertPayload) => void,
): () => void {
  const unsubscribers = [
    forwardEvents(hub, {
      send: (channel, name, payload) => win.webContents.send(channel, name, payload),
      isDestroyed: () => win.isDestroyed() || win.webContents.isDestroyed(),
    }),
    hub.on('app.alert', notify),
  ]
  const release = () => {
    for (const off of unsubscribers.splice(0)) off()
  }
  win.once('closed', release)
  return release
}
