import { CoreError } from '../errors'
import type { AgentRow, AgentTransition, EventStore, StateRecord } from './event-store'
import { HistoryWriter, type EventFeed, type HistoryStatus } from './history-writer'
import { globToRegExp } from '../shared/channel-glob'
import { openEventStore, type StoreLocation } from './open-store'
import type { SqlEngine } from './sql-engine'

export interface RetentionSettings {
  maxAgeDays: number
  maxBytes: number
  /** Warn once the events use this share of maxBytes. */
  warnAtPercent: number
}

export interface HistoryServiceOptions {
  location: StoreLocation
  feed: EventFeed
  /** Channel globs to keep; empty keeps every event the bus receives. */
  channels: readonly string[]
  retention: RetentionSettings
  notify: (n: { level: 'warning' | 'critical'; title: string; message: string }) => void
  log: (m: string) => void
  onChange?: (s: HistoryServiceStatus) => void
  retentionEveryMs?: number
  reopenEveryMs?: number
}

export interface HistoryServiceStatus {
  engine: 'pglite' | 'postgres'
  /** opening: not open yet; unavailable: cannot open (reason), retried; writing / paused: see HistoryStatus. */
  state: 'opening' | 'unavailable' | HistoryStatus['state']
  reason: string | null
  since: string | null
  written: number
  buffered: number
  dropped: HistoryStatus['dropped']
  lagMs: number
  lastWriteAt: string | null
  disk: { bytes: number | null; limit: number; percent: number | null }
  events: number | null
  oldest: string | null
  retentionDropped: number
}

const MAX_PENDING_STATE = 10_000

/**
 * The history store as the rest of the core sees it: opened in the background (a first start of the
 * embedded engine takes seconds, and PostgreSQL may be down), fed from the bus's ring by the writer,
 * kept within its retention, and queried by the doors. Nothing the trader does waits on it: while it
 * cannot write, the live view and every control still work, and its status says why.
 */
export class HistoryService {
  private store: EventStore | null = null
  private engine: SqlEngine | null = null
  private writer: HistoryWriter | null = null
  private timers: Array<ReturnType<typeof setTimeout>> = []
  private stopped = false
  private openError: string | null = null
  private openSince: string | null = null
  private pendingState: StateRecord[] = []
  private pendingTransitions: AgentTransition[] = []
  /** Latest row per agent: a heartbeat every second needs one upsert per flush, not one per beat. */
  private pendingAgents = new Map<string, AgentRow>()
  private diskBytes: number | null = null
  private eventCount: number | null = null
  private oldest: string | null = null
  private retentionDropped = 0
  private warned = false
  private readonly keep: ((channel: string) => boolean) | null

  constructor(private readonly o: HistoryServiceOptions) {
    const res = o.channels.map(globToRegExp)
    this.keep = res.length ? (ch) => res.some((r) => r.test(ch)) : null
  }

  start(): void {
    void this.open()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.timers.forEach((t) => clearTimeout(t))
    this.timers = []
    await this.writer?.stop().catch(() => undefined)
    await this.flushState().catch(() => undefined)
    await this.engine?.close().catch(() => undefined)
  }

  status(): HistoryServiceStatus {
    const w = this.writer?.status()
    const limit = this.o.retention.maxBytes
    return {
      engine: this.o.location.url ? 'postgres' : 'pglite',
      state: w ? w.state : this.openError ? 'unavailable' : 'opening',
      reason: w ? w.reason : this.openError,
      since: w ? w.since : this.openSince,
      written: w?.written ?? 0,
      buffered: w?.buffered ?? 0,
      dropped: w?.dropped ?? { evicted: 0, overflow: 0 },
      lagMs: w?.lagMs ?? 0,
      lastWriteAt: w?.lastWriteAt ?? null,
      disk: { bytes: this.diskBytes, limit, percent: this.diskBytes === null ? null : Math.round((this.diskBytes / limit) * 1000) / 10 },
      events: this.eventCount,
      oldest: this.oldest,
      retentionDropped: this.retentionDropped,
    }
  }

  recordState(recs: StateRecord[]): void {
    this.pendingState.push(...recs)
    if (this.pendingState.length > MAX_PENDING_STATE) this.pendingState.splice(0, this.pendingState.length - MAX_PENDING_STATE)
  }

  recordTransitions(ts: AgentTransition[]): void {
    this.pendingTransitions.push(...ts)
    if (this.pendingTransitions.length > MAX_PENDING_STATE) this.pendingTransitions.splice(0, this.pendingTransitions.length - MAX_PENDING_STATE)
  }

  recordAgents(rows: AgentRow[]): void {
    for (const r of rows) {
      this.pendingAgents.delete(r.id)
      this.pendingAgents.set(r.id, r)
    }
    // Bounded like the rest: the oldest-updated agents give way first.
    for (const id of this.pendingAgents.keys()) {
      if (this.pendingAgents.size <= MAX_PENDING_STATE) break
      this.pendingAgents.delete(id)
    }
  }

  /** The open store, or a clear refusal naming why history cannot answer now. */
  ready(): EventStore {
    if (this.store) return this.store
    throw new CoreError('unavailable', this.openError ? `history is unavailable: ${this.openError}` : 'history is still opening; try again in a few seconds')
  }

  private async open(): Promise<void> {
    if (this.stopped) return
    try {
      const { store, engine, migrated } = await openEventStore(this.o.location)
      if (this.stopped) {
        await engine.close()
        return
      }
      this.store = store
      this.engine = engine
      this.openError = null
      if (migrated.from !== migrated.to) this.o.log(`history: schema ${migrated.from} -> ${migrated.to} (${engine.kind})`)
      this.writer = new HistoryWriter({
        feed: this.o.feed,
        sink: store,
        ...(this.keep ? { keep: (e) => this.keep!(e.channel) } : {}),
        onChange: () => this.o.onChange?.(this.status()),
      })
      this.writer.start()
      this.every(this.o.retentionEveryMs ?? 60_000, () => this.retain())
      // State rows are few; a second's delay is fine, and a failure keeps them for the next try.
      this.every(1000, () => this.flushState())
      await this.retain()
      this.o.onChange?.(this.status())
    } catch (err) {
      const msg = (err as Error).message
      if (this.openError !== msg) this.o.log(`history: cannot open the store: ${msg}`)
      this.openError = msg
      this.openSince ??= new Date().toISOString()
      this.o.onChange?.(this.status())
      const t = setTimeout(() => void this.open(), this.o.reopenEveryMs ?? 10_000)
      t.unref?.()
      this.timers.push(t)
    }
  }

  private every(ms: number, fn: () => Promise<void>): void {
    const run = () => {
      const t = setTimeout(() => {
        void fn()
          .catch(() => undefined)
          .finally(() => {
            if (!this.stopped) run()
          })
      }, ms)
      t.unref?.()
      this.timers.push(t)
    }
    run()
  }

  private async flushState(): Promise<void> {
    const store = this.store
    if (!store) return
    if (this.pendingTransitions.length) {
      const batch = this.pendingTransitions.splice(0)
      await store.recordTransitions(batch).catch((err: unknown) => {
        this.pendingTransitions.unshift(...batch)
        throw err
      })
    }
    if (this.pendingAgents.size) {
      const batch = [...this.pendingAgents.values()]
      this.pendingAgents.clear()
      await store.upsertAgents(batch).catch((err: unknown) => {
        // Newer rows that arrived meanwhile win over the failed batch's.
        for (const r of batch) if (!this.pendingAgents.has(r.id)) this.pendingAgents.set(r.id, r)
        throw err
      })
    }
    if (this.pendingState.length) {
      const batch = this.pendingState.splice(0)
      await store.recordState(batch).catch((err: unknown) => {
        this.pendingState.unshift(...batch)
        throw err
      })
    }
  }

  /** Retention, then the disk figures; warns once when the events near their limit. */
  private async retain(): Promise<void> {
    const store = this.store
    if (!store) return
    const r = this.o.retention
    const { dropped } = await store.enforceRetention({ maxAgeMs: r.maxAgeDays * 86_400_000, maxBytes: r.maxBytes })
    this.retentionDropped += dropped
    const s = await store.stats()
    this.diskBytes = s.diskBytes
    this.eventCount = s.events
    this.oldest = s.oldest
    const near = s.diskBytes >= (r.maxBytes * r.warnAtPercent) / 100
    if (near && !this.warned) {
      this.o.notify({
        level: 'warning',
        title: 'History store nearing its size limit',
        message: `The stored events take ${(s.diskBytes / 1048576).toFixed(1)} MiB of ${(r.maxBytes / 1048576).toFixed(0)} MiB (store.retention.maxBytes). The oldest events are dropped first to stay within it.`,
      })
    }
    this.warned = near
    this.o.onChange?.(this.status())
  }
}
