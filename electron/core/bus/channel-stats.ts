import { MALFORMED_REASONS, type ChannelStatT } from '../api/contract/bus'

export type MalformedReason = (typeof MALFORMED_REASONS)[number]

export interface ChannelStatsOptions {
  /** Distinct channels tracked; further channels share one '(other)' row so random names cannot grow memory. */
  maxChannels?: number
  /** Sliding window for msgs/s. */
  windowMs?: number
  bucketMs?: number
}

export const OVERFLOW_CHANNEL = '(other)'

/** Mutable per-channel counters; handed back to the ingest path so a hit is one Map lookup + increments. */
export interface ChannelCounter {
  readonly channel: string
  readonly type: string
  count: number
  malformed: number
  bytes: number
  lastAt: number
  /** Refusals of this channel by reason; null until the first one (most channels never see one). */
  reasons: Partial<Record<MalformedReason, number>> | null
  /** Index of the current bucket (time / bucketMs). */
  bucket: number
  readonly buckets: Uint32Array
}

/**
 * Per-channel message counts, malformed counts and rates over a sliding window of time buckets.
 * Rates count every received message (accepted or dropped): they describe load, not validity.
 */
export class ChannelStats {
  private readonly map = new Map<string, ChannelCounter>()
  private readonly maxChannels: number
  private readonly bucketMs: number
  private readonly nBuckets: number
  readonly malformedByReason = Object.fromEntries(MALFORMED_REASONS.map((r) => [r, 0])) as Record<
    MalformedReason,
    number
  >
  lastMalformed: {
    channel: string
    reason: MalformedReason
    at: number
    sample: string
    path?: string
  } | null = null
  totalAccepted = 0
  totalMalformed = 0

  constructor(opts: ChannelStatsOptions = {}) {
    this.maxChannels = Math.max(1, opts.maxChannels ?? 1000)
    this.bucketMs = Math.max(10, opts.bucketMs ?? 500)
    this.nBuckets = Math.max(2, Math.ceil((opts.windowMs ?? 5000) / this.bucketMs))
  }

  counter(channel: string, type: string, now: number): ChannelCounter {
    let c = this.map.get(channel)
    if (c !== undefined) return c
    if (this.map.size >= this.maxChannels) {
      c = this.map.get(OVERFLOW_CHANNEL)
      if (c !== undefined) return c
      channel = OVERFLOW_CHANNEL
      type = OVERFLOW_CHANNEL
    }
    c = {
      channel,
      type,
      count: 0,
      malformed: 0,
      bytes: 0,
      lastAt: 0,
      reasons: null,
      bucket: Math.floor(now / this.bucketMs),
      buckets: new Uint32Array(this.nBuckets),
    }
    this.map.set(channel, c)
    return c
  }

  /** Count one received message on `c`. Hot path: no allocation. */
  hit(c: ChannelCounter, now: number, bytes: number): void {
    const b = Math.floor(now / this.bucketMs)
    if (b !== c.bucket) this.advance(c, b)
    c.buckets[b % this.nBuckets]!++
    c.bytes += bytes
    c.lastAt = now
  }

  accepted(c: ChannelCounter): void {
    c.count++
    this.totalAccepted++
  }

  /** `path`: where in the payload a shape bound broke (JSON pointer), when known. */
  malformed(c: ChannelCounter, reason: MalformedReason, now: number, message: string, path?: string): void {
    c.malformed++
    const reasons = (c.reasons ??= {})
    reasons[reason] = (reasons[reason] ?? 0) + 1
    this.totalMalformed++
    this.malformedByReason[reason]++
    this.lastMalformed = { channel: c.channel, reason, at: now, sample: message.slice(0, 200) }
    if (path !== undefined) this.lastMalformed.path = path
  }

  private advance(c: ChannelCounter, b: number): void {
    if (b > c.bucket) {
      const steps = Math.min(b - c.bucket, this.nBuckets)
      for (let i = 1; i <= steps; i++) c.buckets[(c.bucket + i) % this.nBuckets] = 0
    } else {
      // The clock went backwards (injected clocks, NTP steps): start the window afresh.
      c.buckets.fill(0)
    }
    c.bucket = b
  }

  /** msgs/s over the window, counting the partial current bucket for the time it has run. */
  rate(c: ChannelCounter, now: number): number {
    const b = Math.floor(now / this.bucketMs)
    if (b !== c.bucket) this.advance(c, b)
    let sum = 0
    for (let i = 0; i < this.nBuckets; i++) sum += c.buckets[i]!
    const elapsed = (this.nBuckets - 1) * this.bucketMs + (now - b * this.bucketMs)
    return elapsed > 0 ? (sum * 1000) / elapsed : 0
  }

  snapshot(now: number): ChannelStatT[] {
    const out: ChannelStatT[] = []
    for (const c of this.map.values()) {
      out.push({
        channel: c.channel,
        type: c.type,
        count: c.count,
        malformed: c.malformed,
        rate: Math.round(this.rate(c, now) * 10) / 10,
        bytes: c.bytes,
        lastAt: c.lastAt ? new Date(c.lastAt).toISOString() : null,
        ...(c.reasons === null ? {} : { malformedByReason: { ...c.reasons } }),
      })
    }
    out.sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0))
    return out
  }

  totalRate(now: number): number {
    let r = 0
    for (const c of this.map.values()) r += this.rate(c, now)
    return Math.round(r * 10) / 10
  }

  get channelCount(): number {
    return this.map.size
  }
}
