/**
 * Every guard in one place (the Podman Desktop pattern): navigation, new windows, webviews and
 * permission requests. Applied to every web contents the app ever creates.
 */
import { app, session, shell, type WebContents } from 'electron'

const ALLOWED_PERMISSIONS = new Set(['notifications', 'clipboard-sanitized-write'])

export function installSecurityGuards(isOwnUrl: (url: string) => boolean): void {
  app.on('web-contents-created', (_e, contents: WebContents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isOwnUrl(url)) event.preventDefault()
    })
    contents.on('will-redirect', (event, url) => {
      if (!isOwnUrl(url)) event.preventDefault()
    })
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(({ url }) => {
      // Only plain https documentation links leave the app, and they go to the OS browser.
      if (/^https:\/\/[^\s]+$/.test(url)) void shell.openExternal(url)
      return { action: 'deny' }
    })
  })
  app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((contents, permission, callback) => {
      callback(ALLOWED_PERMISSIONS.has(permission) && isOwnUrl(contents.getURL()))
    })
    session.defaultSession.setPermissionCheckHandler((_c, permission, origin) =>
      ALLOWED_PERMISSIONS.has(permission) && isOwnUrl(origin),
    )
  }, () => undefined)
}
