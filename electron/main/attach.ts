/**
 * Attach: the desktop window drives a Stackdeck that is already running (the local owner of the
 * state directory, or a remote host by URL and token) instead of starting its own core. The window
 * then loads that host's own page (`<origin>/#token=…`) and talks to it with the renderer's
 * WebSocket client, exactly as a browser tab does: the page and its socket have the host's origin,
 * so the host's Host and Origin checks pass by design, and no IPC door is offered to it (no preload:
 * the attached page is a web page with a token, never a page with the app's privileges).
 *
 * Pure decisions here (no Electron import), unit-tested; desktop-shell/index.ts open the window.
 * The rule on URLs is the CLI's (core/api/host-url.ts): https://, or http:// to loopback only (an
 * SSH tunnel makes a remote host loopback). The token comes from STACKDECK_TOKEN, never argv (argv
 * is readable by every local user through `ps`), or, for the local owner, from its token file.
 */
import { checkHostUrl } from '../core/api/host-url'

export const ATTACH_FLAG = '--attach'
export const ATTACH_ENV = 'STACKDECK_ATTACH'

/** What the renderer takes from `#token=` (renderer/src/api/token.ts): anything else would be dropped. */
const TOKEN_IN_HASH = /^[A-Za-z0-9_\-.~]+$/

export type AttachTarget =
  { ok: true; origin: string; windowUrl: string; how: string } | { ok: false; reason: string }

/** `--attach URL`, `--attach=URL` or STACKDECK_ATTACH; null when the window should start its own core. */
export function attachRequest(argv: readonly string[], env: NodeJS.ProcessEnv): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? ''
    if (a === ATTACH_FLAG) return argv[i + 1] ?? ''
    if (a.startsWith(`${ATTACH_FLAG}=`)) return a.slice(ATTACH_FLAG.length + 1)
  }
  const e = env[ATTACH_ENV]
  return e ? e : null
}

/** The window's URL for a host and a token, or why the window cannot attach. */
export function attachTarget(url: string, token: string | null | undefined, how: string): AttachTarget {
  const checked = checkHostUrl(url)
  if (!checked.ok) return { ok: false, reason: `Cannot attach to ${url || '(no URL)'}: ${checked.reason}` }
  if (!token)
    return {
      ok: false,
      reason: `Cannot attach to ${checked.origin}: no token. Set STACKDECK_TOKEN to a token of that host (its admin token, or a scoped one).`,
    }
  if (!TOKEN_IN_HASH.test(token))
    return {
      ok: false,
      reason: `Cannot attach to ${checked.origin}: STACKDECK_TOKEN has characters a token never has.`,
    }
  // The fragment never reaches the server or its logs; the page moves it out of the address bar at once.
  return { ok: true, origin: checked.origin, windowUrl: `${checked.origin}/#token=${token}`, how }
}

/**
 * The token for the local owner of this state directory: STACKDECK_TOKEN, else api.token, else the
 * owner's token file (same user, same state directory: the file it wrote at 0600).
 */
export function localOwnerToken(o: {
  env: NodeJS.ProcessEnv
  settingsToken: string
  tokenFile: () => Promise<string | null>
}): Promise<string | null> {
  const fromEnv = o.env['STACKDECK_TOKEN']
  if (fromEnv) return Promise.resolve(fromEnv)
  if (o.settingsToken) return Promise.resolve(o.settingsToken)
  return o.tokenFile()
}

/** The navigation guard's predicate while attached: our own page, or the attached host's origin. */
export function allowsOrigin(origin: string | null, url: string): boolean {
  if (origin === null) return false
  try {
    return new URL(url).origin === origin
  } catch {
    return false
  }
}
