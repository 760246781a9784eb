import { checkShape, MAX_INPUT_DEPTH, type ShapeLimits } from '../api/bounded-shape'
import type { AgentRegistry } from './agent-registry'
import type { ChannelCounter, ChannelStats, MalformedReason } from './channel-stats'
import { eventSource, type EventRing } from './event-ring'
import { globToRegExp } from '../shared/channel-glob'
import { typeFor } from './glob'
import { flatMaxLength, isFlatObject, surelyNotJson } from './flat-json'
import { isFlatObjectBytes } from './flat-json-bytes'
import {
  AGENT_ID_PATTERN,
  isCommandAck,
  isHeartbeat,
  isKillswitchAck,
  isRegime,
  type CommandAck,
  type KillswitchAck,
  type RegimePayload,
} from './payload-schemas'

export type ChannelKind =
  'heartbeat' | 'regime' | 'killswitch' | 'killswitch-ack' | 'command-ack' | 'trading' | 'plain'

export interface ChannelNames {
  heartbeatPrefix: string
  regimeChannel: string
  killswitchChannel: string
  killswitchAckChannel: string
  tradingChannel: string
  /** Command channels are `<commandPrefix><id>.command`, acks `<commandPrefix><id>.ack`. */
  commandPrefix: string
}

export const DEFAULT_CHANNELS: ChannelNames = {
  heartbeatPrefix: 'heartbeat.',
  regimeChannel: 'quant.regime.state',
  killswitchChannel: 'risk.killswitch',
  killswitchAckChannel: 'risk.killswitch.ack',
  tradingChannel: 'stackdeck.trading_enabled',
  commandPrefix: 'agent.',
}

/** Patterns the bus always needs, whatever the user configured: its own control traffic. */
export function controlPatterns(names: ChannelNames): string[] {
  const esc = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&')
  return [
    `${esc(names.heartbeatPrefix)}*`,
    esc(names.regimeChannel),
    esc(names.killswitchChannel),
    esc(names.killswitchAckChannel),
    esc(names.tradingChannel),
    `${esc(names.commandPrefix)}*.ack`,
  ]
}

export interface IngestHandlers {
  onRegime?(payload: RegimePayload, now: number): void
  onKillswitchAck?(ack: KillswitchAck, now: number): void
  onCommandAck?(agentId: string, ack: CommandAck, now: number): void
  /** Someone announced a killswitch / trading change: state lives in keys, so re-read them. */
  onStateNotice?(kind: 'killswitch' | 'trading'): void
}

export interface IngestOptions {
  maxMessageBytes: number
  now: () => number
  names?: ChannelNames
  /** Cap on cached channel routes; past it the cache is rebuilt (a flood of random channel names). */
  maxRoutes?: number
  /** Most nested objects/arrays in a payload (default MAX_INPUT_DEPTH, the API's own bound). */
  maxDepth?: number
  /** Most object keys + array items in a payload (default DEFAULT_MAX_ENTRIES). */
  maxEntries?: number
}

/**
 * 64 KB of `[0,0,…]` is 32k array slots, and a ring of such events costs far more heap than its
 * raw bytes suggest; no real quote, signal or heartbeat comes near 4,096 keys and items.
 */
export const DEFAULT_MAX_ENTRIES = 4096

interface Route {
  /** The channel's name; what the ring stores, one string shared by all its events. */
  channel: string
  /** The one pattern whose delivery we process; Redis repeats a message once per matching pattern. */
  pattern: string
  kind: ChannelKind
  /** Stored in the event ring (matched a user pattern)? Control-only traffic is not an event. */
  event: boolean
  type: string
  counter: ChannelCounter
  /** For command acks: the agent id from the channel name. */
  agentId: string
}

const AGENT_ID_RE = new RegExp(AGENT_ID_PATTERN)

/** Channels whose routes are found by their raw bytes, without decoding the name (handleBytes). */
const BYTE_ROUTES = 8

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length
  if (b.length !== n) return false
  // From the end: channel names share prefixes (`data.market.`), they differ at the end.
  for (let i = n - 1; i >= 0; i--) if (a[i] !== b[i]) return false
  return true
}

/**
 * Could `message` hold a number with an exponent (`1e999`, `1E+400`)? The only way a short JSON
 * text parses to a non-finite number. A false positive costs one walk; native indexOf keeps the
 * common case (no `e` followed by a digit or `+`) to a scan of the string.
 */
export function hasExponent(message: string): boolean {
  for (const e of ['e', 'E']) {
    for (let i = message.indexOf(e); i !== -1; i = message.indexOf(e, i + 1)) {
      const c = message.charCodeAt(i + 1)
      if (c === 43 || (c >= 48 && c <= 57)) return true
    }
  }
  return false
}

/**
 * The hot path: one Map lookup for the channel's cached route, a size check, then for plain traffic
 * that is a small flat object one regexp test (flat-json.ts; the ring keeps the text and parses it
 * when read), and for control traffic or anything the scan is unsure of one
 * JSON.parse and one shape walk. Nothing here throws to the caller; anything unparseable is counted
 * on its channel and dropped.
 */
export class Ingest {
  private readonly routes = new Map<string, Route>()
  /**
   * The last channel seen and its route: bursts on one channel (quote ticks) skip the Map, whose
   * lookup hashes every new channel string; `===` on equal strings is a length check + compare.
   */
  private lastChannel: string | null = null
  private lastRoute: Route | undefined = undefined
  /**
   * The channels last seen as bytes, hottest first (a hit moves one place forward, a new channel
   * takes the last place), so the quote channel is found by one short byte compare.
   */
  private readonly byteNames: Uint8Array[] = []
  private readonly byteRoutes: Route[] = []
  private userPatterns: Array<{ pattern: string; re: RegExp }> = []
  private allPatterns: Array<{ pattern: string; re: RegExp }> = []
  private readonly names: ChannelNames
  private readonly maxBytes: number
  private readonly maxRoutes: number
  private readonly now: () => number
  private readonly shape: ShapeLimits
  /** Shortest message that could break the depth or key bound, or hold a 309-digit number. */
  private readonly walkFrom: number
  private readonly commandSuffix = '.ack'
  /** Longest text the flat-object fast path takes (0: off); see flat-json.ts. */
  private readonly flatMax: number
  internalErrors = 0

  constructor(
    private readonly ring: EventRing,
    private readonly stats: ChannelStats,
    private readonly registry: AgentRegistry,
    private readonly handlers: IngestHandlers,
    opts: IngestOptions,
  ) {
    this.names = opts.names ?? DEFAULT_CHANNELS
    this.maxBytes = opts.maxMessageBytes
    this.maxRoutes = opts.maxRoutes ?? 10_000
    this.now = opts.now
    this.shape = {
      maxDepth: opts.maxDepth ?? MAX_INPUT_DEPTH,
      maxEntries: opts.maxEntries ?? DEFAULT_MAX_ENTRIES,
      finiteOnly: true,
    }
    // depth d needs d opening and d closing brackets; n keys/items need at least 2n characters;
    // a number without an exponent overflows to Infinity only with 309+ digits.
    const d = this.shape.maxDepth
    const n = this.shape.maxEntries ?? DEFAULT_MAX_ENTRIES
    this.walkFrom = Math.min(2 * (d + 1), 2 * n + 1, 309)
    this.flatMax = flatMaxLength({ maxDepth: d, maxEntries: n })
  }

  /** The user's patterns (events) and, implicitly, the control patterns. Returns everything to PSUBSCRIBE. */
  setPatterns(user: readonly string[]): string[] {
    const all = [...new Set([...user, ...controlPatterns(this.names)])]
    this.userPatterns = [...new Set(user)].map((pattern) => ({ pattern, re: globToRegExp(pattern) }))
    this.allPatterns = all.map((pattern) => ({ pattern, re: globToRegExp(pattern) }))
    this.routes.clear()
    this.lastChannel = null
    this.lastRoute = undefined
    this.byteNames.length = 0
    this.byteRoutes.length = 0
    return all
  }

  handle(pattern: string, channel: string, message: string): void {
    try {
      let route = channel === this.lastChannel ? this.lastRoute : this.routes.get(channel)
      if (route === undefined) {
        route = this.learn(pattern, channel)
        if (route === undefined) return
      }
      this.lastChannel = channel
      this.lastRoute = route
      if (pattern !== route.pattern) return
      this.process(route, message)
    } catch (err) {
      this.failed(err)
    }
  }

  /**
   * `handle` for the raw bytes Redis sent (ioredis `pmessageBuffer`), which are decoded only when
   * needed: a small flat ASCII object (nearly all traffic) is checked on its bytes and copied into
   * the ring's slab, so no string is built for it at all. Anything else is decoded exactly as
   * ioredis decodes for `pmessage` (UTF-8) and takes the string path, so every verdict, reason
   * and count is the one `handle` gives.
   */
  handleBytes(pattern: string, channel: Buffer, message: Buffer): void {
    try {
      const route = this.routeOfBytes(pattern, channel)
      if (route === undefined || pattern !== route.pattern) return
      if (route.kind === 'plain' && isFlatObjectBytes(message, this.flatMax)) {
        // ASCII, so its length is the string's length and its UTF-8 byte count: the same
        // rate, byte and size checks as the string path.
        const now = this.now()
        const len = message.length
        this.stats.hit(route.counter, now, len)
        if (len > this.maxBytes) return this.drop(route, 'oversized', now, message.toString())
        this.stats.accepted(route.counter)
        if (route.event) this.ring.pushBytes(route.channel, route.type, now, message)
        return
      }
      this.process(route, message.toString())
    } catch (err) {
      this.failed(err)
    }
  }

  private routeOfBytes(pattern: string, channel: Buffer): Route | undefined {
    const names = this.byteNames
    for (let k = 0; k < names.length; k++) {
      if (!sameBytes(names[k]!, channel)) continue
      const route = this.byteRoutes[k]!
      if (k > 0) {
        const own = names[k]!
        names[k] = names[k - 1]!
        this.byteRoutes[k] = this.byteRoutes[k - 1]!
        names[k - 1] = own
        this.byteRoutes[k - 1] = route
      }
      return route
    }
    const name = channel.toString()
    const route = this.routes.get(name) ?? this.learn(pattern, name)
    if (route === undefined) return undefined
    // A copy: the parser's buffer is reused for later replies.
    const own = new Uint8Array(channel)
    if (names.length < BYTE_ROUTES) {
      names.push(own)
      this.byteRoutes.push(route)
    } else {
      names[BYTE_ROUTES - 1] = own
      this.byteRoutes[BYTE_ROUTES - 1] = route
    }
    return route
  }

  private failed(err: unknown): void {
    // A bug in a handler must not take the subscriber down; count it and carry on.
    this.internalErrors++
    if (this.internalErrors <= 5) console.error('[bus] ingest failed:', err)
  }

  /** Everything after routing, for a message delivered on its owning pattern. */
  private process(route: Route, message: string): void {
    const now = this.now()
    const len = message.length
    this.stats.hit(route.counter, now, len)
    // UTF-8 bytes >= UTF-16 length, and <= 3x it: only measure when the answer is in doubt.
    if (len > this.maxBytes || (len * 3 > this.maxBytes && Buffer.byteLength(message) > this.maxBytes)) {
      return this.drop(route, 'oversized', now, message)
    }
    // Fast path for plain traffic (quotes, signals: nearly all of it): one native regexp test
    // proves a small flat object instead of building it; the ring parses it when read. It
    // accepts only what the full path below accepts (see flat-json.ts); anything it is not sure
    // of goes the full way, which gives the exact reason.
    if (route.kind === 'plain' && isFlatObject(message, this.flatMax)) {
      this.stats.accepted(route.counter)
      if (route.event) this.ring.pushText(route.channel, route.type, now, message, len)
      return
    }
    if (surelyNotJson(message)) return this.drop(route, 'not_json', now, message)
    let payload: unknown
    try {
      payload = JSON.parse(message)
    } catch {
      return this.drop(route, 'not_json', now, message)
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      return this.drop(route, 'not_object', now, message)
    }
    // Whatever is kept here is served again (REST, the WS batch, the regime key): it must
    // serialise, and say what the sender sent. Short messages without an exponent cannot
    // break any bound, so most quotes skip the walk (see mayBreakShape).
    if (len >= this.walkFrom || hasExponent(message)) {
      const bad = checkShape(payload, this.shape)
      if (bad !== null) return this.drop(route, bad.reason, now, message, bad.path)
    }
    if (route.kind !== 'plain' && !this.control(route, payload, now)) {
      return this.drop(route, 'bad_shape', now, message)
    }
    this.stats.accepted(route.counter)
    if (route.event) this.ring.push(route.channel, route.type, eventSource(payload), now, payload, len)
  }

  private drop(route: Route, reason: MalformedReason, now: number, message: string, path?: string): void {
    this.stats.malformed(route.counter, reason, now, message, path)
  }

  /** Validate and dispatch control traffic; false means the payload has the wrong shape. */
  private control(route: Route, payload: object, now: number): boolean {
    switch (route.kind) {
      case 'heartbeat':
        if (!isHeartbeat(payload)) return false
        this.registry.beat(payload, now)
        return true
      case 'regime':
        if (!isRegime(payload)) return false
        this.handlers.onRegime?.(payload, now)
        return true
      case 'killswitch-ack':
        if (!isKillswitchAck(payload)) return false
        this.handlers.onKillswitchAck?.(payload, now)
        return true
      case 'command-ack':
        if (!isCommandAck(payload)) return false
        this.handlers.onCommandAck?.(route.agentId, payload, now)
        return true
      case 'killswitch':
      case 'trading':
        this.handlers.onStateNotice?.(route.kind)
        return true
      default:
        return true
    }
  }

  private learn(pattern: string, channel: string): Route | undefined {
    // Redis delivers once per matching pattern; the first of OUR list that matches owns the channel.
    const owner = this.allPatterns.find((p) => p.re.test(channel))?.pattern ?? pattern
    const user = this.userPatterns.find((p) => p.re.test(channel))
    const kind = this.kindOf(channel)
    let agentId = ''
    if (kind === 'command-ack') {
      agentId = channel.slice(this.names.commandPrefix.length, channel.length - this.commandSuffix.length)
    }
    const type = user ? typeFor(user.pattern, channel) : 'control'
    if (this.routes.size >= this.maxRoutes) this.routes.clear()
    const route: Route = {
      channel,
      pattern: owner,
      kind: kind === 'command-ack' && !AGENT_ID_RE.test(agentId) ? 'plain' : kind,
      event: user !== undefined,
      type,
      counter: this.stats.counter(channel, type, this.now()),
      agentId,
    }
    this.routes.set(channel, route)
    return route
  }

  private kindOf(channel: string): ChannelKind {
    const n = this.names
    if (channel.startsWith(n.heartbeatPrefix)) return 'heartbeat'
    if (channel === n.regimeChannel) return 'regime'
    if (channel === n.killswitchChannel) return 'killswitch'
    if (channel === n.killswitchAckChannel) return 'killswitch-ack'
    if (channel === n.tradingChannel) return 'trading'
    if (channel.startsWith(n.commandPrefix) && channel.endsWith(this.commandSuffix)) return 'command-ack'
    return 'plain'
  }
}
