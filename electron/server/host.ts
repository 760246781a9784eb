import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Core } from '@core/wiring/create-core'
import { createDispatcher, type Dispatcher } from '@core/api/dispatcher'
import type { ContractError } from '@core/api/contract'
import type { HttpRoute } from '@core/api/define'
import { operations } from '@core/api/contract'
import { RPC_PATH_PREFIX, WS_PATH } from '@core/api/wire'
import { AuthThrottle, clientKey } from './auth-throttle'
import { readJsonBody } from './body-reader'
import { docsRoutes } from './docs-page'
import { checkRequest, duplicateHeader, type GuardConfig } from './request-guard'
import { httpStatusFor } from './http-status'
import { RateLimiter } from './rate-limit'
import { buildRouteTable, matchRoute, pathHasRoute, queryToInput, successStatus, withPathParams } from './routes'
import { serveStatic } from './static-files'
import { saveAndRestartStatus } from './run-outcome-status'
import { CoreError } from '@core/errors'
import { readTokenFile, tokenFilePath, writeTokenFile } from './token-file'
import { callerOf, generateToken, refusalFor, resolveTokens, sha256Hex, type AdminTokenSource, type TokenIdentity } from './tokens'
import { createWsDoor, refuseUpgrade } from './ws-door'

/** `POST /api/rpc/<operation>`: the operation name is letters, digits, `_` and `.`. */
const RPC_PATH = new RegExp(`^${RPC_PATH_PREFIX}([a-zA-Z0-9_.]+)$`)

export interface HostOptions {
  core: Core
  /** Shown in /openapi.json and /docs. */
  version?: string
  /** Directory of the built renderer (index.html + assets); null serves the API only. */
  staticDir: string | null
  env?: NodeJS.ProcessEnv
  /** Overrides settings.api.port (0 = any free port; used by tests). */
  port?: number
  log?: (line: string) => void
  validateResults?: boolean
}

export interface Host {
  url: string
  port: number
  /** The admin token when known (it changes on api.rotateToken); only for printing the launch URL. */
  readonly adminToken: string | null
  /** Where it came from: `file` is the one kept in the state directory (see token-file.ts). */
  adminTokenSource: AdminTokenSource
  /** This start made the token file: its first URL. */
  tokenCreated: boolean
  /** The file the `file` token is kept in. */
  tokenFile: string
  dispatcher: Dispatcher
  close(): Promise<void>
}

const versionOf = (o: HostOptions) => o.version ?? '0.0.0'

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  })
  res.end(text)
}

const sendError = (res: ServerResponse, status: number, error: ContractError, headers?: Record<string, string>) =>
  sendJson(res, status, { error }, headers)

/** Statuses an operation's result can carry beyond 200 (the body is the result, except for 204). */
function resultStatus(op: string, http: HttpRoute, result: unknown): number {
  if (op === 'workflow.saveAndRestart') return saveAndRestartStatus(result as Parameters<typeof saveAndRestartStatus>[0])
  return successStatus(http, result)
}

function sendNoContent(res: ServerResponse) {
  res.writeHead(204, { ...SECURITY_HEADERS, 'cache-control': 'no-store' })
  res.end()
}

/**
 * `decodeURIComponent` throws on `%`, `%zz` or `%ff`; such a path names no file and no route.
 * The decoded value is returned (and used) on purpose: the bundler drops a call whose result is
 * ignored as side-effect free, which silently turned an earlier version of this check into a no-op.
 */
function decodedPath(path: string): string | null {
  try {
    return decodeURIComponent(path)
  } catch {
    return null
  }
}

const retryAfter = (ms: number) => ({ 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) })

export async function startHost(opts: HostOptions): Promise<Host> {
  const { core } = opts
  const api = core.loaded.settings.api
  const log = opts.log ?? ((l: string) => console.log(l))
  if (!LOOPBACK.has(api.host) && !api.allowNonLoopback) {
    throw new Error(`api.host is ${api.host}: binding beyond loopback needs api.allowNonLoopback = true`)
  }
  const tokenFile = tokenFilePath(core.stateDir)
  const tokenStore = { read: () => readTokenFile(tokenFile), write: (t: string) => writeTokenFile(tokenFile, t) }
  const resolved = await resolveTokens(api, opts.env ?? process.env, tokenStore)
  const { registry } = resolved
  let adminToken = resolved.adminToken
  const dispatcher = createDispatcher(core.handlers, { validateResults: opts.validateResults ?? false })
  const limiter = new RateLimiter(api.rateLimitPerMinute)
  const authThrottle = new AuthThrottle({ failuresPerMinute: api.authFailuresPerMinute, lockoutMs: api.authLockoutMs })
  const routes = buildRouteTable()
  // The API's shape ships with every copy and a browser cannot attach a token to open /docs, so these are public.
  const docs = docsRoutes({ version: versionOf(opts) })
  const ws = createWsDoor({ dispatcher, hub: core.hub, tokens: registry, limiter, authThrottle, maxPayload: api.maxBodyBytes, log })
  const guard: GuardConfig = {
    boundHost: api.host,
    port: 0,
    allowedHosts: api.allowedHosts,
    allowedOrigins: api.allowedOrigins,
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const dup = duplicateHeader(req.headersDistinct)
    if (dup) return sendError(res, dup.status, { code: dup.code, message: dup.message })
    const verdict = checkRequest(req.headers, guard)
    if (verdict) return sendError(res, verdict.status, { code: verdict.code, message: verdict.message })
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://stackdeck.invalid')
    } catch {
      return sendError(res, 400, { code: 'invalid_input', message: `Request target "${String(req.url).slice(0, 200)}" is not a valid URL`, path: '/' })
    }
    if (decodedPath(url.pathname) === null) {
      return sendError(res, 400, { code: 'invalid_input', message: `Path "${url.pathname.slice(0, 200)}" has invalid percent-encoding`, path: '/' })
    }
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET')

    const doc = docs[url.pathname as keyof typeof docs] as (typeof docs)[keyof typeof docs] | undefined
    if (doc) return doc(req, res)

    const rpc = RPC_PATH.exec(url.pathname)
    const match = rpc ? null : matchRoute(routes, method, url.pathname)
    const route = match?.route
    const opName = rpc ? rpc[1] : route?.op
    if (!opName) {
      if (method === 'GET' && opts.staticDir && (await serveStatic(opts.staticDir, url.pathname, res))) return
      if (pathHasRoute(routes, url.pathname)) {
        return sendError(res, 405, { code: 'invalid_input', message: `${method} is not allowed on ${url.pathname}` })
      }
      return sendError(res, 404, { code: 'not_found', message: `No route for ${method} ${url.pathname}` })
    }
    if (rpc && method !== 'POST') return sendError(res, 405, { code: 'invalid_input', message: 'RPC calls use POST' })
    if (!dispatcher.has(opName)) return sendError(res, 404, { code: 'not_found', message: `Unknown operation: ${opName}` })

    let who: TokenIdentity = { name: 'anonymous', scope: 'read' }
    if (!route?.public) {
      const addr = clientKey(req.socket.remoteAddress)
      const gate = authThrottle.check(addr)
      if (!gate.allowed) {
        // Locked out: the token is not even checked, so a right guess looks like every other one.
        const s = Math.ceil(gate.retryAfterMs / 1000)
        return sendError(res, 429, { code: 'rate_limited', message: `Too many failed authentication attempts from ${addr}; retry in ${s} s` }, retryAfter(gate.retryAfterMs))
      }
      const auth = req.headers['authorization']
      const bearer = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7).trim() : undefined
      const id = registry.verify(bearer)
      if (!id) {
        if (bearer) authThrottle.fail(addr)
        return sendError(res, 401, { code: 'unauthorized', message: 'A valid bearer token is required' })
      }
      who = id
      const need = operations[opName].scope
      const refusal = refusalFor(who, opName, need)
      if (refusal) return sendError(res, 403, { code: 'forbidden', message: refusal })
      if (!limiter.take(who.name)) return sendError(res, 429, { code: 'rate_limited', message: 'Too many requests' }, retryAfter(60_000 / api.rateLimitPerMinute))
    }

    const http = (operations[opName] as { http?: HttpRoute }).http
    let input: unknown
    // POST and PUT carry a body; GET and DELETE their query (a DELETE body has no agreed meaning).
    if (method === 'POST' || method === 'PUT') {
      const cap = Math.min(api.maxBodyBytes, http?.maxBodyBytes ?? Infinity)
      const body = await readJsonBody(req, cap)
      if (!body.ok) {
        if (body.close) res.setHeader('connection', 'close')
        return sendError(res, body.status, body.error)
      }
      input = body.input
    } else {
      input = queryToInput(opName, url.searchParams)
    }
    if (match) {
      const merged = withPathParams(opName, input, match.params)
      if (!merged.ok) return sendError(res, 400, { code: 'invalid_input', message: merged.message, path: merged.path })
      input = merged.input
    }

    // A client that hangs up mid-call (an agent's long-poll cut by a restart or a proxy) aborts
    // the call's waits: a command must never be marked delivered to a connection nobody reads.
    const gone = new AbortController()
    res.once('close', () => {
      if (!res.writableEnded) gone.abort()
    })
    const env = await dispatcher.dispatch(opName, input, { ...callerOf(who), door: 'http', signal: gone.signal })
    // RPC keeps 200 for every ok envelope (clients such as the CLI read the envelope); REST says the outcome in the status.
    if (rpc) return sendJson(res, env.ok ? 200 : httpStatusFor(env.error), env)
    if (env.ok) {
      const status = route ? resultStatus(opName, route.http, env.result) : 200
      return status === 204 ? sendNoContent(res) : sendJson(res, status, env.result)
    }
    return sendError(res, httpStatusFor(env.error), env.error)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`[host] request failed: ${(err as Error).stack ?? String(err)}`)
      if (!res.headersSent) sendError(res, 500, { code: 'internal', message: 'Internal error' })
      else res.destroy()
    })
  })
  server.requestTimeout = 60_000
  server.headersTimeout = 15_000
  server.on('upgrade', (req, socket, head) => {
    // Node drops its own error handler from a socket it hands to 'upgrade'; a client that resets
    // before ws adopts the socket would otherwise raise an uncaught ECONNRESET.
    socket.on('error', () => socket.destroy())
    const problem = duplicateHeader(req.headersDistinct) ?? checkRequest(req.headers, guard)
    let path: string
    try {
      path = new URL(req.url ?? '/', 'http://x').pathname
    } catch {
      path = '' // not a URL: answered 404 below
    }
    if (problem || path !== WS_PATH) {
      refuseUpgrade(socket, problem ? problem.status : 404, 'Rejected')
      return
    }
    ws.handleUpgrade(req, socket, head)
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? api.port, api.host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  guard.port = port
  const hostForUrl = api.host.includes(':') ? `[${api.host}]` : api.host
  if (!LOOPBACK.has(api.host)) log(`[host] WARNING: the control API listens on ${api.host}, beyond loopback`)
  const url = `http://${hostForUrl}:${port}`

  // Durable write first, then the swap: a failed write keeps the old token everywhere, and a crash
  // between the two starts the next host with the new one from the file. Rotations run one at a
  // time, so the file and the registry can never end up holding two different new tokens.
  let rotating: Promise<unknown> = Promise.resolve()
  const rotate = async () => {
    if (resolved.source !== 'file') {
      const where = resolved.source === 'env' ? 'STACKDECK_TOKEN' : resolved.source === 'settings' ? 'api.token in the settings' : 'api.tokens (no admin token of the host\'s own)'
      throw new CoreError('conflict', `The admin token is fixed by ${where}, not kept by the host; change it there and restart`)
    }
    const token = generateToken()
    const dir = await writeTokenFile(tokenFile, token)
    if (!dir.synced) log(`[host] ${dir.warning}`)
    registry.replace('admin', sha256Hex(token))
    adminToken = token
    log(`[host] admin token rotated; the old one no longer opens requests or connections`)
    return { token, url: `${url}/#token=${token}` }
  }
  const uninstallRotation = core.tokenRotation.install(() => {
    const next = rotating.then(rotate, rotate)
    rotating = next.catch(() => undefined)
    return next
  })

  return {
    url,
    port,
    get adminToken() {
      return adminToken
    },
    adminTokenSource: resolved.source,
    tokenCreated: resolved.created,
    tokenFile,
    dispatcher,
    async close() {
      uninstallRotation()
      ws.close()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
