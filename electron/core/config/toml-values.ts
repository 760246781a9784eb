/**
 * TOML values as smol-toml parses them ("raw": TomlDate objects, null-prototype tables) and as the
 * rest of Stackdeck sees them ("plain": JSON-like, every date/time turned into a string).
 *
 * Date/time decision (documented in schemas/config.schema.json too): before schema validation every
 * TOML date/time value becomes the string a person would write for it, without a zero fraction:
 *   local time      09:30:00          -> "09:30:00"   (a quoted "09:30" stays "09:30")
 *   local date      2025-12-24        -> "2025-12-24"
 *   local datetime  2025-12-24T13:00  -> "2025-12-24T13:00:00"
 *   offset datetime ...-05:00 / Z     -> "2025-12-24T13:00:00-05:00" (offset as authored)
 * So schema patterns for clock times accept both HH:MM and HH:MM:SS.
 */
import { parse, TomlDate, TomlError } from 'smol-toml'
import { CoreError } from '../errors'

export type RawTable = Record<string, unknown>
export type PlainValue = string | number | boolean | PlainValue[] | { [k: string]: PlainValue }
export type PlainTable = { [k: string]: PlainValue }
export type DateKind = 'time' | 'date' | 'local-datetime' | 'offset-datetime'

// One save parses the same two texts several times (load, patch, verify, validate, diff, the
// writer's last check): remember the last few. Callers treat the returned tables as read-only.
const memo = new Map<string, RawTable>()
const MEMO_SIZE = 4

/** Parses TOML text; a syntax error becomes CoreError('parse_error') locating it as `file:line:col`. */
export function parseToml(text: string, fileLabel = 'config.toml'): RawTable {
  const hit = memo.get(text)
  if (hit) return hit
  try {
    const raw = parse(text) as RawTable
    memo.set(text, raw)
    if (memo.size > MEMO_SIZE) memo.delete(memo.keys().next().value as string)
    return raw
  } catch (err) {
    if (err instanceof TomlError) {
      // smol-toml's message is "Invalid TOML document: <reason>\n\n<code block>"; keep the reason only.
      const reason = (err.message.split('\n')[0] ?? err.message).replace(/^Invalid TOML document:\s*/, '')
      const where = `${fileLabel}:${err.line}:${err.column}`
      throw new CoreError('parse_error', `${where}: ${reason}`, {
        path: where,
        details: [{ line: err.line, column: err.column, message: reason, path: where }],
        cause: err,
      })
    }
    throw new CoreError('parse_error', `${fileLabel}: ${(err as Error).message}`, { path: fileLabel, cause: err })
  }
}

export const isTable = (v: unknown): v is RawTable =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)

export function dateKind(d: TomlDate): DateKind {
  if (d.isTime()) return 'time'
  if (d.isDate()) return 'date'
  return d.isLocal() ? 'local-datetime' : 'offset-datetime'
}

/** The TOML source form of a date/time, which is also its plain string (zero fractions dropped). */
export function dateToString(d: Date): string {
  const iso = d.toISOString()
  return iso.replace(/\.0+(?=$|Z|z|[+-]\d{2}:\d{2}$)/, '')
}

const DATE_FORMS: Record<DateKind, RegExp> = {
  time: /^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  'local-datetime': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/,
  'offset-datetime': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/,
}

/**
 * A string typed in the form for a field that the file holds as an unquoted date/time: when it is
 * a valid value of the same kind we keep the TOML type (so `start = 09:30:00` stays unquoted).
 * TOML 1.0 needs seconds, so "10:00" is written as 10:00:00.
 */
export function stringToDate(s: string, kind: DateKind): TomlDate | null {
  if (!DATE_FORMS[kind].test(s)) return null
  let src = s
  if (kind === 'time' && src.length === 5) src += ':00'
  if ((kind === 'local-datetime' || kind === 'offset-datetime') && /^.{10}[Tt ]\d{2}:\d{2}(?!:)/.test(src)) {
    src = `${src.slice(0, 16)}:00${src.slice(16)}`
  }
  const d = new TomlDate(src)
  if (!d.isValid() || Number.isNaN(d.getTime()) || dateKind(d) !== kind) return null
  // Reject rollovers such as 2025-02-30 that Date would silently move to March.
  if ((kind === 'date' || kind.endsWith('datetime')) && dateToString(d).slice(0, 10) !== src.slice(0, 10)) return null
  return d
}

/** Raw (parsed) value -> plain JSON-like value. Non-finite floats stay numbers (see contract notes). */
export function toPlain(v: unknown): PlainValue {
  if (v instanceof Date) return dateToString(v)
  if (Array.isArray(v)) return v.map(toPlain)
  if (isTable(v)) {
    const out: PlainTable = {}
    for (const [k, x] of Object.entries(v)) defineKey(out, k, toPlain(x))
    return out
  }
  if (typeof v === 'bigint') return Number(v)
  return v as PlainValue
}

/** Sets an own key even when it is `__proto__`, which plain assignment would treat as the prototype. */
export function defineKey(obj: object, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
  else (obj as Record<string, unknown>)[key] = value
}

/** Structural equality over raw TOML values: dates by kind and text, NaN equals NaN, 0 equals -0. */
export function tomlEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b)
  if (a instanceof Date || b instanceof Date) {
    if (!(a instanceof Date) || !(b instanceof Date)) return false
    const ka = a instanceof TomlDate ? dateKind(a) : 'offset-datetime'
    const kb = b instanceof TomlDate ? dateKind(b) : 'offset-datetime'
    return ka === kb && dateToString(a) === dateToString(b)
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((x, i) => tomlEqual(x, b[i]))
  }
  if (isTable(a) && isTable(b)) {
    const ka = Object.keys(a)
    if (ka.length !== Object.keys(b).length) return false
    return ka.every((k) => Object.hasOwn(b, k) && tomlEqual(a[k], b[k]))
  }
  return false
}

export type Path = Array<string | number>

export function toPointer(path: Path): string {
  return path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('')
}

export function fromPointer(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return []
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/**
 * Rebuild the raw value the user means from a plain value (what the form sends) and the raw value
 * in the file now. Leaves equal to the file's plain form keep their raw object, so untouched date
 * values keep their TOML type and unchanged leaves compare equal by identity; unchanged tables and
 * arrays are `current`'s own objects (read-only, like every parseToml result).
 *
 * JSON has no NaN/Infinity: over HTTP a `nan`/`inf` float arrives as null. null at a place where the
 * file holds a non-finite float means "unchanged"; anywhere else it is an error (TOML has no null).
 */
export function fromPlain(next: unknown, current: unknown, path: Path = []): unknown {
  if (next === null || next === undefined) {
    if (typeof current === 'number' && !Number.isFinite(current)) return current
    const at = toPointer(path)
    throw new CoreError('invalid_input', `${at || '/'}: TOML has no null value`, {
      path: at,
      details: [{ path: at, message: 'TOML has no null value; remove the key instead' }],
    })
  }
  if (typeof next === 'string') {
    if (current instanceof TomlDate) {
      if (dateToString(current) === next) return current
      return stringToDate(next, dateKind(current)) ?? next
    }
    return next
  }
  if (typeof next === 'number' || typeof next === 'boolean') {
    return tomlEqual(next, current) ? current : next
  }
  // `path` is one shared array, pushed and popped: copying it per node cost more than the walk.
  // A container whose every element comes back identical IS `current` again, and nothing is
  // allocated for it: a form edit changes a few leaves, so the intended document shares all but
  // the changed paths with the parsed file, and the diff that follows skips shared subtrees by
  // identity. (Building a fresh null-prototype object per table cost more than a full parse.)
  if (Array.isArray(next)) {
    const cur = Array.isArray(current) ? current : []
    let out: unknown[] | null = Array.isArray(current) && current.length === next.length ? null : []
    for (let i = 0; i < next.length; i++) {
      path.push(i)
      const v = fromPlain(next[i], cur[i], path)
      path.pop()
      if (out === null && Object.is(v, cur[i])) continue
      out ??= cur.slice(0, i)
      out.push(v)
    }
    return out ?? current
  }
  if (typeof next === 'object') {
    if (next instanceof Date) return next
    const cur = isTable(current) ? current : {}
    const keys = Object.keys(next)
    const curKeys = isTable(current) ? Object.keys(current) : null
    // Same keys in the same order so far, every value identical: still `current`.
    let out: RawTable | null = curKeys !== null && curKeys.length === keys.length ? null : (Object.create(null) as RawTable)
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string
      const c = Object.hasOwn(cur, k) ? cur[k] : undefined
      path.push(k)
      const v = fromPlain((next as Record<string, unknown>)[k], c, path)
      path.pop()
      if (out === null && curKeys?.[i] === k && Object.is(v, c)) continue
      if (out === null) {
        out = Object.create(null) as RawTable
        for (let j = 0; j < i; j++) defineKey(out, keys[j] as string, cur[keys[j] as string])
      }
      defineKey(out, k, v)
    }
    return out ?? current
  }
  throw new CoreError('invalid_input', `${toPointer(path) || '/'}: unsupported value of type ${typeof next}`, {
    path: toPointer(path),
  })
}
