/**
 * Seeded bus payloads for the bus fuzz suite (electron/core/bus/bus-fuzz.int.test.ts). Every
 * message is built so that its fate is known by construction: accepted, or refused for exactly
 * one reason. The suite then checks the host's per-channel counters against these expectations,
 * so "the refusal counters add up to what was sent" is checked per channel and per reason.
 *
 * The oracle is deliberately independent of the ingest code: it knows the documented bounds
 * (64 KiB, 64 levels, 4,096 keys + items) and nothing else.
 */

export const MAX_BYTES = 64 * 1024
export const MAX_DEPTH = 64
export const MAX_ENTRIES = 4096

export type Outcome =
  | 'accepted'
  | 'oversized'
  | 'not_json'
  | 'not_object'
  | 'too_deep'
  | 'too_many_keys'
  | 'non_finite'
  | 'bad_shape'

export type ChannelKind = 'heartbeat' | 'regime' | 'killswitch-ack' | 'command-ack' | 'killswitch' | 'plain'

export interface FuzzChannel {
  channel: string
  kind: ChannelKind
  agentId?: string
}

export interface FuzzMessage {
  channel: string
  kind: ChannelKind
  /** What was published: a string, or raw bytes (invalid UTF-8). */
  data: string | Buffer
  expect: Outcome
  /** Generator that made it, for a readable failure. */
  gen: string
}

/** mulberry32: tiny, fast and good enough to make a run replayable from its seed. */
export function rng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1))
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!
  return { next, int, pick, bool: () => next() < 0.5 }
}
type Rng = ReturnType<typeof rng>

// Unicode junk: astral emoji, RTL, zero-width, combining marks, controls, lone surrogates (which
// JSON.stringify escapes, so they survive the trip through Redis as `\ud800`), quotes, NUL.
const JUNK = [
  'a',
  'Z',
  '0',
  ' ',
  '"',
  '\\',
  '/',
  '\u0000',
  '\u0007',
  '\n',
  '\u200b',
  '\u200f',
  '\u202e',
  '\u0301',
  '\ufeff',
  '\ud800',
  '\udfff',
  '\u{1f4a9}',
  '\u{1f1fa}\u{1f1f8}',
  'é',
  'ß',
  'Ж',
  '中',
  '🙂',
  '\u2028',
  '{',
  '[',
  '}',
]
function junk(r: Rng, max: number, min = 0): string {
  let s = ''
  const n = r.int(min, max)
  while ([...s].length < n) s += r.pick(JUNK)
  return s
}

/** Numbers that look dangerous but are finite (and so must be accepted). */
// 1e-400 underflows to 0 (written as a string: the literal would trip no-loss-of-precision).
const FINITE_EDGES = [0, -0, 1e308, -Number.MAX_VALUE, 5e-324, 2 ** 53, -(2 ** 53), 0.1, Number('1e-400')]

function finiteNumber(r: Rng): number {
  return r.bool() ? r.pick(FINITE_EDGES) : (r.next() - 0.5) * 10 ** r.int(0, 12)
}

/** A JSON value with finite numbers, small depth and few entries. */
function value(r: Rng, depth: number): unknown {
  const k = r.int(0, depth > 3 ? 3 : 5)
  switch (k) {
    case 0:
      return finiteNumber(r)
    case 1:
      return junk(r, 20)
    case 2:
      return r.pick([true, false, null])
    case 3:
      return r.int(-1000, 1000)
    case 4:
      return Array.from({ length: r.int(0, 4) }, () => value(r, depth + 1))
    default:
      return Object.fromEntries(Array.from({ length: r.int(0, 4) }, () => [junk(r, 8), value(r, depth + 1)]))
  }
}

function extras(r: Rng): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (let i = r.int(0, 3); i > 0; i--) out[`x_${junk(r, 6)}`] = value(r, 1)
  return out
}

/** A payload the channel's kind accepts. */
function validPayload(r: Rng, ch: FuzzChannel, agents: readonly string[]): Record<string, unknown> {
  switch (ch.kind) {
    case 'heartbeat':
      return {
        ...extras(r),
        agent_id: ch.agentId ?? r.pick(agents),
        name: junk(r, 40, 1),
        group: r.pick(['signals', 'execution', 'ingestion', 'orchestration', junk(r, 10)]),
        status: r.pick(['active', 'idle', junk(r, 20, 1)]),
        timestamp: r.bool()
          ? new Date(1_700_000_000_000 + r.int(0, 1e9)).toISOString()
          : r.pick([1.7e9, 1.7e12, 1e300, -5]),
        ...(r.bool() ? { step: r.pick([null, r.int(0, 1e6), 2 ** 53]) } : {}),
        ...(r.bool() ? { checkpoint_version: r.int(0, 50) } : {}),
      }
    case 'regime':
      return {
        ...extras(r),
        regime: junk(r, 30, 1),
        confidence: r.pick([0, 1, r.next()]),
        ...(r.bool() ? { at: r.pick([1.7e9, 'now']) } : {}),
      }
    case 'killswitch-ack':
      return { ...extras(r), agent_id: r.pick(agents), request_id: `fz-${r.int(0, 1e9)}` }
    case 'command-ack':
      return {
        ...extras(r),
        command_id: `fz-${r.int(0, 1e9)}`,
        ok: r.bool(),
        ...(r.bool() ? { message: junk(r, 100) } : {}),
      }
    case 'killswitch':
      return { ...extras(r), note: 'fuzz' }
    default:
      return { source: `fz-${r.int(0, 9)}`, ...(value(r, 0) as object), ...extras(r), v: value(r, 0) }
  }
}

/** Breaks the channel's schema without breaking any shape bound. */
function badShape(r: Rng, ch: FuzzChannel, agents: readonly string[]): Record<string, unknown> {
  const p = validPayload(r, ch, agents)
  const spoil: Record<ChannelKind, Array<() => void>> = {
    heartbeat: [
      () => delete p['agent_id'],
      () => (p['agent_id'] = 'bad id'),
      () => (p['step'] = -1),
      () => (p['status'] = ''),
      () => (p['name'] = 7),
    ],
    regime: [() => (p['confidence'] = 1.5), () => delete p['regime'], () => (p['confidence'] = '0.5')],
    'killswitch-ack': [() => delete p['request_id'], () => (p['agent_id'] = '')],
    'command-ack': [() => (p['ok'] = 'yes'), () => delete p['command_id']],
    killswitch: [],
    plain: [],
  }
  r.pick(spoil[ch.kind])()
  return p
}

const NON_FINITE_LITERALS = [
  '1e999',
  '-1e999',
  '1e400',
  '-2e308',
  `1${'0'.repeat(400)}`,
  '1.7976931348623159e308',
]
for (const lit of NON_FINITE_LITERALS) {
  if (Number.isFinite(JSON.parse(lit) as number)) throw new Error(`fuzz generator: ${lit} is finite`)
}

/** One message for `ch` with a fate known by construction. */
export function makeMessage(r: Rng, ch: FuzzChannel, agents: readonly string[]): FuzzMessage {
  const control = ch.kind !== 'plain' && ch.kind !== 'killswitch'
  const m = (data: string | Buffer, expect: Outcome, gen: string): FuzzMessage => ({
    channel: ch.channel,
    kind: ch.kind,
    data,
    expect,
    gen,
  })
  const roll = r.next()
  if (roll < 0.42) return m(JSON.stringify(validPayload(r, ch, agents)), 'accepted', 'valid')
  if (roll < 0.48 && control) return m(JSON.stringify(badShape(r, ch, agents)), 'bad_shape', 'bad-shape')
  if (roll < 0.56) {
    // Depth 65..8000 as arrays or objects, under the size limit (12 KB is the reported repro).
    // The outer object is level 1, so `levels` >= 64 nested values make 65+ levels: refused.
    const levels = r.int(MAX_DEPTH, 8000)
    const deep = r.bool()
      ? `${'['.repeat(levels)}${']'.repeat(levels)}`
      : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`
    const base = JSON.stringify(validPayload(r, ch, agents))
    return m(`${base.slice(0, -1)}${base.length > 2 ? ',' : ''}"deep":${deep}}`, 'too_deep', `deep-${levels}`)
  }
  if (roll < 0.61) {
    // Exactly at the depth bound: the outer object is level 1, then 63 arrays: accepted.
    const levels = MAX_DEPTH - 1
    const base = JSON.stringify(validPayload(r, ch, agents))
    return m(
      `${base.slice(0, -1)}${base.length > 2 ? ',' : ''}"deep":${'['.repeat(levels)}${']'.repeat(levels)}}`,
      'accepted',
      'depth-bound',
    )
  }
  if (roll < 0.67) {
    const n = r.int(MAX_ENTRIES + 1, 5000)
    const blob = r.bool()
      ? `{${Array.from({ length: n }, (_, i) => `"k${i}":0`).join(',')}}`
      : `[${new Array<string>(r.int(MAX_ENTRIES + 1, 20_000)).fill('0').join(',')}]`
    return m(`{"blob":${blob}}`, 'too_many_keys', 'many-keys')
  }
  if (roll < 0.69 && !control) {
    // One key plus 4,095 items: exactly 4,096 entries, accepted.
    return m(
      `{"blob":[${new Array<string>(MAX_ENTRIES - 1).fill('1').join(',')}]}`,
      'accepted',
      'entries-bound',
    )
  }
  if (roll < 0.77) {
    const base = validPayload(r, ch, agents)
    const field =
      control && ch.kind === 'heartbeat' && r.bool()
        ? 'step'
        : control && ch.kind === 'regime' && r.bool()
          ? 'confidence'
          : 'n'
    const marker = 424242.4242
    if (r.bool()) base[field] = marker
    else base[field] = { deeper: [1, marker] }
    const lit = r.pick(NON_FINITE_LITERALS)
    return m(JSON.stringify(base).replace(String(marker), lit), 'non_finite', `non-finite-${field}`)
  }
  if (roll < 0.83)
    return m(
      r.pick([
        'null',
        '[]',
        '[1,{"a":1}]',
        '"text"',
        '42',
        'true',
        '1e999',
        '-0',
        JSON.stringify(junk(r, 10)),
      ]),
      'not_object',
      'not-object',
    )
  if (roll < 0.91) {
    const text = JSON.stringify(validPayload(r, ch, agents))
    const candidates = [
      text.slice(0, r.int(0, text.length - 1)),
      '{"a":NaN}',
      '{"a":Infinity}',
      '{"a":-Infinity}',
      "{'a':1}",
      '{"a":1,}',
      '',
      `not json ${junk(r, 20)}`,
      '{"a":01}',
      '{"a":"\\x41"}',
    ]
    const candidate = r.pick(candidates)
    let parses = true
    try {
      JSON.parse(candidate)
    } catch {
      parses = false
    }
    if (!parses) return m(candidate, 'not_json', 'invalid-json')
    return m('{"a":', 'not_json', 'invalid-json')
  }
  if (roll < 0.94) {
    // Invalid UTF-8 before the JSON: the subscriber decodes it to U+FFFD, which no parser takes.
    const body = Buffer.from(JSON.stringify(validPayload(r, ch, agents)), 'utf8')
    return m(
      Buffer.concat([Buffer.from(r.pick([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xfe, 0xfe]])), body]),
      'not_json',
      'invalid-utf8',
    )
  }
  // Oversized: over 64 KiB in UTF-8 bytes, sometimes while under it in UTF-16 units.
  const multibyte = r.bool()
  const filler = multibyte
    ? '€'.repeat(r.int(21_900, 23_000))
    : 'x'.repeat(r.int(MAX_BYTES, MAX_BYTES + 5000))
  const text = JSON.stringify({ filler })
  if (Buffer.byteLength(text) <= MAX_BYTES)
    throw new Error('fuzz generator: oversized message is not oversized')
  return m(text, 'oversized', multibyte ? 'oversized-utf8' : 'oversized')
}
