/**
 * `/docs` and `/openapi.json`. The page is rendered here, on the server, as plain semantic HTML:
 * the host's CSP (`script-src 'self'; style-src 'self'`) forbids inline scripts and styles, and
 * a reference page needs neither. Both routes need no token: they describe the contract's shape,
 * which ships with every copy of Stackdeck, and carry no data and no secrets. They still sit
 * behind the Host/Origin guard like every other route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  buildOpenApi,
  errorStatusTable,
  type JsonSchema,
  type OpenApiDocument,
  type OpenApiOptions,
} from './openapi'
import { CSP } from './static-files'

const esc = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  )

const anchor = (op: string) => `op-${op.replace(/[^a-zA-Z0-9_-]/g, '-')}`
const eventAnchor = (ev: string) => `ev-${ev.replace(/[^a-zA-Z0-9_-]/g, '-')}`
const pre = (schema: JsonSchema) => `<pre><code>${esc(JSON.stringify(schema, null, 2))}</code></pre>`

/** The small subset of Markdown our own descriptions use: paragraphs, `- ` lists, `##` headings, `code`, **bold**. */
function markdown(text: string): string {
  const inline = (s: string) =>
    esc(s)
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
  const out: string[] = []
  let list: string[] = []
  const flush = () => {
    if (list.length > 0) out.push(`<ul>${list.map((l) => `<li>${inline(l)}</li>`).join('')}</ul>`)
    list = []
  }
  for (const block of text.split('\n')) {
    if (block.startsWith('- ')) {
      list.push(block.slice(2))
      continue
    }
    flush()
    if (block.trim() === '') continue
    if (block.startsWith('## ')) out.push(`<h3>${inline(block.slice(3))}</h3>`)
    else out.push(`<p>${inline(block)}</p>`)
  }
  flush()
  return out.join('\n')
}

export function renderDocsPage(source: OpenApiOptions | OpenApiDocument): string {
  const doc = 'openapi' in source ? source : buildOpenApi(source)
  const ops = doc['x-stackdeck-operations']
  const routeOf = new Map<string, { method: string; path: string; public: boolean }>()
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, o] of Object.entries(item)) {
      const name = o['x-stackdeck-operation']
      if (name)
        routeOf.set(name, { method: method.toUpperCase(), path, public: o['x-stackdeck-public'] === true })
    }
  }
  const names = Object.keys(ops).sort()
  const routed = names.filter((n) => routeOf.has(n))
  const rpcOnly = names.filter((n) => !routeOf.has(n))

  const routeRows = routed
    .map((n) => {
      const r = routeOf.get(n)
      const o = ops[n]
      if (!r || !o) return ''
      return `<tr><td><code>${r.method}</code></td><td><code>${esc(r.path)}</code></td><td><a href="#${anchor(n)}">${esc(n)}</a></td><td>${r.public ? 'none' : esc(o.scope)}</td><td>${esc(o.summary)}</td></tr>`
    })
    .join('\n')
  const rpcRows = rpcOnly
    .map((n) => {
      const o = ops[n]
      return o
        ? `<tr><td><a href="#${anchor(n)}">${esc(n)}</a></td><td>${esc(o.scope)}</td><td>${esc(o.summary)}</td></tr>`
        : ''
    })
    .join('\n')

  const opSections = names
    .map((n) => {
      const o = ops[n]
      if (!o) return ''
      const r = routeOf.get(n)
      const rest = r ? `<code>${r.method} ${esc(r.path)}</code>` : 'none (RPC and WebSocket only)'
      return [
        `<section id="${anchor(n)}">`,
        `<h3>${esc(n)}</h3>`,
        `<p>${esc(o.summary)}</p>`,
        '<dl>',
        `<dt>REST</dt><dd>${rest}</dd>`,
        `<dt>RPC</dt><dd><code>POST /api/rpc/${esc(n)}</code></dd>`,
        `<dt>Scope</dt><dd>${r?.public ? 'none (public)' : esc(o.scope)}</dd>`,
        '</dl>',
        `<h4>Input${r?.method === 'GET' ? ' (query parameters)' : ''}</h4>`,
        pre(o.input),
        '<h4>Result</h4>',
        pre(o.result),
        '<p><a href="#top">Back to the top</a></p>',
        '</section>',
      ].join('\n')
    })
    .join('\n')

  const evs = Object.entries(doc['x-stackdeck-events']).sort(([a], [b]) => a.localeCompare(b))
  const eventSections = evs
    .map(
      ([n, e]) =>
        `<section id="${eventAnchor(n)}">\n<h3>${esc(n)}</h3>\n<p>${esc(e.summary)}</p>\n${pre(e.payload)}\n</section>`,
    )
    .join('\n')
  const errorRows = errorStatusTable()
    .map((e) => `<tr><td><code>${esc(e.code)}</code></td><td>${e.status}</td></tr>`)
    .join('\n')

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} ${esc(doc.info.version)}</title>
</head>
<body id="top">
<header>
<h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<nav><ul><li><a href="#routes">Routes</a></li><li><a href="#rpc-only">RPC-only operations</a></li><li><a href="#operations">Operations</a></li><li><a href="#events">Events</a></li><li><a href="#errors">Errors</a></li></ul></nav>
</header>
<main>
<section id="overview">
<h2>Overview</h2>
${markdown(doc.info.description)}
</section>
<section id="routes">
<h2>Routes</h2>
<table>
<thead><tr><th>Method</th><th>Path</th><th>Operation</th><th>Scope</th><th>Summary</th></tr></thead>
<tbody>
${routeRows}
</tbody>
</table>
</section>
<section id="rpc-only">
<h2>RPC-only operations</h2>
${rpcOnly.length > 0 ? `<table>\n<thead><tr><th>Operation</th><th>Scope</th><th>Summary</th></tr></thead>\n<tbody>\n${rpcRows}\n</tbody>\n</table>` : '<p>None: every operation has a REST route.</p>'}
</section>
<section id="operations">
<h2>Operations</h2>
${opSections}
</section>
<section id="events">
<h2>Events</h2>
<p>Pushed to every WebSocket client as <code>{"event": name, "payload": ...}</code>.</p>
${eventSections || '<p>None.</p>'}
</section>
<section id="errors">
<h2>Errors</h2>
<p>Every failure is <code>{"error": {"code", "message", "path"?, "details"?}}</code> (inside the RPC envelope: <code>{"ok": false, "error": ...}</code>).</p>
<table>
<thead><tr><th>Code</th><th>HTTP status</th></tr></thead>
<tbody>
${errorRows}
</tbody>
</table>
</section>
</main>
</body>
</html>
`
}

const HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-cache',
}

export type DocsHandler = (req: IncomingMessage, res: ServerResponse) => void

function send(
  req: IncomingMessage,
  res: ServerResponse,
  type: string,
  body: string,
  extra: Record<string, string> = {},
) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const text = JSON.stringify({
      error: { code: 'invalid_input', message: `${req.method ?? '?'} is not allowed here; use GET` },
    })
    res.writeHead(405, {
      ...HEADERS,
      allow: 'GET, HEAD',
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    })
    res.end(text)
    return
  }
  res.writeHead(200, {
    ...HEADERS,
    ...extra,
    'content-type': type,
    'content-length': Buffer.byteLength(body),
  })
  res.end(req.method === 'HEAD' ? undefined : body)
}

/**
 * Handlers for the host to mount without a token check (after the Host/Origin guard). The
 * document is built on first use and cached: the contract does not change while we run.
 */
export function docsRoutes(opts: OpenApiOptions): Record<'/openapi.json' | '/docs', DocsHandler> {
  let json: string | null = null
  let html: string | null = null
  const doc = () => buildOpenApi(opts)
  return {
    '/openapi.json': (req, res) => {
      json ??= JSON.stringify(doc(), null, 2)
      send(req, res, 'application/json; charset=utf-8', json)
    },
    '/docs': (req, res) => {
      html ??= renderDocsPage(doc())
      send(req, res, 'text/html; charset=utf-8', html, { 'content-security-policy': CSP })
    },
  }
}
