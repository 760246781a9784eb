import type { BusEventT, EventsPageT } from '../api/contract/bus'

export interface EventRingOptions {
  /** Most events kept; the oldest is evicted first. */
  capacity?: number
  /** Approximate memory budget (sum of raw message lengths); keeps 10k x 64 KiB messages from eating 640 MB. */
  maxBytes?: number
  /** Id of the first event. Default: start time in ms x 1000, so a cursor from an earlier run is always older. */
  firstId?: number
}

export interface RingQuery {
  since?: number
  limit?: number
  type?: string
  source?: string
}

export const MAX_QUERY_LIMIT = 200

/** An event's source: the payload's `source`, else its `agent_id`, when a string. */
export function eventSource(payload: object): string | null {
  const p = payload as { source?: unknown; agent_id?: unknown }
  return typeof p.source === 'string' ? p.source : typeof p.agent_id === 'string' ? p.agent_id : null
}

/**
 * Bounded event buffer with a monotonically increasing cursor. Stored as parallel arrays
 * (struct-of-arrays) so a push allocates nothing: the hot ingest path only writes slots.
 * Event objects are materialised at read time, where the rate is human-scale.
 */
export class EventRing {
  readonly capacity: number
  readonly maxBytes: number
  private readonly channels: string[]
  private readonly types: string[]
  private readonly sources: Array<string | null>
  private readonly payloads: unknown[]
  /**
   * 1: the slot holds the payload's JSON text, checked at ingest (flat-json.ts) but not parsed yet;
   * its source is worked out when it is.
   */
  private readonly lazy: Uint8Array
  private readonly ts: Float64Array
  private readonly sizes: Float64Array
  private readonly baseId: number
  /** Oldest retained id; `firstId > lastId` means empty. */
  private head: number
  /**
   * Slots of head and of the next id (`id % capacity`), kept as small integers: ids are ~1.7e15,
   * past int32, so `%` on them is a floating-point remainder, too slow for every push.
   */
  private headSlot: number
  private nextSlot: number
  private tail: number
  private bytes = 0
  private evictedCount = 0

  constructor(opts: EventRingOptions = {}) {
    this.capacity = Math.max(1, Math.floor(opts.capacity ?? 10_000))
    this.maxBytes = Math.max(1, opts.maxBytes ?? 64 * 1024 * 1024)
    this.channels = new Array<string>(this.capacity)
    this.types = new Array<string>(this.capacity)
    this.sources = new Array<string | null>(this.capacity)
    this.payloads = new Array<unknown>(this.capacity)
    this.lazy = new Uint8Array(this.capacity)
    this.ts = new Float64Array(this.capacity)
    this.sizes = new Float64Array(this.capacity)
    this.baseId = Math.max(1, Math.floor(opts.firstId ?? Date.now() * 1000))
    this.head = this.baseId
    this.tail = this.baseId - 1
    this.headSlot = this.baseId % this.capacity
    this.nextSlot = this.headSlot
  }

  get firstId(): number {
    return this.head
  }
  /** Newest id, or firstId - 1 when nothing has arrived yet. */
  get lastId(): number {
    return this.tail
  }
  get size(): number {
    return this.tail - this.head + 1
  }
  get evicted(): number {
    return this.evictedCount
  }

  push(
    channel: string,
    type: string,
    source: string | null,
    ts: number,
    payload: unknown,
    size: number,
  ): number {
    const slot = this.claim(size)
    this.channels[slot] = channel
    this.types[slot] = type
    this.sources[slot] = source
    this.payloads[slot] = payload
    this.lazy[slot] = 0
    this.ts[slot] = ts
    this.sizes[slot] = size
    return this.tail
  }

  /**
   * Like push, with the payload as its JSON text. The caller promises `JSON.parse(text)` is an
   * object that breaks no shape bound (ingest checked it); the object and its source are built on
   * first read and kept. Bus rate is far above read rate: most events are never parsed here.
   */
  pushText(channel: string, type: string, ts: number, text: string, size: number): number {
    const slot = this.claim(size)
    this.channels[slot] = channel
    this.types[slot] = type
    this.sources[slot] = null
    this.payloads[slot] = text
    this.lazy[slot] = 1
    this.ts[slot] = ts
    this.sizes[slot] = size
    return this.tail
  }

  /** Evict what no longer fits, claim the next id (this.tail) and account for its bytes; returns its slot. */
  private claim(size: number): number {
    while (
      this.tail - this.head + 1 >= this.capacity ||
      (this.bytes + size > this.maxBytes && this.tail >= this.head)
    ) {
      this.evictOldest()
    }
    this.bytes += size
    this.tail++
    const slot = this.nextSlot
    this.nextSlot = slot + 1 === this.capacity ? 0 : slot + 1
    return slot
  }

  /** Parse a slot stored as text (once), and fill in its source. */
  private materialise(slot: number): void {
    if (this.lazy[slot] === 0) return
    let v: unknown
    try {
      v = JSON.parse(this.payloads[slot] as string)
    } catch {
      // Unreachable while ingest keeps its promise; the text itself is still the truest answer.
      v = this.payloads[slot]
    }
    this.payloads[slot] = v
    this.sources[slot] = typeof v === 'object' && v !== null ? eventSource(v) : null
    this.lazy[slot] = 0
  }

  private sourceAt(slot: number): string | null {
    this.materialise(slot)
    return this.sources[slot] ?? null
  }

  private evictOldest(): void {
    const slot = this.headSlot
    this.headSlot = slot + 1 === this.capacity ? 0 : slot + 1
    this.bytes -= this.sizes[slot] ?? 0
    this.payloads[slot] = undefined
    this.lazy[slot] = 0
    this.head++
    this.evictedCount++
  }

  private at(id: number): BusEventT {
    const slot = id % this.capacity
    this.materialise(slot)
    return {
      id,
      channel: this.channels[slot] ?? '',
      type: this.types[slot] ?? '',
      source: this.sources[slot] ?? null,
      ts: new Date(this.ts[slot] ?? 0).toISOString(),
      payload: this.payloads[slot],
    }
  }

  private matcher(q: RingQuery): ((slot: number) => boolean) | null {
    const { type, source } = q
    if (type === undefined && source === undefined) return null
    const dotted = type === undefined ? '' : `${type}.`
    return (slot) => {
      if (source !== undefined && this.sourceAt(slot) !== source) return false
      if (type !== undefined) {
        const ch = this.channels[slot] ?? ''
        if (this.types[slot] !== type && ch !== type && !ch.startsWith(dotted)) return false
      }
      return true
    }
  }

  /**
   * `since` given: events with id > since, oldest first; `nextCursor` is the last id examined, so
   * a filtered page never rescans what it already skipped. `since` absent: the newest `limit`.
   */
  query(q: RingQuery = {}): EventsPageT {
    const limit = Math.min(MAX_QUERY_LIMIT, Math.max(1, Math.floor(q.limit ?? 50)))
    const match = this.matcher(q)
    const events: BusEventT[] = []
    if (q.since === undefined) {
      for (let id = this.tail; id >= this.head && events.length < limit; id--) {
        if (!match || match(id % this.capacity)) events.push(this.at(id))
      }
      events.reverse()
      return { events, nextCursor: Math.max(this.tail, 0), dropped: 0 }
    }
    const since = Math.floor(q.since)
    // A cursor from before this run's first id cannot say what it missed of the older run;
    // report what this run evicted.
    const from = Math.max(since + 1, this.baseId)
    const dropped = Math.max(0, this.head - from)
    let scanned = Math.max(since, this.head - 1)
    for (let id = Math.max(since + 1, this.head); id <= this.tail && events.length < limit; id++) {
      scanned = id
      if (!match || match(id % this.capacity)) events.push(this.at(id))
    }
    return { events, nextCursor: Math.max(scanned, 0), dropped }
  }

  /** New events after `cursor` for the UI batcher: at most `max`, newest kept, with the count skipped. */
  after(cursor: number, max: number): { events: BusEventT[]; skipped: number } {
    const start = Math.max(cursor + 1, this.head)
    const available = this.tail - start + 1
    if (available <= 0) return { events: [], skipped: Math.max(0, this.head - (cursor + 1)) }
    const take = Math.min(max, available)
    const events: BusEventT[] = new Array<BusEventT>(take)
    const first = this.tail - take + 1
    for (let i = 0; i < take; i++) events[i] = this.at(first + i)
    return { events, skipped: first - (cursor + 1) }
  }

  stats(): {
    capacity: number
    size: number
    firstId: number
    lastId: number
    evicted: number
    bytes: number
  } {
    return {
      capacity: this.capacity,
      size: this.size,
      firstId: this.head,
      lastId: this.tail,
      evicted: this.evictedCount,
      bytes: this.bytes,
    }
  }
}
