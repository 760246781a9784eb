import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkShape, MAX_INPUT_DEPTH } from '../api/bounded-shape'
import { EventRing } from './event-ring'
import { flatMaxLength, isFlatObject, surelyNotJson } from './flat-json'
import { isFlatObjectBytes } from './flat-json-bytes'
import { DEFAULT_MAX_ENTRIES } from './ingest'

const LIMITS = { maxDepth: MAX_INPUT_DEPTH, maxEntries: DEFAULT_MAX_ENTRIES }
const MAX = flatMaxLength(LIMITS)

/** What the full ingest path says of a text: 'ok' when it would keep it. */
function fullVerdict(text: string): 'ok' | 'refused' {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return 'refused'
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'refused'
  return checkShape(v, { ...LIMITS, finiteOnly: true }) === null ? 'ok' : 'refused'
}

const isAscii = (t: string) => Buffer.byteLength(t) === t.length

/**
 * The fast path may only say yes where the full path says yes. The byte scanner only where the
 * regexp does, and for ASCII texts exactly where it does (it leaves the rest to the string path).
 */
function sound(text: string): void {
  const flat = isFlatObject(text, MAX)
  if (flat) expect(fullVerdict(text), text).toBe('ok')
  const bytes = isFlatObjectBytes(Buffer.from(text), MAX)
  if (isAscii(text)) expect(bytes, text).toBe(flat)
  else expect(bytes, text).toBe(false)
  if (surelyNotJson(text))
    expect(() => {
      JSON.parse(text)
    }, text).toThrow()
}

describe('flat-object fast path', () => {
  it('takes the common quote and signal shapes', () => {
    for (const t of [
      '{"symbol":"AAPL","bid":100.09,"ask":100.11,"ts":1700000000003,"source":"bench-quotes"}',
      '{ "a" : -0.5 , "b" : true, "c": null, "d": false, "e": "" }\n',
      '{}',
      ' {\t}\r\n',
    ]) {
      expect(isFlatObject(t, MAX), t).toBe(true)
      sound(t)
    }
  })

  it('leaves everything unusual to the full path', () => {
    for (const t of [
      '{"a":1e999}', // non-finite after parse
      '{"a":1e5}', // finite, but exponents are the full path's business
      `{"a":${'9'.repeat(400)}}`, // overflows to Infinity
      '{"a":{"b":1}}', // nested
      '{"a":[1,2]}',
      '{"a":"x\\"y"}', // escapes
      '{"sourc\\u0065":"x"}', // a key that decodes to `source`
      '{"a":"tab\there"}', // raw control character: JSON.parse refuses it
      '{"a":01}',
      '{"a":1.}',
      '{"a":.5}',
      '{"a":+1}',
      '{"a":1,}',
      '{,"a":1}',
      '{"a" 1}',
      '{"a":1}x',
      '{"a":1}{}',
      '[1]',
      '"x"',
      'null',
      '{"a":tru}',
      '{"a":undefined}',
      "{'a':1}",
      '{"a":NaN}',
      '{"a":Infinity}',
      '\u00a0{}', // not JSON whitespace
      '{"a":1',
      '{"a":1.5.2}',
      '{"a":-}',
      '{"a":-01}',
      '{"a":truex}',
      '{"a"}',
      '{"a":}',
      '{"a":"x"',
      '{"a":"x',
      '{"a":1}}',
      ' ',
      '',
    ]) {
      expect(isFlatObject(t, MAX), t).toBe(false)
      sound(t)
    }
  })

  it('the byte scanner leaves every non-ASCII text to the string path, even a flat one', () => {
    for (const t of ['{"s":"é"}', '{"s":"€"}', '{"s":"😀"}', '{"é":1}']) {
      expect(isFlatObject(t, MAX), t).toBe(true)
      expect(isFlatObjectBytes(Buffer.from(t), MAX), t).toBe(false)
    }
    // Bytes that are not UTF-8 at all.
    expect(isFlatObjectBytes(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), MAX)).toBe(false)
    expect(isFlatObjectBytes(Buffer.from(`{"a":${'9'.repeat(300)}}`), MAX)).toBe(true)
    expect(isFlatObjectBytes(Buffer.from(`{"a":${'9'.repeat(301)}}`), MAX)).toBe(false)
    expect(isFlatObjectBytes(Buffer.from('{"a":1}'), 6)).toBe(false)
  })

  it('takes nothing longer than the entry bound allows, and nothing when the bounds are tiny', () => {
    expect(MAX).toBeLessThanOrEqual(2 * DEFAULT_MAX_ENTRIES)
    expect(flatMaxLength({ maxDepth: 0, maxEntries: 4096 })).toBe(0)
    expect(flatMaxLength({ maxDepth: 64, maxEntries: 2 })).toBe(0)
    const many = `{${Array.from({ length: 3000 }, (_, i) => `"k${i}":1`).join(',')}}`
    expect(isFlatObject(many, MAX)).toBe(false)
    // A flat object within the cap can never break the entry bound.
    const small = flatMaxLength({ maxDepth: 64, maxEntries: 10 })
    const eleven = `{${Array.from({ length: 11 }, (_, i) => `"${i % 10}":0`).join(',')}}`
    expect(eleven.length).toBeGreaterThan(small)
    expect(isFlatObject(eleven, small)).toBe(false)
  })

  it('refuses quickly what cannot be JSON, and only that', () => {
    for (const t of ['not json 1', 'hello', '', 'nul', 'tru', 'fals', '<xml/>', 'undefined'])
      expect(surelyNotJson(t), t).toBe(true)
    for (const t of ['null', 'true', 'false', '{}', '[]', '"x"', '-1', '0', ' {}', '\n1', 'nullx'])
      expect(surelyNotJson(t), t).toBe(false)
  })

  it('never says yes where JSON.parse + checkShape says no (random JSON-ish texts)', () => {
    const atom = fc.oneof(
      fc.constantFrom('0', '-0', '1', '-1.5', '1e3', '1E+400', '01', '1.', '.5', 'true', 'false', 'null', 'nul'),
      fc.double().map((d) => String(d)),
      fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s)),
      fc.string({ maxLength: 6 }).map((s) => `"${s}"`),
      fc.constantFrom('{}', '[]', '{"x":1}', '"a\\u00"', '"\\q"'),
    )
    const key = fc.oneof(
      fc.string({ maxLength: 5 }).map((s) => JSON.stringify(s)),
      fc.constantFrom('"source"', '"agent_id"', "'k'", 'k', '"a\\"b"'),
    )
    const ws = fc.constantFrom('', ' ', '\t', '\n', '\r', '\u00a0', '\u2028')
    const member = fc.tuple(key, ws, fc.constantFrom(':', ': ', '', '=', '::'), atom, ws).map((p) => p.join(''))
    const text = fc
      .tuple(ws, fc.constantFrom('{', '[', '', '{{'), fc.array(member, { maxLength: 6 }), fc.constantFrom(',', ', ', ';', ',,'), fc.constantFrom('}', ']', '', '}}', '},'), ws)
      .map(([a, open, ms, sep, close, b]) => `${a}${open}${ms.join(sep)}${close}${b}`)
    fc.assert(fc.property(text, (t) => sound(t)), { numRuns: 5000 })
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (t) => sound(t)), { numRuns: 2000 })
    // Objects JSON.stringify writes, with the fast path's answer matching the full path's.
    const flat = fc.dictionary(
      fc.string({ maxLength: 8 }),
      fc.oneof(fc.string({ maxLength: 10 }), fc.double(), fc.integer(), fc.boolean(), fc.constant(null)),
      { maxKeys: 8 },
    )
    fc.assert(
      fc.property(flat, (o) => {
        const t = JSON.stringify(o)
        sound(t)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('events kept as text', () => {
  it('read back as the object JSON.parse builds, with the full path source rule, parsed once', () => {
    const ring = new EventRing({ firstId: 1, capacity: 10 })
    const texts = [
      '{"source":"q","bid":1}',
      '{"agent_id":"a1","x":1}',
      '{"source":5,"agent_id":"a2"}',
      '{"source":"first","source":"last"}',
      '{"source":"s","source":7,"agent_id":"a3"}',
      '{"x":"\\"source\\":\\"no\\""}',
    ]
    for (const t of texts) ring.pushText('c.x', 'c', 1_700_000_000_000, t, t.length)
    const page = ring.query({ since: 0, limit: 50 })
    expect(page.events.map((e) => e.payload)).toEqual(texts.map((t) => JSON.parse(t) as unknown))
    expect(page.events.map((e) => e.source)).toEqual(['q', 'a1', 'a2', 'last', 'a3', null])
    // The same object on the next read (parsed once, then kept).
    expect(ring.query({ since: 0, limit: 1 }).events[0]!.payload).toBe(page.events[0]!.payload)
  })

  it('filters by source before any read has parsed them', () => {
    const ring = new EventRing({ firstId: 1, capacity: 10 })
    ring.pushText('c.x', 'c', 1, '{"source":"a"}', 14)
    ring.pushText('c.x', 'c', 2, '{"source":"b"}', 14)
    ring.push('c.x', 'c', 'a', 3, { source: 'a' }, 14)
    expect(ring.query({ source: 'a' }).events.map((e) => e.id)).toEqual([1, 3])
    expect(ring.after(0, 10).events.map((e) => e.source)).toEqual(['a', 'b', 'a'])
  })
})

describe('events kept as bytes (the ring slab)', () => {
  const text = (i: number) => `{"source":"s${i % 7}","n":${i},"pad":"${'x'.repeat((i * 37) % 300)}"}`

  it('read back as JSON.parse builds them, through wrap-arounds, rebuilds and evictions', () => {
    const ring = new EventRing({ firstId: 1, capacity: 50 })
    const kept: string[] = []
    for (let i = 0; i < 5000; i++) {
      const t = text(i)
      // Mixed with the other two kinds of slot, which hold no slab bytes.
      if (i % 11 === 0) ring.push('c.x', 'c', `s${i % 7}`, i, JSON.parse(t) as unknown, t.length)
      else if (i % 13 === 0) ring.pushText('c.x', 'c', i, t, t.length)
      else ring.pushBytes('c.x', 'c', i, Buffer.from(t))
      kept.push(t)
      // Read some on the way, so materialised slots are in the slab too.
      if (i % 97 === 0) ring.query({ limit: 5 })
    }
    const page = ring.query({ since: 0, limit: 50 })
    expect(page.events.map((e) => e.payload)).toEqual(kept.slice(-50).map((t) => JSON.parse(t) as unknown))
    expect(page.events.map((e) => e.source)).toEqual(kept.slice(-50).map((_, k) => `s${(4950 + k) % 7}`))
    expect(ring.stats().size).toBe(50)
  })

  it('grows the slab when the live bytes outgrow it, moving every slot with them', () => {
    const ring = new EventRing({ firstId: 1, capacity: 400 })
    const big = (i: number) => `{"source":"b${i}","pad":"${'y'.repeat(500 + ((i * 131) % 3000))}"}`
    for (let i = 0; i < 2000; i++) {
      ring.pushBytes('c.x', 'c', i, Buffer.from(big(i)))
      if (i % 50 === 0) ring.query({ limit: 3 })
    }
    const events = ring.query({ since: 0, limit: 200 }).events
    expect(events).toHaveLength(200)
    for (const e of events) expect(e.payload).toEqual(JSON.parse(big(e.id - 1)))
    expect(ring.query({ limit: 1 }).events[0]!.source).toBe('b1999')
  })

  it('copies the bytes at once: the caller may reuse its buffer', () => {
    const ring = new EventRing({ firstId: 1, capacity: 10 })
    const buf = Buffer.from('{"source":"a"}')
    ring.pushBytes('c.x', 'c', 1, buf)
    buf.write('{"source":"b"}')
    ring.pushBytes('c.x', 'c', 2, buf)
    expect(ring.query({ since: 0 }).events.map((e) => e.source)).toEqual(['a', 'b'])
    expect(ring.query({ source: 'a' }).events.map((e) => e.id)).toEqual([1])
  })

  it('keeps the byte budget as for text', () => {
    const ring = new EventRing({ firstId: 1, capacity: 100, maxBytes: 1000 })
    for (let i = 0; i < 100; i++) ring.pushBytes('c.x', 'c', i, Buffer.from(text(i)))
    expect(ring.stats().bytes).toBeLessThanOrEqual(1000)
    const events = ring.query({ since: 0, limit: 200 }).events
    expect(events.at(-1)!.payload).toEqual(JSON.parse(text(99)))
    for (const e of events) expect(e.payload).toEqual(JSON.parse(text(e.id - 1)))
  })
})
