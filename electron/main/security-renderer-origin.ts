/**
 * Where the window's renderer comes from, and which URLs count as "ours". Pure: no Electron import,
 * so the rules are unit-tested without the binary.
 *
 * Production serves the built renderer from the privileged `app://stackdeck/` scheme, never `file://`
 * (a `file://` page shares its origin with every file on the disk). Development may load the
 * electron-vite dev server, but only in a build made by `electron-vite dev`: the caller passes a
 * build-time constant, so a production bundle cannot be talked into trusting another URL by an
 * environment variable.
 */

/** The custom scheme that serves the built renderer (registered as standard + secure in main). */
export const APP_SCHEME = 'app'
export const APP_HOST = 'stackdeck'
/** Chromium's origin for pages on the scheme; `'self'` in the CSP resolves to it. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`

export interface RendererSource {
  /** The URL the window loads. */
  entryUrl: string
  /** `protocol:` and `host` that every trusted URL must have. */
  protocol: string
  host: string
  /** True when the electron-vite dev server serves the renderer. */
  dev: boolean
}

export interface RendererSourceInput {
  /** Build-time constant (`import.meta.env.DEV`): true only in an `electron-vite dev` build. */
  dev: boolean
  /** `ELECTRON_RENDERER_URL`; read by the caller in development builds only. */
  devUrl?: string | undefined
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

export function rendererSource({ dev, devUrl }: RendererSourceInput): RendererSource {
  if (dev && devUrl) {
    const url = parse(devUrl)
    // Even in development, only a dev server on this machine is trusted with the IPC door.
    const web = url?.protocol === 'http:' || url?.protocol === 'https:'
    if (!url || !web || !LOOPBACK_HOSTS.has(url.hostname) || url.username || url.password) {
      throw new Error(`ELECTRON_RENDERER_URL must be an http(s) URL on localhost, got ${devUrl}`)
    }
    return { entryUrl: url.href, protocol: url.protocol, host: url.host, dev: true }
  }
  return { entryUrl: APP_ENTRY_URL, protocol: `${APP_SCHEME}:`, host: APP_HOST, dev: false }
}

/**
 * True for URLs served by our own renderer origin. Compares parsed scheme and host rather than string
 * prefixes, because `app://stackdeck.evil/` and `app://stackdeck@evil/` share a prefix with ours.
 * Chromium reports a requesting origin without a path (`app://stackdeck`), which is accepted too.
 */
export function isOwnUrl(source: RendererSource, url: string): boolean {
  const u = parse(url)
  if (!u) return false
  return u.protocol === source.protocol && u.host === source.host && !u.username && !u.password
}

function parse(url: string): URL | null {
  try {
    return new URL(url)
  } catch {
    return null
  }
}
