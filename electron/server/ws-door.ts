import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import type { EventHub } from '@core/event-hub'
import type { ContractError, EventMap, OperationName } from '@core/api/contract'
import { operations } from '@core/api/contract'
import type { Dispatcher } from '@core/api/dispatcher'
import { WS_BEARER_PREFIX, WS_PROTOCOL } from '@core/api/wire'
import { clientKey, type AuthThrottle } from './auth-throttle'
import type { RateLimiter } from './rate-limit'
import { callerOf, refusalFor, type TokenIdentity, type TokenRegistry } from './tokens'
import { decodeUtf8Strict, InvalidUtf8 } from './utf8'

/** A client that cannot keep up gets events dropped rather than growing our memory without bound. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024

interface Deps {
  dispatcher: Dispatcher
  hub: EventHub<EventMap>
  tokens: TokenRegistry
  limiter: RateLimiter
  authThrottle: AuthThrottle
  maxPayload: number
  log: (line: string) => void
}

/** Browsers cannot set headers on a WebSocket, so the token rides in a subprotocol; scripts may use the header. */
function bearerFrom(req: IncomingMessage): string | undefined {
  const auth = req.headers['authorization']
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim()
  const protos = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((s) => s.trim())
  return protos.find((p) => p.startsWith(WS_BEARER_PREFIX))?.slice(WS_BEARER_PREFIX.length)
}

/** An HTTP answer on a socket that never became a WebSocket. */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  reason: string,
  headers: Record<string, string> = {},
) {
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n${extra}Content-Length: 0\r\n\r\n`)
}

/**
 * One frame, one answer. Frames are numbered per socket from 1, and every refusal carries that
 * number (`frame`) beside the request `id` when there is one, so a client can tell which of its
 * frames was refused even when the frame was too broken to hold an id.
 */
interface Frame {
  id?: unknown
  op?: unknown
  input?: unknown
}

const describeJson = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`)

export function createWsDoor(deps: Deps) {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: deps.maxPayload,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  })
  const clients = new Set<WebSocket>()
  const unserialisable = new Set<string>()

  const unsubscribe = deps.hub.subscribe((event, payload) => {
    if (clients.size === 0) return
    let frame: string
    try {
      frame = JSON.stringify({ event, payload })
    } catch (err) {
      // One event that cannot be serialised must not take the others down with it; say so once per event name.
      if (!unserialisable.has(event))
        deps.log(`[ws] dropped a ${event} event that cannot be serialised: ${(err as Error).message}`)
      unserialisable.add(event)
      return
    }
    for (const ws of clients) {
      if (ws.readyState === ws.OPEN && ws.bufferedAmount < MAX_BUFFERED_BYTES) ws.send(frame)
    }
  })

  function onConnection(ws: WebSocket, who: TokenIdentity, addr: string) {
    clients.add(ws)
    let frames = 0
    // Aborted when the socket closes, as the HTTP door aborts a call whose connection went away: a
    // long-poll (runs.commands.next with `wait`) must not take a command for a client that is gone.
    const gone = new AbortController()
    ws.on('close', () => {
      clients.delete(ws)
      gone.abort()
    })
    // Protocol violations (invalid UTF-8 1007, too big 1009, unmasked frame, reserved opcode, RSV1,
    // stray continuation, bad close code, oversize ping: 1002) arrive here, after ws has already
    // started closing this socket with the right code. Without a listener the 'error' event was
    // thrown, and one frame ended the host.
    ws.on('error', (err: Error & { code?: string }) => {
      deps.log(
        `[ws] ${who.name}@${addr}: ${err.message}${err.code ? ` (${err.code})` : ''}; closed that socket`,
      )
    })

    const send = (body: object) => {
      if (ws.readyState !== ws.OPEN) return
      let text: string
      try {
        text = JSON.stringify(body)
      } catch (err) {
        deps.log(`[ws] reply cannot be serialised: ${(err as Error).message}`)
        text = JSON.stringify({
          id: (body as { id?: unknown }).id ?? null,
          ok: false,
          error: { code: 'internal', message: 'The result cannot be serialised' },
        })
      }
      ws.send(text)
    }

    ws.on('message', (data: RawData, isBinary: boolean) => {
      const n = ++frames
      handleFrame(n, data, isBinary).catch((err: unknown) => {
        // Nothing in handleFrame should throw; if it does, this socket hears about it and the host lives on.
        deps.log(`[ws] frame ${n} from ${who.name}@${addr} failed: ${(err as Error).stack ?? String(err)}`)
        send({
          id: null,
          frame: n,
          ok: false,
          error: { code: 'internal', message: `frame ${n}: internal error` },
        })
      })
    })

    async function handleFrame(n: number, data: RawData, isBinary: boolean) {
      const refuse = (id: string | number | null, error: ContractError) =>
        send({ id, frame: n, ok: false, error })
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)
      let text: string
      try {
        // ws already refused text frames with invalid UTF-8 (close 1007); binary frames are checked here.
        text = isBinary ? decodeUtf8Strict(buf) : buf.toString('utf8')
      } catch (err) {
        if (!(err instanceof InvalidUtf8)) throw err
        return refuse(null, { code: 'invalid_input', message: `frame ${n}: ${err.message}`, path: '/' })
      }
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch (err) {
        return refuse(null, {
          code: 'invalid_input',
          message: `frame ${n} is not JSON: ${(err as Error).message}`,
          path: '/',
        })
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        return refuse(null, {
          code: 'invalid_input',
          message: `frame ${n} must be a JSON object {"id", "op", "input"}, not ${describeJson(parsed)}`,
          path: '/',
        })
      }
      const msg = parsed as Frame
      if (msg.id !== undefined && typeof msg.id !== 'number' && typeof msg.id !== 'string') {
        return refuse(null, {
          code: 'invalid_input',
          message: `frame ${n}: id must be a number or a string, not ${describeJson(msg.id)}`,
          path: '/id',
        })
      }
      const id = msg.id ?? null
      if (typeof msg.op !== 'string' || !deps.dispatcher.has(msg.op)) {
        const what =
          typeof msg.op === 'string'
            ? `Unknown operation: ${msg.op.slice(0, 100)}`
            : `op must be an operation name, not ${describeJson(msg.op)}`
        return refuse(id, {
          code: typeof msg.op === 'string' ? 'not_found' : 'invalid_input',
          message: `frame ${n}: ${what}`,
          path: '/op',
        })
      }
      const op: OperationName = msg.op
      const refusal = refusalFor(who, op, operations[op].scope)
      if (refusal) return refuse(id, { code: 'forbidden', message: `frame ${n}: ${refusal}`, path: '/op' })
      if (!deps.limiter.take(who.name)) {
        return refuse(id, { code: 'rate_limited', message: `frame ${n}: too many requests` })
      }
      // An absent `input` is "no input" (allowed only where the input is all optional); `null` is refused by the dispatcher.
      const input = Object.hasOwn(msg, 'input') ? msg.input : undefined
      const env = await deps.dispatcher
        .dispatch(op, input, { ...callerOf(who), door: 'ws', signal: gone.signal })
        .catch(() => ({
          ok: false as const,
          error: { code: 'internal' as const, message: 'Internal error' },
        }))
      if (env.ok) send({ id, ...env })
      else refuse(id, env.error)
    }
  }

  return {
    /** Call after the Host/Origin guard passed. Rejects without a valid token before upgrading. */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
      const addr = clientKey(req.socket.remoteAddress)
      const gate = deps.authThrottle.check(addr)
      if (!gate.allowed) {
        refuseUpgrade(socket, 429, 'Too Many Requests', {
          'Retry-After': String(Math.ceil(gate.retryAfterMs / 1000)),
        })
        return
      }
      const presented = bearerFrom(req)
      const who = deps.tokens.verify(presented)
      if (!who) {
        if (presented) deps.authThrottle.fail(addr)
        refuseUpgrade(socket, 401, 'Unauthorized')
        return
      }
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, who, addr))
    },
    close() {
      unsubscribe()
      for (const ws of clients) ws.terminate()
      wss.close()
    },
  }
}
