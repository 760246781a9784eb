/**
 * Electron glue for the `app://stackdeck/` scheme; the decisions live in security-app-protocol.ts.
 */
import { protocol } from 'electron'
import { APP_SCHEME_PRIVILEGES, createAppRequestHandler } from './security-app-protocol'
import { APP_SCHEME } from './security-renderer-origin'

/** Must run before `app` is ready, and only once (an Electron rule). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }])
}

/** Serves `rendererDir` on the default session, the one every window uses. Call after ready. */
export function serveAppScheme(rendererDir: string): void {
  protocol.handle(APP_SCHEME, createAppRequestHandler(rendererDir))
}
