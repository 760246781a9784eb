/**
 * Electron shell: one window, every security switch on, and the IPC door onto the core.
 * All behaviour lives in electron/core; this file only wires Electron to it.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { app, BrowserWindow, dialog, ipcMain, Notification } from 'electron'
import { createCore, type Core } from '@core/app'
import { createDispatcher } from '@core/api/dispatcher'
import { eventNames, operationNames } from '@core/api/contract'
import { EVENTS_ARG, OPS_ARG } from '@core/api/ipc-channels'
import { osUser } from '@core/app/app-handlers'
import { loadSettings } from '@core/settings/load-settings'
import pkg from '../../package.json'
import { forwardEvents, registerIpcAdapter } from './ipc-adapter'
import { installSecurityGuards } from './security'

const rendererFile = join(import.meta.dirname, '../renderer/index.html')
const devUrl = process.env['ELECTRON_RENDERER_URL']
const ownOrigin = devUrl ? new URL(devUrl).origin : null

function isOwnUrl(url: string): boolean {
  if (ownOrigin) return url.startsWith(ownOrigin + '/') || url === ownOrigin
  return url.split('#')[0] === pathToFileURL(rendererFile).href
}

installSecurityGuards(isOwnUrl)

function createWindow(core: Core): BrowserWindow {
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
  const stop = forwardEvents(core.hub, {
    send: (channel, name, payload) => win.webContents.send(channel, name, payload),
    isDestroyed: () => win.isDestroyed() || win.webContents.isDestroyed(),
  })
  win.on('closed', stop)
  core.hub.on('app.alert', (p) => {
    if (Notification.isSupported()) new Notification({ title: p.title, body: p.message }).show()
  })
  win.once('ready-to-show', () => win.show())
  if (devUrl) void win.loadURL(devUrl)
  else void win.loadFile(rendererFile)
  return win
}

async function main() {
  await app.whenReady()
  let core: Core
  try {
    core = await createCore(await loadSettings(process.argv), { version: pkg.version })
    await core.start()
  } catch (err) {
    dialog.showErrorBox('Stackdeck cannot start', (err as Error).message)
    app.exit(2)
    return
  }
  const dispatcher = createDispatcher(core.handlers)
  registerIpcAdapter(ipcMain, dispatcher, {
    isTrustedFrame: isOwnUrl,
    who: osUser(),
  })
  createWindow(core)
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow(core)
  })
  app.on('window-all-closed', () => {
    void core.dispose().finally(() => app.quit())
  })
}

void main()
