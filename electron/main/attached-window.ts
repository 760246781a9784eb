/**
 * The Electron glue of attach (decisions in attach.ts): a window on another Stackdeck's own page.
 * No preload and no IPC door: the page is the host's, reached with a token over its WebSocket door,
 * like a browser tab, with every security switch on. Navigation stays on that host's origin (the
 * guard in security.ts asks `attachedOrigin`). No core runs in this process, so there is nothing to
 * keep in the background: closing the window quits, and the host it drove goes on running.
 */
import { app, BrowserWindow } from 'electron'
import type { AttachTarget } from './attach'

let attached: string | null = null

/** The origin the window is attached to, for the navigation guard; null when it runs its own core. */
export const attachedOrigin = (): string | null => attached

export function openAttachedWindow(t: Extract<AttachTarget, { ok: true }>): BrowserWindow {
  attached = t.origin
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    backgroundColor: '#0d1117',
    // The header's host chip names the host too (from its app.info); the title says it before the page loads.
    title: `Stackdeck: attached to ${t.origin}`,
    show: false,
    webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true },
  })
  win.once('ready-to-show', () => win.show())
  // The page sets its own title; keep saying which host this window drives.
  win.on('page-title-updated', (e) => e.preventDefault())
  console.log(`Attached to ${t.origin} (${t.how}); this window starts no core`)
  void win.loadURL(t.windowUrl)
  app.on('window-all-closed', () => app.quit())
  return win
}
