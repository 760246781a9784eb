import type { RedisOptions } from 'ioredis'
import type {
  AgentDiedT,
  AgentT,
  AgentTotalsT,
  BusStatusT,
  ConnectionInfoT,
  EventsPageT,
  KillswitchStateT,
  RegimeViewT,
  TradingStateT,
} from '../api/contract/bus'
import { CoreError } from '../errors'
import { AgentCommands } from './agent-commands'
import { AgentRegistry, type PausedContainerInfo, type PausedResolver } from './agent-registry'
import { ChannelStats } from './channel-stats'
import { EventRing, type RingQuery } from './event-ring'
import { DEFAULT_CHANNELS, Ingest, type ChannelNames } from './ingest'
import { Killswitch, type KillswitchDeps, type KillswitchMirror } from './killswitch'
import { RedisLink } from './redis-link'
import { RedisStore } from './redis-store'
import { RegimeTracker } from './regime'
import { iso } from './time'
import { turnClock } from './turn-clock'
import { wireSafePage, wireSafeRegime, type Repairs } from './wire-safe'
import type { BatchSource } from './update-batcher'

export const DEFAULT_PATTERNS = [
  'heartbeat.*',
  'data.market.*',
  'news.signal.entity',
  'quant.regime.state',
  'strategy.*',
  'risk.*',
]

export interface BusClientOptions {
  /** redis:// or rediss:// (TLS); user and password in the URL are used for AUTH. */
  url: string
  /** PSUBSCRIBE patterns stored as events. Control channels (heartbeats, acks, killswitch...) are always subscribed. */
  patterns?: string[]
  redisOptions?: RedisOptions
  heartbeatTimeoutMs?: number
  /** Larger messages are counted as malformed (oversized) and dropped. */
  maxMessageBytes?: number
  /** Deeper payloads are dropped (too_deep); default the API's MAX_INPUT_DEPTH. */
  maxPayloadDepth?: number
  /** Payloads with more keys + array items are dropped (too_many_keys). */
  maxPayloadEntries?: number
  eventCapacity?: number
  eventMaxBytes?: number
  rateWindowMs?: number
  maxChannels?: number
  maxAgents?: number
  /** How often liveness is re-judged. */
  tickMs?: number
  killswitchKey?: string
  killswitchAckTimeoutMs?: number
  killswitchPausesStack?: boolean
  tradingKey?: string
  /** How a released (latched) killswitch lets trading back on. */
  resumeMode?: 'manual' | 'next-start'
  killswitchMirror?: KillswitchMirror
  /** null: keep the regime in memory only. */
  regimeKey?: string | null
  channels?: Partial<ChannelNames>
  commandAckTimeoutMs?: number
  commandHistory?: number
  backoffBaseMs?: number
  backoffMaxMs?: number
  downAfterAttempts?: number
  connectTimeoutMs?: number
  commandTimeoutMs?: number
  /** CLIENT SETNAME prefix (`<name>-sub`, `<name>-cmd`), to find Stackdeck in CLIENT LIST. */
  connectionName?: string
  now?: () => number
}

export interface BusDeps extends KillswitchDeps {
  pausedResolver?: PausedResolver
}

/**
 * The Redis event bus: subscriptions, agent registry, event ring, killswitch, regime and agent
 * commands behind one object. Pub/sub is at-most-once, so everything that must be true after a
 * gap (killswitch, trading flag, regime) lives in keys and is re-read on every (re)connect.
 */
export class BusClient {
  readonly link: RedisLink
  readonly registry: AgentRegistry
  readonly ring: EventRing
  readonly stats: ChannelStats
  readonly killswitch: Killswitch
  readonly regime: RegimeTracker
  readonly commands: AgentCommands
  readonly names: ChannelNames
  /** Served values replaced because they could not be serialised; should stay 0 (ingest bounds them). */
  readonly repairs: Repairs = { count: 0, last: null }
  private readonly ingest: Ingest
  private readonly store: RedisStore
  private readonly now: () => number
  private readonly tickMs: number
  private readonly tradingKey: string
  private patterns: string[]
  private subscribed: string[] = []
  private trading: TradingStateT
  private tradingRev = 0
  private tickTimer: NodeJS.Timeout | null = null
  private reloading: Promise<void> | null = null
  private reloadAgain = false
  private started = false
  private firstSubscribe: Promise<unknown> = Promise.resolve()

  constructor(opts: BusClientOptions, deps: BusDeps) {
    this.now = opts.now ?? Date.now
    this.names = { ...DEFAULT_CHANNELS, ...opts.channels }
    this.tickMs = opts.tickMs ?? 250
    this.tradingKey = opts.tradingKey ?? 'stackdeck:trading_enabled'
    this.trading = { key: this.tradingKey, enabled: null, raw: null, readAt: null }
    this.patterns = [...(opts.patterns ?? DEFAULT_PATTERNS)]
    this.link = new RedisLink({
      url: opts.url,
      now: this.now,
      ...(opts.redisOptions !== undefined && { redisOptions: opts.redisOptions }),
      ...(opts.backoffBaseMs !== undefined && { backoffBaseMs: opts.backoffBaseMs }),
      ...(opts.backoffMaxMs !== undefined && { backoffMaxMs: opts.backoffMaxMs }),
      ...(opts.downAfterAttempts !== undefined && { downAfterAttempts: opts.downAfterAttempts }),
      ...(opts.connectTimeoutMs !== undefined && { connectTimeoutMs: opts.connectTimeoutMs }),
      ...(opts.commandTimeoutMs !== undefined && { commandTimeoutMs: opts.commandTimeoutMs }),
      ...(opts.connectionName !== undefined && { name: opts.connectionName }),
    })
    this.store = new RedisStore(this.link.cmd)
    this.registry = new AgentRegistry({
      timeoutMs: opts.heartbeatTimeoutMs ?? 15_000,
      busReady: false,
      ...(opts.maxAgents !== undefined && { maxAgents: opts.maxAgents }),
    })
    if (deps.pausedResolver) this.registry.setPausedResolver(deps.pausedResolver, this.now())
    this.ring = new EventRing({
      firstId: this.now() * 1000,
      ...(opts.eventCapacity !== undefined && { capacity: opts.eventCapacity }),
      ...(opts.eventMaxBytes !== undefined && { maxBytes: opts.eventMaxBytes }),
    })
    this.stats = new ChannelStats({
      ...(opts.rateWindowMs !== undefined && { windowMs: opts.rateWindowMs }),
      ...(opts.maxChannels !== undefined && { maxChannels: opts.maxChannels }),
    })
    this.killswitch = new Killswitch(this.store, this.registry, deps, {
      key: opts.killswitchKey ?? 'stackdeck:killswitch',
      channel: this.names.killswitchChannel,
      ackChannel: this.names.killswitchAckChannel,
      ackTimeoutMs: opts.killswitchAckTimeoutMs ?? 3000,
      pausesStack: opts.killswitchPausesStack ?? true,
      ...(opts.resumeMode !== undefined && { resumeMode: opts.resumeMode }),
      ...(opts.killswitchMirror !== undefined && { mirror: opts.killswitchMirror }),
      now: this.now,
    })
    this.regime = new RegimeTracker(this.store, {
      key: opts.regimeKey === undefined ? 'stackdeck:regime' : opts.regimeKey,
      now: this.now,
    })
    this.commands = new AgentCommands((ch, msg) => this.store.publish(ch, msg), {
      ackTimeoutMs: opts.commandAckTimeoutMs ?? 5000,
      commandPrefix: this.names.commandPrefix,
      now: this.now,
      ...(opts.commandHistory !== undefined && { historySize: opts.commandHistory }),
    })
    this.ingest = new Ingest(
      this.ring,
      this.stats,
      this.registry,
      {
        onRegime: (p, now) => this.regime.update(p, now),
        onKillswitchAck: (a, now) => this.killswitch.onAck(a, now),
        onCommandAck: (id, a, now) => this.commands.onAck(id, a, now),
        onStateNotice: () => void this.reloadState(),
      },
      {
        maxMessageBytes: opts.maxMessageBytes ?? 64 * 1024,
        now: opts.now === undefined ? turnClock(Date.now) : this.now,
        names: this.names,
        ...(opts.maxPayloadDepth !== undefined && { maxDepth: opts.maxPayloadDepth }),
        ...(opts.maxPayloadEntries !== undefined && { maxEntries: opts.maxPayloadEntries }),
      },
    )
    // The Buffer event, and no 'pmessage' listener: ioredis then never decodes channel or message,
    // and ingest decodes only what it cannot judge on the bytes (see Ingest.handleBytes).
    this.link.sub.on('pmessageBuffer', (pattern: string, channel: Buffer, message: Buffer) =>
      this.ingest.handleBytes(pattern, channel, message),
    )
    this.link.onState((info) => {
      const now = this.now()
      this.registry.setBusReady(info.state === 'ready', now)
      if (info.state === 'ready') void this.reloadState()
      else {
        // What we hold is now a memory of Redis, not its state: say so until it is re-read.
        this.killswitch.markStale()
        if (this.trading.readAt !== null) {
          this.trading = { ...this.trading, readAt: null }
          this.tradingRev++
        }
      }
    })
  }

  /** Connect and subscribe. Resolves after the first attempt even if Redis is away; retries continue. */
  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    this.subscribed = this.ingest.setPatterns(this.patterns)
    // Queued on the subscriber until it is connected; ioredis re-subscribes after each reconnect.
    this.firstSubscribe = this.link.sub
      .psubscribe(...this.subscribed)
      .catch((err: Error) => console.error('[bus] psubscribe failed:', err.message))
    this.tickTimer = setInterval(() => this.registry.tick(this.now()), this.tickMs)
    this.tickTimer.unref?.()
    await this.link.start()
    if (this.link.state === 'ready') await this.reloadState()
  }

  async stop(): Promise<void> {
    if (this.tickTimer !== null) clearInterval(this.tickTimer)
    this.tickTimer = null
    this.killswitch.dispose()
    this.commands.dispose()
    await this.regime.flush().catch(() => undefined)
    await this.link.stop()
    this.started = false
  }

  /** Resolves when both connections are ready, subscribed, and stored state was re-read; rejects after `timeoutMs`. */
  async whenReady(timeoutMs = 10_000): Promise<void> {
    if (this.link.state !== 'ready') {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          off()
          reject(
            new CoreError(
              'timeout',
              `Redis not ready within ${timeoutMs} ms (${this.link.info().error ?? this.link.state})`,
            ),
          )
        }, timeoutMs)
        const off = this.link.onState((i) => {
          if (i.state !== 'ready') return
          clearTimeout(timer)
          off()
          resolve()
        })
      })
    }
    await this.firstSubscribe
    await this.reloadState()
  }

  /** Re-read every stored state (killswitch, trading flag, regime). Coalesces concurrent calls. */
  reloadState(): Promise<void> {
    if (this.reloading !== null) {
      this.reloadAgain = true
      return this.reloading
    }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false
        const results = await Promise.allSettled([
          this.killswitch.load(),
          this.readTrading(),
          this.regime.load(),
        ])
        // While the link is down a failure is expected: the next 'ready' re-reads anyway.
        for (const r of results) {
          if (r.status === 'rejected' && this.link.state === 'ready')
            console.warn('[bus] state re-read failed:', (r.reason as Error).message)
        }
      } while (this.reloadAgain && this.link.state === 'ready')
    })().finally(() => {
      this.reloading = null
    })
    return this.reloading
  }

  private async readTrading(): Promise<void> {
    const raw = await this.store.get(this.tradingKey)
    const enabled = parseTradingFlag(raw)
    const prev = this.trading
    this.trading = { key: this.tradingKey, enabled, raw, readAt: iso(this.now()) }
    if (prev.enabled !== enabled || prev.raw !== raw || prev.readAt === null) this.tradingRev++
  }

  /** Announce something on the bus (e.g. `orchestrator.paused`). Fails fast while Redis is away. */
  async publish(channel: string, payload: unknown): Promise<number> {
    const message = typeof payload === 'string' ? payload : JSON.stringify(payload)
    try {
      return await this.store.publish(channel, message)
    } catch (err) {
      throw new CoreError('unavailable', `Could not publish on ${channel}: ${(err as Error).message}`, {
        cause: err,
      })
    }
  }

  /** Replace the event patterns at runtime (settings change). */
  async setPatterns(patterns: readonly string[]): Promise<void> {
    const next = this.ingest.setPatterns(patterns)
    const drop = this.subscribed.filter((p) => !next.includes(p))
    const add = next.filter((p) => !this.subscribed.includes(p))
    this.patterns = [...patterns]
    this.subscribed = next
    if (!this.started) return
    if (drop.length > 0) await this.link.sub.punsubscribe(...drop)
    if (add.length > 0) await this.link.sub.psubscribe(...add)
  }

  setPausedContainers(list: readonly PausedContainerInfo[]): void {
    this.registry.setPausedContainers(list, this.now())
  }

  /** A paused container does not beat, so nothing else would tell the registry it froze. */
  refreshPaused(): void {
    this.registry.refreshPaused(this.now())
  }

  setPausedResolver(resolver: PausedResolver | null): void {
    this.registry.setPausedResolver(resolver, this.now())
  }

  onAgentDied(listener: (d: AgentDiedT) => void): () => void {
    return this.registry.onDied(listener)
  }

  onConnection(listener: (info: ConnectionInfoT) => void): () => void {
    return this.link.onState(listener)
  }

  onKillswitch(listener: (s: KillswitchStateT) => void): () => void {
    return this.killswitch.onChange(listener)
  }

  connection(): ConnectionInfoT {
    return this.link.info()
  }

  regimeView(): RegimeViewT {
    return wireSafeRegime(this.regime.view(this.now()), this.repairs)
  }

  tradingState(): TradingStateT {
    return { ...this.trading }
  }

  agents(): {
    agents: AgentT[]
    totals: AgentTotalsT
    connection: ConnectionInfoT['state']
    timeoutMs: number
  } {
    const now = this.now()
    return {
      agents: this.registry.list(now),
      totals: this.registry.totals(now),
      connection: this.link.state,
      timeoutMs: this.registry.timeout,
    }
  }

  /** Events served over REST/RPC; a page never fails to serialise (see wire-safe.ts). */
  events(q: RingQuery): EventsPageT {
    return wireSafePage(this.ring.query(q), this.repairs)
  }

  status(): BusStatusT {
    const now = this.now()
    const lm = this.stats.lastMalformed
    const ring = this.ring.stats()
    return {
      connection: this.link.info(),
      patterns: [...this.patterns],
      totals: {
        messages: this.stats.totalAccepted,
        malformed: this.stats.totalMalformed,
        rate: this.stats.totalRate(now),
        malformedByReason: { ...this.stats.malformedByReason },
      },
      lastMalformed:
        lm === null
          ? null
          : {
              channel: lm.channel,
              reason: lm.reason,
              at: iso(lm.at),
              sample: lm.sample,
              ...(lm.path === undefined ? {} : { path: lm.path }),
            },
      channels: this.stats.snapshot(now),
      events: {
        capacity: ring.capacity,
        size: ring.size,
        firstId: ring.firstId,
        lastId: ring.lastId,
        evicted: ring.evicted,
      },
      killswitch: this.killswitch.view(),
      trading: this.tradingState(),
    }
  }

  /** The view the UI batcher reads from. */
  batchSource(): BatchSource {
    return {
      now: this.now,
      revs: () => ({
        connection: this.link.rev,
        killswitch: this.killswitch.rev,
        regime: this.regime.rev,
        trading: this.tradingRev,
      }),
      takeAgents: (now) => this.registry.takeDirty(now),
      totals: (now) => this.registry.totals(now),
      lastEventId: () => this.ring.lastId,
      eventsAfter: (cursor, max) => this.ring.after(cursor, max),
      rates: (now) => ({ total: this.stats.totalRate(now), channels: this.stats.snapshot(now) }),
      connection: () => this.link.info(),
      killswitch: () => this.killswitch.view(),
      regime: (now) => this.regime.view(now),
      trading: () => this.tradingState(),
      takeCommands: () => this.commands.takeChanged(),
    }
  }
}

/** The trading flag key is written by the schedule module; accept its JSON record or a plain boolean-ish value. */
export function parseTradingFlag(raw: string | null): boolean | null {
  if (raw === null) return null
  const t = raw.trim().toLowerCase()
  if (t === '1' || t === 'true' || t === 'on') return true
  if (t === '0' || t === 'false' || t === 'off') return false
  try {
    // The schedule's RedisTradingFlag writes {value, version, who, why, at}; older tools write {enabled}.
    const v = JSON.parse(raw) as { value?: unknown; enabled?: unknown; trading_enabled?: unknown }
    const e = v?.value ?? v?.enabled ?? v?.trading_enabled
    return typeof e === 'boolean' ? e : null
  } catch {
    return null
  }
}
