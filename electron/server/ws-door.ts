import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { EventHub } from '@core/event-hub'
import type { EventMap, OperationName } from '@core/api/contract'
import { operations } from '@core/api/contract'
import type { Dispatcher } from '@core/api/dispatcher'
import type { RateLimiter } from './rate-limit'
import { scopeAllows, type TokenIdentity, type TokenRegistry } from './tokens'

export const WS_PROTOCOL = 'stackdeck.v1'
export const WS_BEARER_PREFIX = 'bearer.'
/** A client that cannot keep up gets events dropped rather than growing our memory without bound. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024

interface Deps {
  dispatcher: Dispatcher
  hub: EventHub<EventMap>
  tokens: TokenRegistry
  limiter: RateLimiter
  maxPayload: number
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

export function createWsDoor(deps: Deps) {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: deps.maxPayload,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  })
  const clients = new Set<WebSocket>()

  const unsubscribe = deps.hub.subscribe((event, payload) => {
    if (clients.size === 0) return
    const frame = JSON.stringify({ event, payload })
    for (const ws of clients) {
      if (ws.readyState === ws.OPEN && ws.bufferedAmount < MAX_BUFFERED_BYTES) ws.send(frame)
    }
  })

  function onConnection(ws: WebSocket, who: TokenIdentity) {
    clients.add(ws)
    ws.on('close', () => clients.delete(ws))
    ws.on('message', (data) => {
      void (async () => {
        let msg: { id?: unknown; op?: unknown; input?: unknown }
        try {
          msg = JSON.parse((data as Buffer).toString("utf8")) as typeof msg
        } catch {
          ws.send(JSON.stringify({ id: null, ok: false, error: { code: "invalid_input", message: "frame is not JSON" } }))
          return
        }
        const id = typeof msg.id === 'number' || typeof msg.id === 'string' ? msg.id : null
        const reply = (body: object) => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ id, ...body }))
        if (typeof msg.op !== 'string' || !deps.dispatcher.has(msg.op)) {
          reply({ ok: false, error: { code: 'not_found', message: `Unknown operation: ${String(msg.op)}` } })
          return
        }
        const op: OperationName = msg.op
        if (!scopeAllows(who.scope, operations[op].scope)) {
          reply({ ok: false, error: { code: 'forbidden', message: `${op} needs the ${operations[op].scope} scope` } })
          return
        }
        if (!deps.limiter.take(who.name)) {
          reply({ ok: false, error: { code: 'rate_limited', message: 'Too many requests' } })
          return
        }
        // dispatch promises never to throw; if it ever does, this socket gets an error, not the process.
        const env = await deps.dispatcher
          .dispatch(op, msg.input, { who: who.name, door: 'ws' })
          .catch(() => ({ ok: false, error: { code: 'internal', message: 'Internal error' } }))
        reply(env)
      })()
    })
  }

  return {
    /** Call after the Host/Origin guard passed. Rejects without a valid token before upgrading. */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
      const who = deps.tokens.verify(bearerFrom(req))
      if (!who) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
        return
      }
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, who))
    },
    close() {
      unsubscribe()
      for (const ws of clients) ws.terminate()
      wss.close()
    },
  }
}
