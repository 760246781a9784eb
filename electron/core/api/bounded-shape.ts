/**
 * Bounds on the SHAPE of a parsed JSON value: nesting depth, number of entries, finite numbers.
 *
 * Why this exists: JSON.parse is iterative in V8 and happily builds a value nested 6,000 levels
 * deep from 12 KB of text, but JSON.stringify, structuredClone and every recursive consumer then
 * overflow the stack on it. One such value in a store poisons every reader of that store (REST
 * answered 500, a WS batch was dropped for every client). So both doors into the host check the
 * shape before keeping anything: the API dispatcher (inputs) and the bus ingest (messages).
 *
 * Everything here is iterative (it must not overflow itself) and depends on nothing else, so the
 * contract layer and the domains can both import it.
 */

/**
 * Deeper than any real input (a config value is a handful of levels). Without a bound, one small
 * body such as 5,000 nested `[` overflows the stack in structuredClone, JSON.stringify or a
 * recursive handler: a 500 over HTTP, and over WebSocket an unhandled rejection that ended the host.
 */
export const MAX_INPUT_DEPTH = 64

export type ShapeReason = 'too_deep' | 'too_many_keys' | 'non_finite'

export interface ShapeLimits {
  /** Most nested objects/arrays, the outermost counting as 1. */
  maxDepth: number
  /** Most object keys plus array elements in the whole value (memory: 64 KB of `[0,0,…]` is 32k slots). */
  maxEntries?: number
  /** Refuse NaN and ±Infinity (JSON.parse turns `1e999` into Infinity; JSON.stringify writes it back as null). */
  finiteOnly?: boolean
  /** Walk shared/cyclic objects once (IPC inputs can hold them; JSON.parse output cannot). */
  dedupe?: boolean
}

export interface ShapeViolation {
  reason: ShapeReason
  /** JSON pointer of the offending value ('' for the whole value), truncated for very deep ones. */
  path: string
  message: string
}

/** Longest pointer we spell out; a 6,000-level path is noise in a log line or an error body. */
const MAX_PATH_SEGMENTS = 12

/**
 * The first bound `value` breaks, or null. Hot path (every bus message): no allocation for
 * scalars, one small stack for containers; the path is only worked out once something fails.
 */
export function checkShape(value: unknown, limits: ShapeLimits): ShapeViolation | null {
  if (typeof value === 'number')
    return limits.finiteOnly && !Number.isFinite(value) ? nonFinite([], value) : null
  if (value === null || typeof value !== 'object') return null
  const fail = scan(value, limits)
  return fail === null ? null : locate(value, limits, fail)
}

/** True when `value` nests more than `max` objects/arrays. Iterative; shared or cyclic objects are walked once. */
export function exceedsDepth(value: unknown, max: number): boolean {
  return checkShape(value, { maxDepth: max, dedupe: true }) !== null
}

/**
 * Fast pass: only says WHICH bound broke. The stack is allocated only when a child container is
 * met, so a flat payload (most quotes and heartbeats) costs one key loop and no allocation.
 */
function scan(root: object, limits: ShapeLimits): ShapeReason | null {
  const maxDepth = limits.maxDepth
  const maxEntries = limits.maxEntries ?? Infinity
  const finiteOnly = limits.finiteOnly === true
  const seen = limits.dedupe ? new Set<object>() : null
  let values: object[] | null = null
  let depths: number[] | null = null
  let v: object = root
  let depth = 1
  let entries = 0
  for (;;) {
    if (seen === null || !seen.has(v)) {
      seen?.add(v)
      if (depth > maxDepth) return 'too_deep'
      if (Array.isArray(v)) {
        entries += v.length
        if (entries > maxEntries) return 'too_many_keys'
        for (let i = 0; i < v.length; i++) {
          const c: unknown = v[i]
          if (typeof c === 'object') {
            if (c !== null) {
              ;(values ??= []).push(c)
              ;(depths ??= []).push(depth + 1)
            }
          } else if (finiteOnly && typeof c === 'number' && !Number.isFinite(c)) return 'non_finite'
        }
      } else {
        for (const k in v) {
          if (++entries > maxEntries) return 'too_many_keys'
          const c: unknown = (v as Record<string, unknown>)[k]
          if (typeof c === 'object') {
            if (c !== null) {
              ;(values ??= []).push(c)
              ;(depths ??= []).push(depth + 1)
            }
          } else if (finiteOnly && typeof c === 'number' && !Number.isFinite(c)) return 'non_finite'
        }
      }
    }
    if (values === null || values.length === 0) return null
    v = values.pop() as object
    depth = (depths as number[]).pop() as number
  }
}

/** Slow pass, only after a failure: find where, with parent links, so the error names the field. */
function locate(root: object, limits: ShapeLimits, reason: ShapeReason): ShapeViolation {
  if (reason === 'too_many_keys') {
    return {
      reason,
      path: '',
      message: `holds more than ${limits.maxEntries ?? Infinity} keys and array items in all`,
    }
  }
  interface Frame {
    v: object
    depth: number
    parent: Frame | null
    key: string
  }
  const seen = new Set<object>()
  const stack: Frame[] = [{ v: root, depth: 1, parent: null, key: '' }]
  while (stack.length > 0) {
    const f = stack.pop() as Frame
    if (seen.has(f.v)) continue
    seen.add(f.v)
    if (reason === 'too_deep' && f.depth > limits.maxDepth) {
      return { reason, path: pointer(f), message: `is nested deeper than ${limits.maxDepth} levels` }
    }
    for (const [k, c] of Object.entries(f.v)) {
      if (c !== null && typeof c === 'object')
        stack.push({ v: c as object, depth: f.depth + 1, parent: f, key: k })
      else if (reason === 'non_finite' && typeof c === 'number' && !Number.isFinite(c)) {
        return nonFinite([...segments(f), k], c)
      }
    }
  }
  // Unreachable when scan() and this walk agree; still answer something that names the value.
  return {
    reason,
    path: '',
    message:
      reason === 'too_deep' ? `is nested deeper than ${limits.maxDepth} levels` : 'holds a non-finite number',
  }

  function segments(f: Frame): string[] {
    const out: string[] = []
    for (let p: Frame | null = f; p !== null && p.parent !== null; p = p.parent) out.push(p.key)
    return out.reverse()
  }
  function pointer(f: Frame): string {
    return toPointer(segments(f))
  }
}

function nonFinite(segs: string[], n: number): ShapeViolation {
  return {
    reason: 'non_finite',
    path: toPointer(segs),
    message: `must be a finite number (got ${describeNonFinite(n)})`,
  }
}

/** How a refusal spells a non-finite number: the TOML words, since that is where a trader meets them. */
export function describeNonFinite(n: number): string {
  return Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf'
}

export function toPointer(segs: readonly string[]): string {
  const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1')
  if (segs.length <= MAX_PATH_SEGMENTS) return segs.map((s) => `/${esc(s)}`).join('')
  const head = segs
    .slice(0, MAX_PATH_SEGMENTS)
    .map((s) => `/${esc(s)}`)
    .join('')
  return `${head}/…(${segs.length - MAX_PATH_SEGMENTS} more levels)`
}
