import type {
  ContractError,
  EventName,
  EventPayload,
  OperationName,
  OpInput,
  OpResult,
  StackdeckClient,
} from '@contract'
import { WS_BEARER_PREFIX, WS_PATH, WS_PROTOCOL } from '@core/api/wire'
import { CallError } from './call-error'

export type WsState = 'connecting' | 'open' | 'reconnecting' | 'unauthorized'

interface Pending {
  resolve: (v: unknown) => void
  reject: (e: Error) => void
  timer: ReturnType<typeof setTimeout>
}

const CALL_TIMEOUT_MS = 180_000

export interface WsClient extends StackdeckClient {
  readonly state: WsState
  onState(listener: (s: WsState) => void): () => void
  /** A new token (a rotated one): drop the socket and connect again with it at once. */
  setToken(token: string): void
  close(): void
}

/** Thrown at once for a call made while the host is unreachable: nothing is kept to run later. */
export const NOT_CONNECTED =
  'Not connected to the Stackdeck host: the action was NOT sent and will not run later. Try again once the header shows the host connected.'
/** A call in flight when the socket dropped: the host may or may not have run it. */
export const LOST_IN_FLIGHT =
  'The connection to the Stackdeck host dropped before it answered: the action may or may not have run. Check the audit log before retrying.'

/**
 * Headless door. One socket carries calls (id-matched replies) and all events. It reconnects with
 * backoff. A call made while disconnected fails at once (never queued: a "Pause stack" clicked
 * during an outage must not run 25 s later), and calls in flight when the socket drops fail too.
 */
export function createWsClient(initialToken: string, base: string = location.host): WsClient {
  let token = initialToken
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  const url = `${scheme}://${base}${WS_PATH}`
  let ws: WebSocket | null = null
  let state: WsState = 'connecting'
  let nextId = 1
  let backoff = 250
  let closed = false
  const pending = new Map<number, Pending>()
  /**
   * Only before the very first connection: the page's own start-up reads wait for the socket to
   * open. No trader action can be among them (the body is inert until fresh state arrives), and once
   * the socket has been open, nothing ever waits again.
   */
  let everOpen = false
  const beforeFirstOpen: Array<() => void> = []
  const listeners = new Map<string, Set<(p: unknown) => void>>()
  const stateListeners = new Set<(s: WsState) => void>()

  const setState = (s: WsState) => {
    state = s
    for (const l of stateListeners) l(s)
  }

  async function tokenIsValid(): Promise<boolean> {
    try {
      const r = await fetch('/info', { headers: { authorization: `Bearer ${token}` } })
      return r.status !== 401
    } catch {
      return true // host unreachable: keep retrying rather than asking for a token
    }
  }

  function connect() {
    if (closed) return
    const sock = new WebSocket(url, [WS_PROTOCOL, `${WS_BEARER_PREFIX}${token}`])
    ws = sock
    sock.onopen = () => {
      backoff = 250
      setState('open')
      everOpen = true
      for (const send of beforeFirstOpen.splice(0)) send()
    }
    sock.onmessage = (ev) => {
      let msg: {
        id?: number
        ok?: boolean
        result?: unknown
        error?: ContractError
        event?: string
        payload?: unknown
      }
      try {
        msg = JSON.parse(String(ev.data)) as typeof msg
      } catch {
        return
      }
      if (typeof msg.event === 'string') {
        for (const l of listeners.get(msg.event) ?? []) l(msg.payload)
        return
      }
      const p = typeof msg.id === 'number' ? pending.get(msg.id) : undefined
      if (!p || typeof msg.id !== 'number') return
      pending.delete(msg.id)
      clearTimeout(p.timer)
      if (msg.ok) p.resolve(msg.result)
      else p.reject(new CallError(msg.error ?? { code: 'internal', message: 'malformed reply' }))
    }
    sock.onclose = () => {
      if (closed) return
      const wasOpen = state === 'open'
      // Before the first open nothing was sent: those start-up reads keep waiting for it.
      if (everOpen)
        for (const [id, p] of pending) {
          clearTimeout(p.timer)
          p.reject(new CallError({ code: 'unavailable', message: LOST_IN_FLIGHT }))
          pending.delete(id)
        }
      // Mark the view stale at once; the token check below only decides between retry and sign-in.
      if (wasOpen) setState('reconnecting')
      void tokenIsValid().then((valid) => {
        // A new token (setToken) replaced this socket meanwhile: its verdict is about the old token.
        if (closed || ws !== sock) return
        if (!valid) {
          setState('unauthorized')
          for (const [id, p] of pending) {
            clearTimeout(p.timer)
            p.reject(new CallError({ code: 'unauthorized', message: 'The token was refused' }))
            pending.delete(id)
          }
          return
        }
        if (state !== 'reconnecting') setState('reconnecting')
        setTimeout(connect, backoff)
        backoff = Math.min(backoff * 2, 5000)
      })
    }
  }
  connect()

  return {
    door: 'ws',
    get state() {
      return state
    },
    onState(l) {
      stateListeners.add(l)
      return () => stateListeners.delete(l)
    },
    call<N extends OperationName>(name: N, input: OpInput<N>): Promise<OpResult<N>> {
      const open = ws?.readyState === WebSocket.OPEN
      if (!open && everOpen)
        return Promise.reject(new CallError({ code: 'unavailable', message: NOT_CONNECTED }))
      const id = nextId++
      const frame = JSON.stringify({ id, op: name, input })
      return new Promise<OpResult<N>>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(
            new CallError({
              code: 'timeout',
              message: `${name} got no answer within ${CALL_TIMEOUT_MS / 1000} s`,
            }),
          )
        }, CALL_TIMEOUT_MS)
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer })
        const send = () => {
          if (!pending.has(id)) return // timed out meanwhile: never send it late
          if (ws?.readyState === WebSocket.OPEN) ws.send(frame)
          else {
            pending.delete(id)
            clearTimeout(timer)
            reject(new CallError({ code: 'unavailable', message: NOT_CONNECTED }))
          }
        }
        if (open) send()
        else beforeFirstOpen.push(send)
      })
    },
    on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void) {
      const set = listeners.get(name) ?? new Set()
      set.add(listener as (p: unknown) => void)
      listeners.set(name, set)
      return () => set.delete(listener as (p: unknown) => void)
    },
    setToken(next) {
      if (closed) return
      token = next
      const old = ws
      ws = null
      if (old) {
        // Its close must not start the retry loop or the token check: the new socket replaces it.
        old.onclose = null
        old.onmessage = null
        old.close()
      }
      // Whatever was in flight on the old socket may or may not have run, as with any drop.
      if (everOpen)
        for (const [id, p] of pending) {
          clearTimeout(p.timer)
          p.reject(new CallError({ code: 'unavailable', message: LOST_IN_FLIGHT }))
          pending.delete(id)
        }
      backoff = 250
      setState(everOpen ? 'reconnecting' : 'connecting')
      connect()
    },
    close() {
      closed = true
      ws?.close()
    },
  }
}
