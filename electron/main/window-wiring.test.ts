import { describe, expect, it } from 'vitest'
import type { EventMap } from '@core/api/contract'
import { EventHub } from '@core/event-hub'
import { wireWindowToHub, type AlertPayload, type WiredWindow } from './window-wiring'

/** Stand-in for BrowserWindow: records what it was sent and fires `closed` on demand. */
class FakeWindow implements WiredWindow {
  readonly sent: unknown[][] = []
  private destroyed = false
  private readonly closedListeners: Array<() => void> = []
  readonly webContents = {
    send: (...args: unknown[]) => void this.sent.push(args),
    isDestroyed: () => this.destroyed,
  }
  isDestroyed() {
    return this.destroyed
  }
  once(_event: 'closed', listener: () => void) {
    this.closedListeners.push(listener)
    return this
  }
  close() {
    this.destroyed = true
    for (const l of this.closedListeners.splice(0)) l()
  }
}

const alert = (id: string) =>
  ({
    id,
    level: 'warning',
    title: 't',
    message: 'm',
    at: new Date(0).toISOString(),
    sticky: false,
  }) as unknown as AlertPayload
const listenerCount = (hub: EventHub<EventMap>) =>
  (hub as unknown as { listeners: Set<unknown> }).listeners.size

describe('wireWindowToHub', () => {
  it('shows each alert once and forwards events while the window is open', () => {
    const hub = new EventHub<EventMap>()
    const shown: string[] = []
    const win = new FakeWindow()
    wireWindowToHub(win, hub, (a) => shown.push(a.id))
    hub.emit('app.alert', alert('a1'))
    expect(shown).toEqual(['a1'])
    expect(win.sent).toHaveLength(1)
  })

  it('drops every subscription when the window closes, so a re-created window does not double alerts', () => {
    const hub = new EventHub<EventMap>()
    const before = listenerCount(hub)
    const shown: string[] = []
    const notify = (a: AlertPayload) => shown.push(a.id)

    const first = new FakeWindow()
    wireWindowToHub(first, hub, notify)
    first.close()
    expect(listenerCount(hub)).toBe(before)

    // macOS `activate` after the last window closed: a second window, same core.
    const second = new FakeWindow()
    wireWindowToHub(second, hub, notify)
    hub.emit('app.alert', alert('a2'))
    expect(shown).toEqual(['a2'])
    expect(first.sent).toHaveLength(0)
    expect(second.sent).toHaveLength(1)

    second.close()
    hub.emit('app.alert', alert('a3'))
    expect(shown).toEqual(['a2'])
    expect(listenerCount(hub)).toBe(before)
  })

  it('returns an unsubscribe that is safe to run before and after close', () => {
    const hub = new EventHub<EventMap>()
    const win = new FakeWindow()
    const release = wireWindowToHub(win, hub, () => undefined)
    release()
    expect(listenerCount(hub)).toBe(0)
    win.close()
    release()
    expect(listenerCount(hub)).toBe(0)
  })
})
