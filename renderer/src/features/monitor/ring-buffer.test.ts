import { describe, expect, it } from 'vitest'
import { RingBuffer } from './ring-buffer'

describe('RingBuffer', () => {
  it('keeps the newest `capacity` items in order and counts evictions in `start`', () => {
    const r = new RingBuffer<number>(3)
    for (let i = 0; i < 5; i++) r.push(i)
    expect(r.toArray()).toEqual([2, 3, 4])
    expect(r.size).toBe(3)
    expect(r.start).toBe(2)
    expect(r.end).toBe(5)
    expect(r.at(0)).toBe(2)
    expect(r.last()).toBe(4)
    expect(r.at(3)).toBeUndefined()
    expect(r.at(-1)).toBeUndefined()
  })

  it('pushAll of more than capacity keeps the tail and advances start as if each had been pushed', () => {
    const a = new RingBuffer<number>(4)
    const b = new RingBuffer<number>(4)
    a.push(100)
    b.push(100)
    const many = Array.from({ length: 11 }, (_, i) => i)
    a.pushAll(many)
    for (const x of many) b.push(x)
    expect(a.toArray()).toEqual(b.toArray())
    expect(a.toArray()).toEqual([7, 8, 9, 10])
    expect(a.start).toBe(b.start)
    expect(a.end).toBe(12)
  })

  it('clear empties it but positions keep increasing', () => {
    const r = new RingBuffer<string>(2)
    r.pushAll(['a', 'b', 'c'])
    r.clear()
    expect(r.size).toBe(0)
    expect(r.start).toBe(3)
    r.push('d')
    expect(r.toArray()).toEqual(['d'])
    expect(r.end).toBe(4)
  })

  it('refuses a zero capacity', () => {
    expect(() => new RingBuffer(0)).toThrow()
  })
})
