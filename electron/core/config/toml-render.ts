/**
 * TOML source for a value, keeping the style of the source it replaces where we can (quote kind,
 * digit grouping, radix, float-ness). Shared by the in-place edit and the structural splice.
 */
import { TomlDate } from 'smol-toml'
import { dateToString, isTable } from './toml-values'

const BARE = /^[A-Za-z0-9_-]+$/
// Characters TOML forbids raw in basic strings beyond what JSON.stringify escapes.
const needsEscape = /[\u007f]/g

function basicString(s: string): string {
  return JSON.stringify(s).replace(
    needsEscape,
    (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  )
}

export function renderKey(k: string): string {
  return BARE.test(k) ? k : basicString(k)
}

function renderNumber(n: number, old: string | undefined): string {
  if (Number.isNaN(n)) return 'nan'
  if (n === Infinity) return old?.startsWith('+') ? '+inf' : 'inf'
  if (n === -Infinity) return '-inf'
  const o = old?.trim().replace(/_/g, '')
  if (o && Number.isSafeInteger(n) && n >= 0) {
    const radix = /^0x/i.test(o) ? 16 : /^0o/i.test(o) ? 8 : /^0b/i.test(o) ? 2 : 10
    if (radix !== 10) {
      const digits = n.toString(radix)
      return o.slice(0, 2) + (/[A-F]/.test(o.slice(2)) ? digits.toUpperCase() : digits)
    }
  }
  // Keep a float a float: `max_daily_loss = 2500.0` edited to 3000 must not become an integer.
  const oldIsFloat = o !== undefined && !/^0[xob]/i.test(o) && /[.eE]|inf|nan/.test(o)
  // `max_position = 5_000` edited to 6000 reads best as 6_000.
  const grouped = old !== undefined && /^[+-]?\d{1,3}(_\d{3})+(\.|$)/.test(old.trim())
  let s = Number.isInteger(n) && Math.abs(n) < 1e21 ? (oldIsFloat ? `${n}.0` : String(n)) : String(n)
  if (grouped && /^-?\d+(\.\d+)?$/.test(s))
    s = s.replace(
      /^(-?)(\d+)/,
      (_m, sign: string, int: string) => sign + int.replace(/\B(?=(\d{3})+$)/g, '_'),
    )
  return s
}

/** TOML source for a value; `old` is the source it replaces, whose style we keep where we can. */
export function renderValue(v: unknown, old?: string): string | null {
  if (typeof v === 'string') {
    // eslint-disable-next-line no-control-regex -- control characters are exactly what a literal string cannot hold
    const literalOk = old?.startsWith("'") && !old.startsWith("'''") && !/['\u0000-\u001f\u007f]/.test(v)
    return literalOk ? `'${v}'` : basicString(v)
  }
  if (typeof v === 'number') return renderNumber(v, old)
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (v instanceof TomlDate) return dateToString(v)
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString()
  if (Array.isArray(v)) {
    const items = v.map((x) => renderValue(x))
    if (items.some((x) => x === null)) return null
    return `[${items.join(', ')}]`
  }
  if (isTable(v)) {
    const parts: string[] = []
    for (const [k, x] of Object.entries(v)) {
      const r = renderValue(x)
      if (r === null) return null
      parts.push(`${renderKey(k)} = ${r}`)
    }
    return parts.length ? `{ ${parts.join(', ')} }` : '{}'
  }
  return null
}
