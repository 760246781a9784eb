import type {
  AgentCommandT,
  AgentT,
  AgentTotalsT,
  BusEventT,
  BusUpdateT,
  ChannelStatT,
  ConnectionInfoT,
  KillswitchStateT,
  RegimeViewT,
  TradingStateT,
} from '../api/contract/bus'
import { wireSafeUpdate, type Repairs } from './wire-safe'

/** What a batch is made of; BusClient provides it (`bus.batchSource()`), tests can fake it. */
export interface BatchSource {
  now(): number
  revs(): { connection: number; killswitch: number; regime: number; trading: number }
  takeAgents(now: number): { agents: AgentT[]; removed: string[] }
  totals(now: number): AgentTotalsT
  lastEventId(): number
  eventsAfter(cursor: number, max: number): { events: BusEventT[]; skipped: number }
  rates(now: number): { total: number; channels: ChannelStatT[] }
  connection(): ConnectionInfoT
  killswitch(): KillswitchStateT
  regime(now: number): RegimeViewT
  trading(): TradingStateT
  takeCommands(): AgentCommandT[]
}

export interface BusUpdateBatcherOptions {
  /** One batch per interval at most; 16-50 ms keeps the UI at frame rate without flooding IPC. */
  intervalMs?: number
  maxEventsPerBatch?: number
  /** Rates are sent this often even when nothing else changed, so they visibly decay to zero. */
  ratesEveryMs?: number
  emit: (update: BusUpdateT) => void
}

/**
 * Coalesces everything that changed on the bus since the last batch into ONE payload: changed
 * agents, new events (newest `maxEventsPerBatch`, with a count of those left out), rates on their
 * own cadence, and connection/killswitch/regime/trading/commands only when they changed.
 * Quiet intervals emit nothing.
 */
export class BusUpdateBatcher {
  private timer: NodeJS.Timeout | null = null
  private cursor: number
  private seq = 0
  private lastRatesAt = 0
  private revs: ReturnType<BatchSource['revs']>
  private readonly intervalMs: number
  private readonly maxEvents: number
  private readonly ratesEveryMs: number
  /** Parts of batches replaced because they could not be serialised (see wire-safe.ts). */
  readonly repairs: Repairs = { count: 0, last: null }

  constructor(
    private readonly src: BatchSource,
    private readonly opts: BusUpdateBatcherOptions,
  ) {
    this.intervalMs = Math.max(4, opts.intervalMs ?? 33)
    this.maxEvents = Math.max(0, opts.maxEventsPerBatch ?? 200)
    this.ratesEveryMs = opts.ratesEveryMs ?? 1000
    this.cursor = src.lastEventId()
    this.revs = { connection: -1, killswitch: -1, regime: -1, trading: -1 }
  }

  start(): void {
    if (this.timer !== null) return
    this.timer = setInterval(() => {
      try {
        this.flush()
      } catch (err) {
        console.error('[bus] update batch failed:', err)
      }
    }, this.intervalMs)
    this.timer.unref?.()
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  /** Build and emit the batch now; returns it, or null when nothing changed. */
  flush(): BusUpdateT | null {
    const src = this.src
    const now = src.now()
    const { agents, removed } = src.takeAgents(now)
    const { events, skipped } = src.eventsAfter(this.cursor, this.maxEvents)
    this.cursor = Math.max(this.cursor, src.lastEventId())
    const revs = src.revs()
    const commands = src.takeCommands()
    const ratesDue = now - this.lastRatesAt >= this.ratesEveryMs
    const changed = {
      connection: revs.connection !== this.revs.connection,
      killswitch: revs.killswitch !== this.revs.killswitch,
      regime: revs.regime !== this.revs.regime,
      trading: revs.trading !== this.revs.trading,
    }
    this.revs = revs
    const quiet =
      agents.length === 0 &&
      removed.length === 0 &&
      events.length === 0 &&
      skipped === 0 &&
      commands.length === 0 &&
      !ratesDue &&
      !changed.connection &&
      !changed.killswitch &&
      !changed.regime &&
      !changed.trading
    if (quiet) return null
    const update: BusUpdateT = {
      seq: ++this.seq,
      at: new Date(now).toISOString(),
      agents,
      totals: src.totals(now),
      events,
      eventsSkipped: skipped,
      cursor: this.cursor,
    }
    if (removed.length > 0) update.removedAgents = removed
    if (ratesDue) {
      this.lastRatesAt = now
      update.rates = src.rates(now)
    }
    if (changed.connection) update.connection = src.connection()
    if (changed.killswitch) update.killswitch = src.killswitch()
    if (changed.regime) update.regime = src.regime(now)
    if (changed.trading) update.trading = src.trading()
    if (commands.length > 0) update.commands = commands
    // Every listener serialises the batch (WS JSON, IPC structured clone); one bad value must
    // not make that throw, or the whole batch is lost for every client.
    const before = this.repairs.count
    const safe = wireSafeUpdate(update, this.repairs)
    if (this.repairs.count !== before && before < 5)
      console.error(`[bus] batch ${safe.seq} repaired: ${this.repairs.last}`)
    this.opts.emit(safe)
    return safe
  }
}
