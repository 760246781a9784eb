import type { BusEventT, EventsPageT } from '../api/contract/bus'
import { flatEventFields } from './flat-json-fields'
import { UNSERIALISABLE } from './wire-safe'

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

/** An event as the history store takes it: the payload as JSON text, never materialised. */
export interface RawRingEvent {
  id: number
  /** Epoch ms when it was received. */
  ts: number
  channel: string
  type: string
  source: string | null
  /** The payload's `agent_id`, when a string. */
  agent: string | null
  /** The payload's JSON text. */
  text: string
}

/** What a slot's payload holds (EventRing.lazy). */
const PARSED = 0
const TEXT = 1
const BYTES = 2
const EMPTY_SLAB = Buffer.alloc(0)
const MIN_SLAB = 64 * 1024

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
   * Not parsed yet (checked at ingest, flat-json.ts); the source is worked out when it is.
   * TEXT: the payload's JSON text is in `payloads`. BYTES: its ASCII bytes are in the slab.
   */
  private readonly lazy: Uint8Array
  /**
   * One buffer for the bytes of BYTES slots, used first in, first out like the ring itself, so
   * storing an event keeps no object per message alive for the garbage collector to trace and
   * promote (10k retained strings were most of ingest's GC cost). Allocated on first use, grown
   * (and compacted) when the live bytes do not fit; never more than a few times the live bytes.
   */
  private slab: Buffer = EMPTY_SLAB
  /** Where a slot's bytes end in the slab (start = end - size), -1: none. */
  private readonly slabEnds: Float64Array
  /** Start of the oldest live bytes and the next write: live data is [slabStart, slabWrite), wrapping. */
  private slabStart = 0
  private slabWrite = 0
  /** Slots holding slab bytes (materialised ones included, until evicted) and their total size. */
  private slabSlots = 0
  private slabBytes = 0
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
    this.slabEnds = new Float64Array(this.capacity).fill(-1)
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
    this.lazy[slot] = PARSED
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
    this.lazy[slot] = TEXT
    this.ts[slot] = ts
    this.sizes[slot] = size
    return this.tail
  }

  /**
   * Like pushText, with the text as ASCII bytes (ingest checked them, flat-json-bytes.ts). They
   * are copied at once: the caller's buffer belongs to the Redis parser, which reuses it.
   */
  pushBytes(channel: string, type: string, ts: number, bytes: Uint8Array): number {
    const size = bytes.length
    const slot = this.claim(size)
    this.channels[slot] = channel
    this.types[slot] = type
    this.sources[slot] = null
    this.payloads[slot] = undefined
    this.lazy[slot] = BYTES
    this.ts[slot] = ts
    this.sizes[slot] = size
    const end = this.slabPlace(slot, size)
    this.slab.set(bytes, end - size)
    return this.tail
  }

  /** Reserve `size` bytes for `slot` (already claimed, not yet counted) and return where they end. */
  private slabPlace(slot: number, size: number): number {
    if (this.slabSlots === 0) this.slabStart = this.slabWrite = 0
    let at = this.slabFit(size)
    if (at < 0) {
      this.slabRebuild(slot, size)
      at = this.slabWrite
    }
    this.slabWrite = at + size
    this.slabEnds[slot] = at + size
    this.slabSlots++
    this.slabBytes += size
    return at + size
  }

  /** Where `size` contiguous free bytes start, or -1. Strict `<` keeps a full slab apart from an empty one. */
  private slabFit(size: number): number {
    const { slabStart: start, slabWrite: write } = this
    if (write >= start) {
      if (write + size <= this.slab.length) return write
      return size < start ? 0 : -1
    }
    return write + size < start ? write : -1
  }

  /**
   * Copy the live bytes, oldest first, to the start of a new slab, and move the slots' offsets
   * with them. `pending` is the slot being stored, not yet counted. The slab never shrinks: its
   * size follows the largest live total seen, which the ring's maxBytes bounds.
   */
  private slabRebuild(pending: number, size: number): void {
    const need = this.slabBytes + size
    // Twice the live bytes: at least as much free as live after the copy, so the next rebuild is
    // as far away as this one's cost (amortised O(1) per byte); exactly twice, not the next power
    // of two, to keep a large ring's slab near its live size.
    const len = Math.max(MIN_SLAB, this.slab.length, 2 * need)
    const next = Buffer.allocUnsafeSlow(len)
    let write = 0
    for (let id = this.head; id <= this.tail; id++) {
      const slot = id % this.capacity
      const end = this.slabEnds[slot]!
      if (slot === pending || end < 0) continue
      const n = this.sizes[slot]!
      this.slab.copy(next, write, end - n, end)
      write += n
      this.slabEnds[slot] = write
    }
    this.slab = next
    this.slabStart = 0
    this.slabWrite = write
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

  /** Parse a slot stored as text or bytes (once), and fill in its source. */
  private materialise(slot: number): void {
    const lazy = this.lazy[slot]
    if (lazy === PARSED) return
    let text: string
    if (lazy === BYTES) {
      const end = this.slabEnds[slot]!
      // ASCII (ingest checked): latin1 is the UTF-8 decode, without the validation.
      text = this.slab.toString('latin1', end - this.sizes[slot]!, end)
    } else text = this.payloads[slot] as string
    let v: unknown
    try {
      v = JSON.parse(text)
    } catch {
      // Unreachable while ingest keeps its promise; the text itself is still the truest answer.
      v = text
    }
    this.payloads[slot] = v
    this.sources[slot] = typeof v === 'object' && v !== null ? eventSource(v) : null
    this.lazy[slot] = PARSED
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
    this.lazy[slot] = PARSED
    const end = this.slabEnds[slot]!
    if (end >= 0) {
      this.slabEnds[slot] = -1
      this.slabSlots--
      this.slabBytes -= this.sizes[slot]!
      this.slabStart = end
    }
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

  /**
   * Up to `max` events after `cursor`, oldest first, for the history writer, which reads every
   * event at bus rate. Unlike query(), nothing is materialised: a lazy slot's text is handed over
   * as stored and its source and agent are read off the flat text, so keeping history adds no
   * parsed object per event to the ring (nor to the garbage collector's work). `missed` counts the
   * events after `cursor` this run evicted before they were read.
   */
  rawAfter(cursor: number, max: number): { events: RawRingEvent[]; next: number; missed: number } {
    const since = Math.floor(cursor)
    const from = Math.max(since + 1, this.baseId)
    const missed = Math.max(0, this.head - from)
    const start = Math.max(since + 1, this.head)
    const end = Math.min(this.tail, start + Math.max(0, Math.floor(max)) - 1)
    const events: RawRingEvent[] = []
    for (let id = start; id <= end; id++) events.push(this.rawAt(id))
    return { events, next: Math.max(end, since, this.head - 1, 0), missed }
  }

  private rawAt(id: number): RawRingEvent {
    const slot = id % this.capacity
    const lazy = this.lazy[slot]
    let text: string
    let source: string | null
    let agent: string | null
    if (lazy === PARSED) {
      const v = this.payloads[slot]
      source = this.sources[slot] ?? null
      agent = typeof v === 'object' && v !== null && typeof (v as { agent_id?: unknown }).agent_id === 'string' ? (v as { agent_id: string }).agent_id : null
      text = rawText(v)
    } else {
      if (lazy === BYTES) {
        const end = this.slabEnds[slot]!
        // ASCII (ingest checked): latin1 is the UTF-8 decode, without the validation.
        text = this.slab.toString('latin1', end - this.sizes[slot]!, end)
      } else text = this.payloads[slot] as string
      const f = flatEventFields(text)
      source = f.source
      agent = f.agent
    }
    return { id, ts: this.ts[slot] ?? 0, channel: this.channels[slot] ?? '', type: this.types[slot] ?? '', source, agent, text }
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

/** A materialised payload's JSON text; one that cannot be written out is stored as a note saying so. */
function rawText(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'null'
  } catch (err) {
    return JSON.stringify({ [UNSERIALISABLE]: String((err as Error).message ?? err).slice(0, 200) })
  }
}
