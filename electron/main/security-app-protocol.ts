/**
 * The `app://stackdeck/` scheme's request handler, written against the web `Request`/`Response`
 * types so it is unit-tested under plain Node; main hands it to `protocol.handle`.
 *
 * Only files inside the built renderer directory are served. The resolver refuses rather than
 * repairs: a request for another host, an encoded separator, a dot segment, a NUL or a drive letter
 * gets an error status, never a "nearest" file.
 */
import { readFile as fsReadFile } from 'node:fs/promises'
import nodePath from 'node:path'
import { RENDERER_CSP } from './security-csp'
import { APP_HOST, APP_SCHEME } from './security-renderer-origin'

/** Only these file types are served; anything else in the directory stays private. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
}

export type AppResolution =
  { ok: true; file: string; contentType: string } | { ok: false; status: 400 | 403 | 404; reason: string }

/** The subset of `node:path` the resolver needs; tests pass `path.win32` to check Windows rules. */
export type PathApi = Pick<typeof nodePath, 'join' | 'relative' | 'isAbsolute' | 'extname' | 'sep'>

/** Maps an `app://stackdeck/...` URL to a file under `root`, or to the reason it is refused. */
export function resolveAppRequest(root: string, requestUrl: string, path: PathApi = nodePath): AppResolution {
  let url: URL
  try {
    url = new URL(requestUrl)
  } catch {
    return { ok: false, status: 400, reason: 'malformed URL' }
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST || url.username || url.password) {
    return { ok: false, status: 403, reason: `not ${APP_SCHEME}://${APP_HOST}/` }
  }
  const raw = url.pathname === '' || url.pathname === '/' ? ['index.html'] : url.pathname.slice(1).split('/')
  const segments: string[] = []
  for (const seg of raw) {
    let decoded: string
    try {
      decoded = decodeURIComponent(seg)
    } catch {
      return { ok: false, status: 400, reason: 'malformed percent-encoding' }
    }
    // The URL parser already resolved dot segments (`..`, `%2e%2e`); a separator left inside a
    // segment was smuggled in encoded (`..%2f`, `%5c`) and is refused. The dot check is a second
    // line in case a caller's URL was canonicalised differently.
    if (decoded === '' || decoded === '.' || decoded === '..') {
      return { ok: false, status: 404, reason: 'empty or dot path segment' }
    }
    if (/[/\\\0:]/.test(decoded))
      return { ok: false, status: 400, reason: 'separator, NUL or drive in a path segment' }
    segments.push(decoded)
  }
  const file = path.join(root, ...segments)
  // Belt and braces: whatever the segments were, the result must stay strictly inside root.
  const rel = path.relative(root, file)
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    return { ok: false, status: 403, reason: 'outside the renderer directory' }
  }
  const contentType = CONTENT_TYPES[path.extname(file).toLowerCase()]
  if (!contentType) return { ok: false, status: 404, reason: 'file type not served' }
  return { ok: true, file, contentType }
}

/** Headers for a served file: the CSP on every HTML page, and no MIME sniffing anywhere. */
export function appResponseHeaders(contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
    ...(contentType.startsWith('text/html') ? { 'content-security-policy': RENDERER_CSP } : {}),
  }
}

export interface AppHandlerOptions {
  readFile?: (file: string) => Promise<Uint8Array<ArrayBuffer>>
  log?: (message: string) => void
}

/** The `protocol.handle` callback: GET and HEAD only, files under `root` only. */
export function createAppRequestHandler(
  root: string,
  opts: AppHandlerOptions = {},
): (request: Request) => Promise<Response> {
  const readFile = opts.readFile ?? fsReadFile
  const log = opts.log ?? ((m: string) => console.warn(m))
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } })
    }
    const r = resolveAppRequest(root, request.url)
    if (!r.ok) {
      log(`[app-protocol] ${r.status} ${request.url}: ${r.reason}`)
      return new Response(r.reason, {
        status: r.status,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      })
    }
    let body: Uint8Array<ArrayBuffer>
    try {
      body = await readFile(r.file)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR')
        return new Response('not found', { status: 404 })
      log(`[app-protocol] cannot read ${r.file}: ${(err as Error).message}`)
      return new Response('cannot read file', { status: 500 })
    }
    return new Response(request.method === 'HEAD' ? null : body, {
      status: 200,
      headers: appResponseHeaders(r.contentType),
    })
  }
}

/**
 * Privileges for `protocol.registerSchemesAsPrivileged`. `standard` gives the scheme real origins
 * and relative URLs (so `'self'` in the CSP means `app://stackdeck`), `secure` makes it a secure
 * context like https, `supportFetchAPI` lets module scripts and fetch load from it. Deliberately
 * absent: `bypassCSP` (the CSP must bind our own pages) and `corsEnabled` (nothing else may read
 * the scheme cross-origin).
 */
export const APP_SCHEME_PRIVILEGES = Object.freeze({ standard: true, secure: true, supportFetchAPI: true })
