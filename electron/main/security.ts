/**
 * Every guard in one place (the Podman Desktop pattern): navigation, new windows, webviews,
 * external links and permission requests. Applied to every web contents the app ever creates.
 * The decisions are pure functions in security-*.ts; this file is the Electron glue.
 */
import { app, BrowserWindow, dialog, session, shell, type WebContents } from 'electron'
import { confirmLeaveOptions, externalLinkDecision, OPEN_BUTTON } from './security-external'

const ALLOWED_PERMISSIONS = new Set(['notifications', 'clipboard-sanitized-write'])

export function installSecurityGuards(isOwnUrl: (url: string) => boolean): void {
  app.on('web-contents-created', (_e, contents: WebContents) => {
    contents.on('will-navigate', (event, url) => {
      if (isOwnUrl(url)) return
      event.preventDefault()
      // A plain link to an allowed documentation page still gets to the browser, after a question.
      void offerExternal(contents, url)
    })
    // Subframes navigate without `will-navigate`; the main frame is left to the handler above, which
    // may not run at all if this one already cancelled the navigation.
    contents.on('will-frame-navigate', (event) => {
      if (!event.isMainFrame && !isOwnUrl(event.url)) event.preventDefault()
    })
    contents.on('will-redirect', (event, url) => {
      if (!isOwnUrl(url)) event.preventDefault()
    })
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(({ url }) => {
      // No new Electron windows, ever; allowed links go to the OS browser after a confirmation.
      void offerExternal(contents, url)
      return { action: 'deny' }
    })
  })
  app.whenReady().then(
    () => {
      session.defaultSession.setPermissionRequestHandler((contents, permission, callback) => {
        callback(ALLOWED_PERMISSIONS.has(permission) && isOwnUrl(contents.getURL()))
      })
      session.defaultSession.setPermissionCheckHandler(
        (_c, permission, origin) => ALLOWED_PERMISSIONS.has(permission) && isOwnUrl(origin),
      )
    },
    () => undefined,
  )
}

// One question at a time: a page that fires window.open in a loop gets one dialog, not a stack.
let asking = false

async function offerExternal(contents: WebContents, raw: string): Promise<void> {
  const decision = externalLinkDecision(raw)
  if (!decision.allow) {
    console.warn(`[security] link not opened (${decision.reason}): ${raw.slice(0, 200)}`)
    return
  }
  if (asking) return
  asking = true
  try {
    const options = confirmLeaveOptions(decision.url)
    const parent = BrowserWindow.fromWebContents(contents)
    const { response } = parent
      ? await dialog.showMessageBox(parent, options)
      : await dialog.showMessageBox(options)
    if (response === OPEN_BUTTON) await shell.openExternal(decision.url)
  } catch (err) {
    console.warn(`[security] could not open ${decision.url}: ${(err as Error).message}`)
  } finally {
    asking = false
  }
}
