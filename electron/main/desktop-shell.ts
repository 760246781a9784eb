/**
 * The Electron glue of background mode: window close hides, a tray icon with the menu model
 * (tray-menu.ts), the quit guard's dialog (quit-guard.ts), the single-instance focus and autostart
 * (autostart.ts). Every decision is in those pure modules; this file only calls Electron. It needs
 * the Electron binary, which this test environment cannot download, so it is exercised where the
 * binary exists (npm start) and its logic is unit-tested underneath.
 */
import { join } from 'node:path'
import { app, dialog, Menu, nativeImage, Tray, type BrowserWindow } from 'electron'
import type { SafetyStateT } from '@core/api/contract/state'
import type { SuperviseStatusT } from '@core/api/contract/supervise'
import type { Dispatcher } from '@core/api/dispatcher'
import { osUser } from '@core/wiring/app-handlers'
import type { Core } from '@core/wiring/create-core'
import type { Instance } from '../server/instance'
import { applyXdgAutostart, autostartCommand } from './autostart'
import { allClosedAction, closeAction, HIDDEN_FLAG } from './background-mode'
import { quitGuard } from './quit-guard'
import { trayMenuModel, type Confirmation, type TrayAction } from './tray-menu'

export interface DesktopShellOptions {
  core: Core
  instance: Instance
  dispatcher: Dispatcher
  createWindow: () => BrowserWindow
}

export function startDesktopShell(o: DesktopShellOptions): void {
  const { desktop } = o.core.loaded.settings
  const ctx = { who: osUser(), door: 'ipc' as const }
  let quitting = false
  let state: SafetyStateT | null = null
  let win: BrowserWindow | null = null

  const show = () => {
    if (!win || win.isDestroyed()) win = track(o.createWindow())
    if (win.isMinimized()) win.restore()
    win.show()
    win.focus()
  }
  const track = (w: BrowserWindow) => {
    w.on('close', (e) => {
      if (closeAction({ background: desktop.background, quitting }) === 'hide') {
        e.preventDefault()
        w.hide()
      }
    })
    return w
  }
  win = track(o.createWindow())

  const confirm = async (c: Confirmation) =>
    (
      await dialog.showMessageBox({
        type: 'warning',
        title: c.title,
        message: c.message,
        detail: c.detail,
        buttons: [c.confirmLabel, 'Cancel'],
        defaultId: 1,
        cancelId: 1,
      })
    ).response === 0

  const call = async (op: 'stack.pause' | 'stack.resume' | 'bus.killswitch.engage', input: unknown) => {
    const r = await o.dispatcher.dispatch(op, input, ctx)
    if (!r.ok) dialog.showErrorBox(`Stackdeck: ${op} failed`, r.error.message)
  }

  const quit = async () => {
    const sup = await o.dispatcher.dispatch('supervise.status', {}, ctx)
    const guard = quitGuard({
      state,
      supervision: sup.ok ? (sup.result as SuperviseStatusT) : null,
      apiUrl: o.instance.host?.url ?? null,
    })
    if (guard && !(await confirm(guard))) return
    quitting = true
    await o.instance.close()
    app.quit()
  }

  const run = async (id: TrayAction) => {
    const model = trayMenuModel(state).items.find((i) => i.id === id)
    if (model?.confirm && !(await confirm(model.confirm))) return
    if (id === 'show') show()
    else if (id === 'pause') await call('stack.pause', { reason: 'tray menu' })
    else if (id === 'resume') await call('stack.resume', { reason: 'tray menu' })
    else if (id === 'killswitch') await call('bus.killswitch.engage', { reason: 'tray menu' })
    else await quit()
  }

  const tray = new Tray(nativeImage.createFromPath(join(import.meta.dirname, '../../resources/icon.png')))
  const render = () => {
    const model = trayMenuModel(state)
    tray.setToolTip(model.tooltip)
    tray.setContextMenu(
      Menu.buildFromTemplate(
        model.items.map((i) =>
          i.id === 'status'
            ? { label: i.label, enabled: false }
            : {
                label: i.label,
                enabled: i.enabled,
                ...(i.why ? { toolTip: i.why } : {}),
                click: () => void run(i.id as TrayAction),
              },
        ),
      ),
    )
  }
  o.core.hub.on('state.changed', (s) => {
    state = s
    render()
  })
  render()
  // state.changed fires on the next change only: read the current state now, or the tray would say
  // "starting…" until something changes.
  void o.dispatcher.dispatch('state.get', {}, ctx).then((r) => {
    if (r.ok && state === null) {
      state = r.result as SafetyStateT
      render()
    }
  })

  app.on('second-instance', show)
  app.on('activate', show)
  app.on('window-all-closed', () => {
    if (allClosedAction({ background: desktop.background, quitting }) === 'quit') void quit()
  })
  app.on('before-quit', (e) => {
    // Quit from the OS or the app menu goes through the same guard as the tray's.
    if (quitting) return
    e.preventDefault()
    void quit()
  })

  if (process.platform === 'linux') {
    const cmd = autostartCommand({
      isPackaged: app.isPackaged,
      execPath: process.execPath,
      appPath: app.getAppPath(),
      appImage: process.env['APPIMAGE'],
    })
    void applyXdgAutostart(desktop.autostart, cmd).then((r) => {
      if (r === 'left-foreign')
        console.log(
          'autostart: a stackdeck.desktop not written by Stackdeck is in the autostart directory; left as it is',
        )
    })
  } else {
    app.setLoginItemSettings({ openAtLogin: desktop.autostart, args: [HIDDEN_FLAG] })
  }
}
