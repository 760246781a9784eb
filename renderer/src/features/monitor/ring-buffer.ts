/**
 * A bounded FIFO with absolute positions: item `start` is the oldest kept, `end - 1` the newest.
 * Pushing past capacity evicts the oldest, so a list view can tell how far its content slid
 * (`start` moved) and keep what the trader is reading in place.
 */
export class RingBuffer<T> {
  private readonly items: Array<T | undefined>
  private head = 0
  private count = 0
  /** Absolute index of the oldest kept item; grows by one per eviction. */
  start = 0

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error('RingBuffer capacity must be >= 1')
    this.items = new Array<T | undefined>(capacity)
  }

  get size(): number {
    return this.count
  }

  /** Absolute index one past the newest item. */
  get end(): number {
    return this.start + this.count
  }

  push(item: T): void {
    const at = (this.head + this.count) % this.capacity
    this.items[at] = item
    if (this.count < this.capacity) this.count++
    else {
      this.head = (this.head + 1) % this.capacity
      this.start++
    }
  }

  pushAll(items: readonly T[]): void {
    // Only the last `capacity` can survive; skip the rest rather than write and evict them.
    const from = Math.max(0, items.length - this.capacity)
    this.start += from
    for (let i = from; i < items.length; i++) this.push(items[i] as T)
  }

  /** i-th item counted from the oldest kept (0 <= i < size). */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined
    return this.items[(this.head + i) % this.capacity]
  }

  last(): T | undefined {
    return this.at(this.count - 1)
  }

  clear(): void {
    this.items.fill(undefined)
    this.start += this.count
    this.head = 0
    this.count = 0
  }

  toArray(): T[] {
    const out: T[] = []
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.head + i) % this.capacity] as T)
    return out
  }
}
