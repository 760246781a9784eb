import { createHash } from 'node:crypto'

/**
 * What the audit log keeps of an operation's input: a short, redacted summary a person can read,
 * and a sha256 of the whole redacted input that identifies the exact call (e.g. which config
 * text was sent) without storing it. Secrets never reach either.
 */

const SECRET_KEY = /token|secret|passw|authorization|api[-_]?key|credential|private[-_]?key|cookie/i
const MAX_STRING = 200
const MAX_ITEMS = 20
const MAX_DEPTH = 4

export const REDACTED = '[redacted]'

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

/** Copy of `value` with every secret-looking key's value replaced; structure kept. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 32) return '[too deep]'
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value))
      out[k] = SECRET_KEY.test(k) ? REDACTED : redactSecrets(v, depth + 1)
    return out
  }
  return value
}

/** JSON with object keys sorted, so equal inputs hash equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined && typeof v !== 'function')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  if (typeof value === 'bigint') return JSON.stringify(value.toString())
  return JSON.stringify(value) ?? 'null'
}

/** Long strings (config text) become their length and hash; big arrays and deep objects are cut. */
function shorten(value: unknown, depth: number): unknown {
  if (typeof value === 'string') {
    return value.length <= MAX_STRING
      ? value
      : `[${value.length} chars, sha256 ${sha256Hex(value).slice(0, 16)}]`
  }
  if (Array.isArray(value)) {
    const head = value.slice(0, MAX_ITEMS).map((v) => shorten(v, depth + 1))
    return value.length > MAX_ITEMS ? [...head, `[${value.length - MAX_ITEMS} more]`] : head
  }
  if (value && typeof value === 'object') {
    if (depth >= MAX_DEPTH) return '[\u2026]'
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = shorten(v, depth + 1)
    return out
  }
  return value
}

export interface InputDigest {
  summary: unknown
  sha256: string
}

export function digestInput(input: unknown): InputDigest {
  const redacted = redactSecrets(input ?? {})
  return { summary: shorten(redacted, 0), sha256: sha256Hex(canonicalJson(redacted)) }
}
