import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'
import { extname, join, normalize, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
}

/** Same policy as the renderer's <meta> CSP, sent as a header so it also binds the headless door. */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** Serves files under `root` only; `..` and absolute paths never escape it. Returns false if not found. */
export async function serveStatic(root: string, urlPath: string, res: ServerResponse): Promise<boolean> {
  let rel: string
  try {
    // The host already answers 400 for bad percent-encoding; this keeps the module safe on its own.
    rel = urlPath === '/' ? 'index.html' : decodeURIComponent(urlPath).replace(/^\/+/, '')
  } catch {
    return false
  }
  const full = normalize(join(root, rel))
  if (!full.startsWith(normalize(root) + sep)) return false
  try {
    const st = await stat(full)
    if (!st.isFile()) return false
    const type = TYPES[extname(full)] ?? 'application/octet-stream'
    res.writeHead(200, {
      'content-type': type,
      'content-length': st.size,
      'cache-control': rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...(type.startsWith('text/html') ? { 'content-security-policy': CSP } : {}),
    })
    createReadStream(full).pipe(res)
    return true
  } catch {
    return false
  }
}
