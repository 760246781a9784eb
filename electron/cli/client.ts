import WebSocket from 'ws'
// Types only (erased at build): the CLI bundle carries no contract code, and a renamed operation
// or field fails the typecheck here.
import type { ContractCaller, EventFrame, OperationName, OpInput, OpResult } from '../core/api/contract'
import { RPC_PATH_PREFIX, WS_BEARER_PREFIX, WS_CLOSE_NORMAL, WS_PATH, WS_PROTOCOL } from '../core/api/wire'
import { CliError, EXIT, type WireError } from './exit-codes'

/**
 * Talks to a running host. Everything goes through the generic RPC endpoint
 * (`POST /api/rpc/<op>`, answering `{ok, result | error}`), so the CLI depends on operation
 * names only, never on REST paths. The one exception is `GET /health`, the route that needs no
 * token, so `stackdeck health` works before a token is set up.
 *
 * Typed like the renderer's clients (`ContractCaller` from the contract): `call` takes an
 * operation of the table with its input and answers its result type. Results are the host's
 * word, not checked again here (as in the renderer); the formatters fall back to JSON when a
 * host of another version answers another shape (commands.ts, `render`).
 */

export interface ClientOptions {
  url: string
  token: string | undefined
  timeoutMs: number
}

const DENIED = new Set(['unauthorized', 'forbidden'])

function connectError(url: string, err: unknown, timeoutMs: number): CliError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } }
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    return new CliError(
      EXIT.unreachable,
      `no answer from ${url} within ${Math.round(timeoutMs / 1000)} s (the operation may still be running on the host)`,
    )
  }
  const why = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err)
  return new CliError(
    EXIT.unreachable,
    `cannot reach Stackdeck at ${url} (${why}); is it running? Set --url or STACKDECK_URL.`,
  )
}

/** Turns an error answer into the CLI's exit code and message. */
export function errorFor(op: string, error: WireError): CliError {
  if (error.code === 'not_found' && /^Unknown operation/.test(error.message)) {
    return new CliError(
      EXIT.failed,
      `this host does not offer ${op} (it runs a Stackdeck without it; check \`stackdeck info\`)`,
      error,
    )
  }
  if (DENIED.has(error.code)) {
    const hint = error.code === 'unauthorized' ? ' (pass --token or set STACKDECK_TOKEN)' : ''
    return new CliError(EXIT.denied, `${error.code}: ${error.message}${hint}`, error)
  }
  const where = error.path ? ` at ${error.path}` : ''
  const details = (error.details ?? [])
    .slice(0, 10)
    .map(
      (d) =>
        `\n  ${d.line !== undefined ? `line ${d.line}${d.column !== undefined ? `:${d.column}` : ''}` : (d.path ?? '')}: ${d.message}`,
    )
    .join('')
  return new CliError(EXIT.failed, `${op} failed: ${error.code}: ${error.message}${where}${details}`, error)
}

function asWireError(v: unknown, status: number): WireError {
  const e = (v && typeof v === 'object' ? (v as { error?: unknown }).error : undefined) as
    Partial<WireError> | undefined
  if (e && typeof e.code === 'string' && typeof e.message === 'string') return e as WireError
  return {
    code: status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'internal',
    message: `HTTP ${status}`,
  }
}

export class HostClient implements ContractCaller {
  constructor(private readonly opts: ClientOptions) {}

  get url(): string {
    return this.opts.url
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
    if (this.opts.token) h['authorization'] = `Bearer ${this.opts.token}`
    return h
  }

  private async fetchJson(path: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
    let res: Response
    try {
      res = await fetch(`${this.opts.url}${path}`, {
        ...init,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      })
    } catch (err) {
      throw connectError(this.opts.url, err, this.opts.timeoutMs)
    }
    let text: string
    try {
      text = await res.text()
    } catch (err) {
      throw connectError(this.opts.url, err, this.opts.timeoutMs)
    }
    try {
      return { status: res.status, body: text === '' ? null : (JSON.parse(text) as unknown) }
    } catch {
      const exit = res.status === 401 || res.status === 403 ? EXIT.denied : EXIT.failed
      throw new CliError(
        exit,
        `unexpected answer from ${this.opts.url}${path} (HTTP ${res.status}): ${text.slice(0, 200)}`,
      )
    }
  }

  /** Calls an operation; resolves with its result or throws a CliError carrying the exit code. */
  call<N extends OperationName>(name: N, input: OpInput<N>): Promise<OpResult<N>> {
    return this.callByName(name, input) as Promise<OpResult<N>>
  }

  /**
   * The same by any name, untyped: for `stackdeck call <op>`, which may name an operation this CLI
   * does not know (a newer host) with input it cannot check.
   */
  async callByName(op: string, input: unknown = {}): Promise<unknown> {
    const { status, body } = await this.fetchJson(`${RPC_PATH_PREFIX}${encodeURIComponent(op)}`, {
      method: 'POST',
      headers: this.headers(),
      body: JSON.stringify(input ?? {}),
    })
    const env = body as { ok?: unknown; result?: unknown } | null
    if (env && env.ok === true && status < 400) return env.result
    throw errorFor(op, asWireError(body, status))
  }

  /** Like call, but answers null when the host does not offer the operation (for optional extras). */
  async callIfOffered<N extends OperationName>(name: N, input: OpInput<N>): Promise<OpResult<N> | null> {
    try {
      return await this.call(name, input)
    } catch (err) {
      if (
        err instanceof CliError &&
        err.error.code === 'not_found' &&
        /^Unknown operation/.test(err.error.message)
      )
        return null
      throw err
    }
  }

  async health(): Promise<OpResult<'app.health'>> {
    const { status, body } = await this.fetchJson('/health', {
      method: 'GET',
      headers: { accept: 'application/json' },
    })
    if (status === 200) return body as OpResult<'app.health'>
    throw errorFor('app.health', asWireError(body, status))
  }

  /**
   * Opens the event stream. Resolves once connected; `onEvent` sees every pushed event, `call`
   * sends an operation over the same socket, and `closed` settles when the socket ends.
   */
  async stream(onEvent: (frame: EventFrame) => void): Promise<EventStream> {
    const wsUrl = `${this.opts.url.replace(/^http/, 'ws')}${WS_PATH}`
    const protocols = [WS_PROTOCOL, ...(this.opts.token ? [`${WS_BEARER_PREFIX}${this.opts.token}`] : [])]
    const ws = new WebSocket(wsUrl, protocols, { handshakeTimeout: Math.min(this.opts.timeoutMs, 30_000) })
    const pending = new Map<
      number,
      { resolve: (v: unknown) => void; reject: (e: unknown) => void; op: string }
    >()
    let nextId = 1

    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('unexpected-response', (_req, res) => {
        const status = res.statusCode ?? 0
        res.resume()
        ws.terminate()
        if (status === 401 || status === 403)
          reject(
            errorFor('events', {
              code: status === 401 ? 'unauthorized' : 'forbidden',
              message: `WebSocket upgrade refused (HTTP ${status})`,
            }),
          )
        else reject(new CliError(EXIT.failed, `WebSocket upgrade refused (HTTP ${status})`))
      })
      ws.once('error', (err) => reject(connectError(this.opts.url, err, this.opts.timeoutMs)))
    })

    ws.on('message', (data: Buffer) => {
      let msg: {
        id?: unknown
        ok?: unknown
        result?: unknown
        error?: unknown
        event?: unknown
        payload?: unknown
      }
      try {
        msg = JSON.parse(data.toString('utf8')) as typeof msg
      } catch {
        return
      }
      if (typeof msg.event === 'string') {
        // The host's own event names and payloads (the table's), as the renderer takes them too.
        onEvent({ event: msg.event, payload: msg.payload } as EventFrame)
        return
      }
      const waiter = typeof msg.id === 'number' ? pending.get(msg.id) : undefined
      if (!waiter) return
      pending.delete(msg.id as number)
      if (msg.ok === true) waiter.resolve(msg.result)
      else waiter.reject(errorFor(waiter.op, asWireError(msg, 500)))
    })

    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      ws.on('close', (code, reason) => {
        for (const w of pending.values()) w.reject(new CliError(EXIT.unreachable, 'the connection closed'))
        pending.clear()
        resolve({ code, reason: reason.toString('utf8') })
      })
      ws.on('error', () => undefined)
    })

    return {
      closed,
      call: <N extends OperationName>(op: N, input: OpInput<N>) =>
        new Promise<OpResult<N>>((resolve, reject) => {
          const id = nextId++
          pending.set(id, { resolve: resolve as (v: unknown) => void, reject, op })
          ws.send(JSON.stringify({ id, op, input: input ?? {} }))
        }),
      close: () => ws.close(WS_CLOSE_NORMAL),
    }
  }
}

/** An open event socket; calls over it are answered in order with the events around them. */
export interface EventStream extends ContractCaller {
  closed: Promise<{ code: number; reason: string }>
  close(): void
}
