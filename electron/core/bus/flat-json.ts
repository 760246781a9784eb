/**
 * Ingest fast path for the bulk of bus traffic (quotes, signals): a small FLAT JSON object.
 *
 * One native regular-expression test proves that the text is a JSON object that JSON.parse
 * accepts, whose values are all strings, finite numbers, booleans or null: so it is one level
 * deep, holds a handful of keys, and has no number that could parse to ±Infinity. The event ring
 * then keeps the text and builds the object (and its `source`) only when someone reads it (REST,
 * the UI batch), at human or batch rate instead of bus rate.
 *
 * One-sided on purpose: `true` is a promise, `false` only means "not sure", and the caller takes
 * the full path (JSON.parse + checkShape), which gives the exact verdict and reason. Whatever is
 * unusual is left to that path: nesting, escape sequences, numbers with an exponent or more than
 * 300 integer digits, texts longer than `maxLength`.
 */

const W = '[ \\t\\n\\r]*'
/** A string without escapes or control characters (JSON forbids raw U+0000-U+001F in strings). */
const STR = '"[^"\\\\\\u0000-\\u001f]*"'
/** No exponent and at most 300 integer digits: finite (overflow to Infinity needs 309). */
const NUM = '-?(?:0|[1-9][0-9]{0,299})(?:\\.[0-9]+)?(?![eE0-9.])'
const VAL = `(?:${STR}|${NUM}|true|false|null)`
const PAIR = `${STR}${W}:${W}${VAL}`
/**
 * Each step has one way forward (a quote, a digit, a comma…), so a failing text is refused in
 * linear time; the length cap bounds it anyway.
 */
const FLAT_OBJECT = new RegExp(`^${W}\\{${W}(?:${PAIR}${W}(?:,${W}${PAIR}${W})*)?\\}${W}$`)

export interface FlatLimits {
  maxDepth: number
  maxEntries: number
}

/**
 * Longest text the fast path takes under these limits, 0 to turn it off. A member needs at least
 * 5 characters (`"":0,`), so a text of up to 2 x maxEntries characters cannot hold more entries
 * than the bound; a flat object is depth 1.
 */
export function flatMaxLength(limits: FlatLimits): number {
  if (limits.maxDepth < 1 || limits.maxEntries < 8) return 0
  return Math.min(4096, 2 * limits.maxEntries)
}

/** True only when `JSON.parse(text)` is a flat object within the limits `maxLength` came from. */
export function isFlatObject(text: string, maxLength: number): boolean {
  return text.length <= maxLength && FLAT_OBJECT.test(text)
}

/**
 * True when `text` cannot be JSON at all, judged by its first character, so the caller can count it
 * as not_json without a JSON.parse that throws (a thrown error costs microseconds). Only sure
 * answers: whitespace first, or a prefix of a value, leaves it to JSON.parse.
 */
export function surelyNotJson(text: string): boolean {
  const c = text.charCodeAt(0)
  // { [ " - 0-9 and whitespace: JSON.parse decides.
  if (c === 123 || c === 91 || c === 34 || c === 45 || (c >= 48 && c <= 57)) return false
  if (c === 32 || c === 9 || c === 10 || c === 13) return false
  if (c === 110) return !text.startsWith('null')
  if (c === 116) return !text.startsWith('true')
  if (c === 102) return !text.startsWith('false')
  return true
}
