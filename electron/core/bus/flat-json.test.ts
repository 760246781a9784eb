import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkShape, MAX_INPUT_DEPTH } from '../api/bounded-shape'
import { EventRing } from './event-ring'
import { flatMaxLength, isFlatObject, surelyNotJson } from './flat-json'
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

/** The fast path may only say yes where the full path says yes. */
function sound(text: string): void {
  if (isFlatObject(text, MAX)) expect(fullVerdict(text), text).toBe('ok')
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
    ]) {
      expect(isFlatObject(t, MAX), t).toBe(false)
      sound(t)
    }
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
