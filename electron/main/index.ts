/**
 * Electron shell: one window, every security switch on, and the IPC door onto the core.
 * All behaviour lives in electron/core; this file only wires Electron to it.
 */
import { join } from 'node:path'
import { app, BrowserWindow, dialog, ipcMain, Notification } from 'electron'
import type { Core } from '@core/wiring/create-core'
import { createDispatcher } from '@core/api/dispatcher'
import { eventNames, operationNames } from '@core/api/contract'
import { EVENTS_ARG, OPS_ARG } from '@core/api/ipc-channels'
import { osUser } from '@core/wiring/app-handlers'
import { loadSettings } from '@core/settings/load-settings'
import pkg from '../../package.json'
import { registerAppScheme, serveAppScheme } from './app-protocol'
import { registerIpcAdapter } from './ipc-adapter'
import { installSecurityGuards } from './security'
import { isOwnUrl, rendererSource } from './security-renderer-origin'
import { wireWindowToHub } from './window-wiring'
import { EXIT_LOCKED, InstanceLockedError, type Instance } from '../server/instance'
import { desktopApiLines, startDesktopCore } from './desktop-core'
import { startDesktopShell } from './desktop-shell'
import { startHidden } from './background-mode'
import { allowsOrigin, attachRequest, attachTarget, localOwnerToken } from './attach'
import { attachedOrigin, openAttachedWindow } from './attached-window'
import { readTokenFile, tokenFilePath } from '../server/token-file'

const rendererDir = join(import.meta.dirname, '../renderer')
// `import.meta.env.DEV` is replaced by a literal at build time, so in a production bundle the dev
// server branch, and the read of ELECTRON_RENDERER_URL with it, is compiled out: no environment
// variable can point a shipped app at another page and have it trusted by the IPC door.
const source = rendererSource(
  import.meta.env.DEV ? { dev: true, devUrl: process.env['ELECTRON_RENDERER_URL'] } : { dev: false },
)
const isOwn = (url: string) => isOwnUrl(source, url)

registerAppScheme()
// Navigation may also stay on the host an attached window drives; the IPC door trusts isOwn only.
installSecurityGuards((url) => isOwn(url) || allowsOrigin(attachedOrigin(), url))

function createWindow(core: Core): BrowserWindow {
  // Hidden at login (autostart passes --hidden): the core runs, the tray shows it.
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    backgroundColor: '#0d1117',
    title: 'Stackdeck',
    show: false,
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
      additionalArguments: [OPS_ARG + operationNames.join(','), EVENTS_ARG + eventNames.join(',')],
    },
  })
  // Event forwarding and alert notifications live exactly as long as this window.
  wireWindowToHub(win, core.hub, (p) => {
    if (Notification.isSupported()) new Notification({ title: p.title, body: p.message }).show()
  })
  win.once('ready-to-show', () => {
    if (!startHidden(process.argv)) win.show()
  })
  void win.loadURL(source.entryUrl)
  return win
}

/** Opens a window on another host, or says why not and exits with `code`. */
function attachOrExit(t: ReturnType<typeof attachTarget>, code: number): void {
  if (t.ok) openAttachedWindow(t)
  else {
    dialog.showErrorBox('Stackdeck cannot attach', t.reason)
    app.exit(code)
  }
}

async function main() {
  // Asked to drive a running host (--attach URL, STACKDECK_ATTACH): no core, no lock to take, and
  // no single-instance lock either, so a window on a colocated host can sit beside the local app.
  const attachUrl = attachRequest(process.argv, process.env)
  if (attachUrl !== null) {
    await app.whenReady()
    attachOrExit(attachTarget(attachUrl, process.env['STACKDECK_TOKEN'], 'asked with --attach'), 2)
    return
  }
  // A second desktop launch on this machine (same user data) focuses the first window and ends;
  // the state directory's own lock (below) also stops a desktop beside a headless host.
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  await app.whenReady()
  serveAppScheme(rendererDir)
  let instance: Instance
  const loaded = await loadSettings(process.argv).catch((err: unknown) => err as Error)
  try {
    if (loaded instanceof Error) throw loaded
    instance = await startDesktopCore(loaded, { version: pkg.version, staticDir: rendererDir })
  } catch (err) {
    if (err instanceof InstanceLockedError && !(loaded instanceof Error)) {
      // Another Stackdeck owns this stack: drive it rather than start a second core, when it
      // serves its API and its token is at hand; else say who owns it and exit.
      const url = err.holder?.url
      if (!url) {
        dialog.showErrorBox('Stackdeck is already running', err.message)
        app.exit(EXIT_LOCKED)
        return
      }
      const token = await localOwnerToken({
        env: process.env,
        settingsToken: loaded.settings.api.token ?? '',
        tokenFile: () => readTokenFile(tokenFilePath(err.stateDir)).catch(() => null),
      })
      attachOrExit(
        attachTarget(url, token, `the owner of ${err.stateDir}, pid ${err.holder?.pid ?? '?'}`),
        EXIT_LOCKED,
      )
      return
    }
    dialog.showErrorBox('Stackdeck cannot start', (err as Error).message)
    app.exit(2)
    return
  }
  for (const line of desktopApiLines(instance)) console.log(line)
  const core = instance.core
  const dispatcher = createDispatcher(core.handlers)
  registerIpcAdapter(ipcMain, dispatcher, {
    isTrustedFrame: isOwn,
    who: osUser(),
  })
  startDesktopShell({ core, instance, dispatcher, createWindow: () => createWindow(core) })
}

void main()
