import type { EventRecord } from './event-store'

/** Where the writer reads new events: the bus's ring, read by cursor without waiting on anything. */
export interface EventFeed {
  /**
   * Up to `max` events after `cursor`, oldest first; `next` is the cursor to read from next time, and
   * `missed` counts events the feed no longer had (the ring evicted them before we read them).
   */
  readAfter(cursor: number, max: number): { events: EventRecord[]; next: number; missed: number }
  /** The newest cursor now: where a writer starting fresh begins (history starts when Stackdeck does). */
  head(): number
}

export interface EventSink {
  append(events: readonly EventRecord[]): Promise<number>
}

export interface HistoryWriterOptions {
  feed: EventFeed
  sink: EventSink
  /** Which events to keep (settings.store.channels); all when absent. */
  keep?: (e: EventRecord) => boolean
  /** How often new events are read and written: the store's lag in the normal case. ≤ 250 ms. */
  flushEveryMs?: number
  /** Events per INSERT. */
  maxBatch?: number
  /** Events held while the database is unreachable or slow; beyond it the oldest are dropped (counted). */
  maxBuffered?: number
  /** First and longest wait between attempts while the database is unreachable. */
  retryMinMs?: number
  retryMaxMs?: number
  now?: () => number
  onChange?: (s: HistoryStatus) => void
}

export interface HistoryStatus {
  state: 'writing' | 'paused' | 'stopped'
  /** Why writing is paused (the database's error), while it is. */
  reason: string | null
  since: string | null
  written: number
  buffered: number
  /** Dropped from the store only (the live view had them): the ring evicted them before the writer read them, or the buffer overflowed. */
  dropped: { evicted: number; overflow: number }
  /** Age of the oldest event not yet written, ms; 0 when caught up. */
  lagMs: number
  lastWriteAt: string | null
}

/**
 * Moves bus events from the ring into the store in batches, off the live path: the ingest never
 * waits on it, and the ring stays what the live UI reads. It pulls every `flushEveryMs`, so the
 * cost on the hot path is nil; when the database is down it keeps pulling into a bounded buffer,
 * says "paused (reason)", retries with backoff and catches up. What it could not keep is counted,
 * never silently lost. A batch whose INSERT committed but whose answer was lost with the connection
 * is sent again on retry, and the store's unique (host, bus_id) index keeps it from being stored twice.
 */
export class HistoryWriter {
  private readonly o: Required<Omit<HistoryWriterOptions, 'keep' | 'onChange'>> & Pick<HistoryWriterOptions, 'keep' | 'onChange'>
  private cursor = 0
  private buffer: EventRecord[] = []
  private timer: ReturnType<typeof setTimeout> | null = null
  private writing: Promise<void> | null = null
  private retryAt = 0
  private retryMs: number
  private st: HistoryStatus = { state: 'stopped', reason: null, since: null, written: 0, buffered: 0, dropped: { evicted: 0, overflow: 0 }, lagMs: 0, lastWriteAt: null }

  constructor(opts: HistoryWriterOptions) {
    this.o = {
      flushEveryMs: 200,
      maxBatch: 5000,
      maxBuffered: 200_000,
      retryMinMs: 500,
      retryMaxMs: 15_000,
      now: Date.now,
      ...opts,
    }
    this.retryMs = this.o.retryMinMs
  }

  start(): void {
    if (this.st.state !== 'stopped') return
    this.cursor = this.o.feed.head()
    this.set({ state: 'writing', reason: null, since: null })
    this.arm()
  }

  /** Stop the timer and write what is buffered, within `timeoutMs`; what is left is reported. */
  async stop(timeoutMs = 2000): Promise<HistoryStatus> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (this.st.state === 'stopped') return this.status()
    this.pull()
    const deadline = this.o.now() + timeoutMs
    while (this.buffer.length > 0 && this.o.now() < deadline && this.st.state === 'writing') {
      if (this.writing) await this.writing
      else await this.write()
    }
    if (this.writing) await this.writing
    this.set({ state: 'stopped' })
    return this.status()
  }

  status(): HistoryStatus {
    const oldest = this.buffer[0]
    return { ...this.st, dropped: { ...this.st.dropped }, buffered: this.buffer.length, lagMs: oldest ? Math.max(0, this.o.now() - oldest.receivedAt) : 0 }
  }

  /** One pull and, when due, one write. Exposed so tests can drive the writer without waiting. */
  async tick(): Promise<void> {
    this.pull()
    if (!this.writing && this.buffer.length > 0 && this.o.now() >= this.retryAt) await this.write()
    else if (this.writing) await this.writing
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      // Pull on every tick, a write in flight or not: the ring keeps filling during a slow INSERT,
      // and only what sits in the buffer (maxBuffered) is safe from the ring's eviction. Waiting
      // for the write first made the 10k-event ring the real buffer whenever the database lagged.
      this.pull()
      if (!this.writing && this.buffer.length > 0 && this.o.now() >= this.retryAt) void this.write()
      if (this.st.state !== 'stopped') this.arm()
    }, this.o.flushEveryMs)
    this.timer.unref?.()
  }

  private pull(): void {
    for (;;) {
      const r = this.o.feed.readAfter(this.cursor, this.o.maxBatch)
      this.cursor = r.next
      if (r.missed > 0) this.st.dropped.evicted += r.missed
      for (const e of r.events) if (!this.o.keep || this.o.keep(e)) this.buffer.push(e)
      // A feed may answer in pages smaller than asked for: read until it has nothing new.
      if (r.events.length === 0) break
    }
    const over = this.buffer.length - this.o.maxBuffered
    if (over > 0) {
      this.buffer.splice(0, over)
      this.st.dropped.overflow += over
    }
  }

  private write(): Promise<void> {
    const run = async () => {
      // Catch up in batches; each batch leaves the buffer only once it is stored.
      while (this.buffer.length > 0) {
        const batch = this.buffer.slice(0, this.o.maxBatch)
        try {
          await this.o.sink.append(batch)
        } catch (err) {
          this.retryAt = this.o.now() + this.retryMs
          this.retryMs = Math.min(this.o.retryMaxMs, this.retryMs * 2)
          if (this.st.state !== 'paused') this.set({ state: 'paused', reason: (err as Error).message, since: new Date(this.o.now()).toISOString() })
          else this.st.reason = (err as Error).message
          return
        }
        // The buffer may have been trimmed by an overflow while we awaited: drop what we wrote by identity.
        const idx = this.buffer.indexOf(batch[batch.length - 1]!)
        this.buffer.splice(0, idx >= 0 ? idx + 1 : 0)
        this.st.written += batch.length
        this.st.lastWriteAt = new Date(this.o.now()).toISOString()
        this.retryMs = this.o.retryMinMs
        this.retryAt = 0
        if (this.st.state === 'paused') this.set({ state: 'writing', reason: null, since: null })
        this.pull()
      }
    }
    this.writing = run()
      // append() failures are handled above; anything else (a bug) pauses writing with its reason
      // rather than surfacing as an unhandled rejection on a timer.
      .catch((err: unknown) => {
        this.retryAt = this.o.now() + this.retryMs
        this.set({ state: 'paused', reason: err instanceof Error ? err.message : String(err), since: new Date(this.o.now()).toISOString() })
      })
      .finally(() => {
        this.writing = null
      })
    return this.writing
  }

  private set(patch: Partial<HistoryStatus>): void {
    Object.assign(this.st, patch)
    this.o.onChange?.(this.status())
  }
}
