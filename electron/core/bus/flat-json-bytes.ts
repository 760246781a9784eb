/**
 * The flat-object fast path of flat-json.ts, run on the raw bytes Redis delivered, so the bulk of
 * the traffic is validated and stored without ever being decoded into a string (a string per
 * message, kept in the 10k-event ring, was most of ingest's garbage-collection cost).
 *
 * Same promise as `isFlatObject`, and stricter: `true` means the bytes are ASCII and the text
 * matches FLAT_OBJECT, so JSON.parse of it is a flat object with finite numbers; `false` only
 * means "not sure" and the caller decodes the text and takes the string path, which gives the
 * exact verdict. Any byte >= 0x80 is "not sure": for pure ASCII the UTF-8 decode is the identity
 * and byte length = string length, so everything measured here (length caps, byte counts) is
 * what the string path would measure.
 *
 * A hand-written scanner rather than a regexp: a regexp needs a string. Each step has one way
 * forward, so a text is judged in one pass.
 */

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a
const COMMA = 0x2c
const OPEN = 0x7b
const CLOSE = 0x7d
const MINUS = 0x2d
const DOT = 0x2e
const ZERO = 0x30
const NINE = 0x39

/** Most integer digits FLAT_OBJECT takes (`[1-9][0-9]{0,299}`): overflow to Infinity needs 309. */
const MAX_INT_DIGITS = 300

function skipWs(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = b[i]!
    // Above the space first: compact JSON has no whitespace, so this is the one test it pays.
    if (c > 0x20 || (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d)) break
    i++
  }
  return i
}

/**
 * End of the string whose opening quote is at `i` - 1 (after its closing quote), or -1: no escapes,
 * no control characters, ASCII only. The first test passes the common byte (printable ASCII,
 * neither quote nor backslash) on one range check.
 */
function stringEnd(b: Uint8Array, i: number, n: number): number {
  for (; i < n; i++) {
    const c = b[i]!
    if (c > QUOTE && c < 0x7f && c !== BACKSLASH) continue
    if (c === QUOTE) return i + 1
    if (c < 0x20 || c === BACKSLASH || c >= 0x80) return -1
  }
  return -1
}

/** `-?(?:0|[1-9][0-9]{0,299})(?:\.[0-9]+)?(?![eE0-9.])` at `i` (a minus or a digit): its end, or -1. */
function scanNumber(b: Uint8Array, i: number, n: number): number {
  let c = b[i]!
  if (c === MINUS) {
    if (++i >= n) return -1
    c = b[i]!
  }
  if (c === ZERO) i++
  else if (c > ZERO && c <= NINE) {
    const start = i
    for (i++; i < n; i++) {
      c = b[i]!
      if (c < ZERO || c > NINE) break
    }
    if (i - start > MAX_INT_DIGITS) return -1
  } else return -1
  if (i < n && b[i] === DOT) {
    const start = ++i
    for (; i < n; i++) {
      c = b[i]!
      if (c < ZERO || c > NINE) break
    }
    if (i === start) return -1
  }
  if (i < n) {
    c = b[i]!
    // The lookahead: an exponent, a leading-zero integer (`01`) or a second fraction is not ours.
    if (c === 0x65 || c === 0x45 || c === DOT || (c >= ZERO && c <= NINE)) return -1
  }
  return i
}

/**
 * `true`, `false` or `null` at `i`, told apart by their first byte: the end, or -1. Spelled out
 * byte by byte rather than looped over a table: this runs for every boolean on the bus.
 */
function scanWord(b: Uint8Array, i: number, n: number): number {
  const c = b[i]
  if (c === 0x74)
    return i + 4 <= n && b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65 ? i + 4 : -1
  if (c === 0x66)
    return i + 5 <= n && b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65
      ? i + 5
      : -1
  if (c === 0x6e)
    return i + 4 <= n && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c ? i + 4 : -1
  return -1
}

/**
 * True only when `bytes` is ASCII, at most `maxLength` long, and its text is what `isFlatObject`
 * accepts under the same `maxLength` (see flat-json.ts for what that promises).
 */
export function isFlatObjectBytes(bytes: Uint8Array, maxLength: number): boolean {
  const n = bytes.length
  if (n > maxLength) return false
  let i = skipWs(bytes, 0, n)
  if (i >= n || bytes[i] !== OPEN) return false
  i = skipWs(bytes, i + 1, n)
  if (i < n && bytes[i] === CLOSE) return skipWs(bytes, i + 1, n) === n
  for (;;) {
    // Dispatch on the first byte here, not in a scanValue helper: ~10% faster on quote ticks.
    if (i >= n || bytes[i] !== QUOTE) return false
    i = stringEnd(bytes, i + 1, n)
    if (i < 0) return false
    i = skipWs(bytes, i, n)
    if (i >= n || bytes[i] !== COLON) return false
    i = skipWs(bytes, i + 1, n)
    if (i >= n) return false
    const v = bytes[i]!
    if (v === QUOTE) i = stringEnd(bytes, i + 1, n)
    else if (v === MINUS || (v >= ZERO && v <= NINE)) i = scanNumber(bytes, i, n)
    else i = scanWord(bytes, i, n)
    if (i < 0) return false
    i = skipWs(bytes, i, n)
    if (i >= n) return false
    const c = bytes[i]
    if (c === CLOSE) return skipWs(bytes, i + 1, n) === n
    if (c !== COMMA) return false
    i = skipWs(bytes, i + 1, n)
  }
}
