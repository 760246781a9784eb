import { Redis, type RedisOptions } from 'ioredis'
import type { ConnectionInfoT } from '../api/contract/bus'
import { iso } from './time'

export type ConnectionState = ConnectionInfoT['state']

export interface RedisLinkOptions {
  url: string
  /** Extra ioredis options (TLS certificates, username, db...). rediss:// URLs enable TLS by themselves. */
  redisOptions?: RedisOptions
  backoffBaseMs?: number
  backoffMaxMs?: number
  /** After this many failed attempts in a row the state reads 'down' (retries continue). */
  downAfterAttempts?: number
  connectTimeoutMs?: number
  commandTimeoutMs?: number
  name?: string
  now?: () => number
}

/** The URL as it may be shown: password replaced. */
export function safeRedisUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(unparseable redis url)'
  }
}

/**
 * Two ioredis connections: a subscriber (a connection in subscribe mode can run nothing else)
 * and a command connection. The command connection has no offline queue: while Redis is away a
 * command fails at once instead of being replayed minutes later, e.g. a stale "pause". Nor does it
 * resend a command that was in flight when the connection dropped (ioredis does by default, after
 * the reconnect): a killswitch release refused on its timeout must not get stored later.
 *
 * The subscriber keeps its offline queue on purpose: it only ever carries (P)SUBSCRIBE, issued
 * before the first connect and re-issued by ioredis after each reconnect. It never writes.
 */
export class RedisLink {
  readonly sub: Redis
  readonly cmd: Redis
  readonly safeUrl: string
  private st: ConnectionState = 'connecting'
  private since: number
  private lastError: string | null = null
  private everReady = false
  private stopped = false
  private attempts = { sub: 0, cmd: 0 }
  private readonly downAfter: number
  private readonly now: () => number
  private readonly stateListeners = new Set<(info: ConnectionInfoT) => void>()
  rev = 0

  constructor(opts: RedisLinkOptions) {
    this.now = opts.now ?? Date.now
    this.since = this.now()
    this.safeUrl = safeRedisUrl(opts.url)
    this.downAfter = opts.downAfterAttempts ?? 3
    const base = opts.backoffBaseMs ?? 250
    const max = opts.backoffMaxMs ?? 5000
    const common = (role: 'sub' | 'cmd'): RedisOptions => ({
      lazyConnect: true,
      connectTimeout: opts.connectTimeoutMs ?? 5000,
      connectionName: `${opts.name ?? 'stackdeck'}-${role}`,
      // Retry forever, exponentially, capped: Stackdeck must come back by itself.
      retryStrategy: (times) => {
        this.attempts[role] = times
        this.recompute()
        return Math.min(max, base * 2 ** Math.min(times - 1, 16))
      },
      ...opts.redisOptions,
    })
    this.sub = new Redis(opts.url, {
      ...common('sub'),
      autoResubscribe: true,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
    })
    this.cmd = new Redis(opts.url, {
      ...common('cmd'),
      enableOfflineQueue: false,
      // 0: a command in flight when the link drops fails right there; never resent on reconnect.
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: opts.commandTimeoutMs ?? 5000,
    })
    for (const [role, conn] of [
      ['sub', this.sub],
      ['cmd', this.cmd],
    ] as const) {
      conn.on('ready', () => {
        this.attempts[role] = 0
        this.recompute()
      })
      conn.on('close', () => this.recompute())
      conn.on('end', () => this.recompute())
      conn.on('reconnecting', () => this.recompute())
      conn.on('error', (err: Error) => {
        this.lastError = err.message
        this.recompute()
      })
    }
  }

  async start(): Promise<void> {
    this.stopped = false
    // connect() rejects on the first failure, but the retry strategy keeps trying in the background.
    await Promise.allSettled([this.sub.connect(), this.cmd.connect()])
  }

  async stop(): Promise<void> {
    this.stopped = true
    // QUIT politely, but never hang shutdown on a Redis that is not there.
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.allSettled([this.sub.quit(), this.cmd.quit()]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 1000)
      }),
    ])
    clearTimeout(timer)
    this.sub.disconnect()
    this.cmd.disconnect()
    this.recompute()
  }

  get state(): ConnectionState {
    return this.st
  }

  info(): ConnectionInfoT {
    return {
      state: this.st,
      since: iso(this.since),
      url: this.safeUrl,
      error: this.st === 'ready' ? null : this.lastError,
      attempts: Math.max(this.attempts.sub, this.attempts.cmd),
    }
  }

  onState(listener: (info: ConnectionInfoT) => void): () => void {
    this.stateListeners.add(listener)
    return () => this.stateListeners.delete(listener)
  }

  private recompute(): void {
    let next: ConnectionState
    const attempts = Math.max(this.attempts.sub, this.attempts.cmd)
    if (this.stopped) next = 'down'
    else if (this.sub.status === 'ready' && this.cmd.status === 'ready') next = 'ready'
    else if (attempts >= this.downAfter || this.sub.status === 'end' || this.cmd.status === 'end')
      next = 'down'
    else next = this.everReady ? 'reconnecting' : 'connecting'
    if (next === 'ready') {
      this.everReady = true
      this.lastError = null
    }
    if (next === this.st) return
    this.st = next
    this.since = this.now()
    this.rev++
    const info = this.info()
    for (const l of this.stateListeners) {
      try {
        l(info)
      } catch (err) {
        console.error('[bus] connection listener failed:', err)
      }
    }
  }
}
