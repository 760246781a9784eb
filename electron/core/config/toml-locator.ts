/**
 * A minimal TOML scanner that finds WHERE things are, not what they mean: for every key/value line
 * the resolved key path and the character span of its value, and for every [table] / [[array]]
 * header its path and line. smol-toml gives no positions, and we need them twice: to point the UI at
 * the line of a schema error, and to edit a changed scalar in place (the fast path of toml-edit).
 *
 * It only runs on text that smol-toml already accepted, and every in-place edit is verified by a
 * full re-parse, so a wrong answer here can cost speed or a line number, never a wrong file.
 */
import type { Path } from './toml-values'
import { fromPointer } from './toml-values'

export interface KeyLocation {
  /** Resolved path, with array-of-tables indices: ['agents', 'list', 2, 'name']. */
  path: Path
  /** 1-based line and column of the key. */
  line: number
  column: number
  /** Offset of the key's first character (its statement's start). */
  start: number
  valueStart: number
  valueEnd: number
}

export interface HeaderLocation {
  path: Path
  line: number
  column: number
  /** Offset just past the closing bracket(s). */
  end: number
  /** Offset just past the last value of this header's section (its `end` when the section has none). */
  bodyEnd: number
}

export interface TomlLocations {
  keys: KeyLocation[]
  headers: HeaderLocation[]
  /** Offset just past the last value before the first header; null when there is none. */
  rootBodyEnd: number | null
}

/**
 * A path as one string, for set lookups. A key holding an escaped NUL could make two paths share an
 * id; that only lets an extra key through a filter (findKey still compares whole paths), never hides one.
 */
export const pathId = (path: readonly (string | number)[]): string => path.join('\u0000')

class ScanError extends Error {}

/** A-Z a-z 0-9 _ - (char-code test: this loop runs over every key of a 2,000-line file). */
function isBareKeyChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45
}

/**
 * Scans `text`. With `only`, records just the keys whose pathId is in it (headers always): an edit
 * needs a handful of keys, and building a path array per key of a 2,000-line file is most of a scan.
 */
export function locate(text: string, only?: ReadonlySet<string>): TomlLocations | null {
  try {
    return new Scanner(text, only).run()
  } catch (err) {
    if (err instanceof ScanError) return null
    throw err
  }
}

class Scanner {
  private i = 0
  private readonly keys: KeyLocation[] = []
  private readonly headers: HeaderLocation[] = []
  private readonly lineStarts: number[] = [0]
  /** Count of [[x]] elements seen per resolved array path (pathId). */
  private readonly aot = new Map<string, number>()
  private table: Path = []
  /** pathId(table) + NUL, '' for the root: the front of every key id in this section. */
  private keyPrefix = ''
  /** With `only`: can this section hold a wanted key at all? (Saves building ids nobody asked for.) */
  private sectionWanted = true
  private readonly onlyList: readonly string[] | null
  private section: HeaderLocation | null = null
  private rootBodyEnd: number | null = null

  constructor(
    private readonly s: string,
    private readonly only?: ReadonlySet<string>,
  ) {
    if (s.charCodeAt(0) === 0xfeff) this.i = 1
    this.onlyList = only ? [...only] : null
    // indexOf, not a char loop: the native search is several times faster on a 60 kB file.
    for (let k = s.indexOf('\n'); k >= 0; k = s.indexOf('\n', k + 1)) this.lineStarts.push(k + 1)
  }

  run(): TomlLocations {
    const s = this.s
    while (this.i < s.length) {
      this.skipWs()
      const c = s[this.i]
      if (c === undefined) break
      if (c === '\n' || c === '\r') {
        this.i++
        continue
      }
      if (c === '#') {
        this.skipComment()
        continue
      }
      const start = this.i
      if (c === '[') this.header(start)
      else this.keyValue(start)
      this.skipWs()
      if (s[this.i] === '#') this.skipComment()
      const end = s[this.i]
      if (end !== undefined && end !== '\n' && end !== '\r') throw new ScanError('junk after statement')
    }
    return { keys: this.keys, headers: this.headers, rootBodyEnd: this.rootBodyEnd }
  }

  private pos(at: number): { line: number; column: number } {
    let lo = 0
    let hi = this.lineStarts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((this.lineStarts[mid] ?? 0) <= at) lo = mid
      else hi = mid - 1
    }
    return { line: lo + 1, column: at - (this.lineStarts[lo] ?? 0) + 1 }
  }

  private skipWs(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++
  }

  private skipComment(): void {
    const nl = this.s.indexOf('\n', this.i)
    this.i = nl < 0 ? this.s.length : nl
  }

  private header(start: number): void {
    const isArray = this.s[this.i + 1] === '['
    this.i += isArray ? 2 : 1
    this.skipWs()
    const keys = this.dottedKey()
    this.skipWs()
    if (this.s[this.i] !== ']' || (isArray && this.s[this.i + 1] !== ']')) throw new ScanError('bad header')
    this.i += isArray ? 2 : 1
    let path: Path
    if (isArray) {
      const parent = this.resolve(keys.slice(0, -1))
      const arrayPath = [...parent, keys[keys.length - 1] ?? '']
      const id = pathId(arrayPath)
      const n = (this.aot.get(id) ?? 0) + 1
      this.aot.set(id, n)
      path = [...arrayPath, n - 1]
    } else {
      path = this.resolve(keys)
    }
    this.table = path
    const id = pathId(path)
    this.keyPrefix = `${id}\u0000`
    // A wanted key may sit below this table through dotted keys, or be its direct child.
    this.sectionWanted = this.onlyList === null || this.onlyList.some((w) => w.startsWith(this.keyPrefix))
    this.section = { path, ...this.pos(start), end: this.i, bodyEnd: this.i }
    this.headers.push(this.section)
  }

  /** Maps header keys onto concrete paths: a segment naming an array of tables means its last element. */
  private resolve(keys: string[]): Path {
    const out: Path = []
    for (const k of keys) {
      out.push(k)
      const n = this.aot.get(pathId(out))
      if (n !== undefined) out.push(n - 1)
    }
    return out
  }

  private keyValue(start: number): void {
    const keys = this.dottedKey()
    this.skipWs()
    if (this.s[this.i] !== '=') throw new ScanError('expected =')
    this.i++
    this.skipWs()
    const valueStart = this.i
    this.value(true)
    if (this.section) this.section.bodyEnd = this.i
    else this.rootBodyEnd = this.i
    if (this.only && !(this.sectionWanted && this.only.has(this.keyPrefix + pathId(keys)))) return
    this.keys.push({ path: [...this.table, ...keys], ...this.pos(start), start, valueStart, valueEnd: this.i })
  }

  private dottedKey(): string[] {
    const keys: string[] = []
    for (;;) {
      this.skipWs()
      keys.push(this.simpleKey())
      this.skipWs()
      if (this.s[this.i] !== '.') return keys
      this.i++
    }
  }

  private simpleKey(): string {
    const c = this.s[this.i]
    if (c === '"') {
      const raw = this.s.slice(this.i, this.basicString())
      try {
        return JSON.parse(raw) as string
      } catch {
        throw new ScanError('key escape outside JSON') // \e, \xHH, \UXXXXXXXX: rare in keys
      }
    }
    if (c === "'") {
      const from = this.i + 1
      return this.s.slice(from, this.literalString() - 1)
    }
    const from = this.i
    while (this.i < this.s.length && isBareKeyChar(this.s.charCodeAt(this.i))) this.i++
    if (this.i === from) throw new ScanError('empty key')
    return this.s.slice(from, this.i)
  }

  /** Advances past one value; `top` values end at the line's end, inner ones at , ] } too. */
  private value(top: boolean): void {
    const s = this.s
    const c = s[this.i]
    if (c === '"') {
      if (s.startsWith('"""', this.i)) this.multiline('"""')
      else this.basicString()
    } else if (c === "'") {
      if (s.startsWith("'''", this.i)) this.multiline("'''")
      else this.literalString()
    } else if (c === '[') {
      this.container(']', false)
    } else if (c === '{') {
      this.container('}', true)
    } else {
      const from = this.i
      for (; this.i < s.length; this.i++) {
        const ch = s.charCodeAt(this.i)
        // # \r \n end every bare value; inside containers , ] } do too.
        if (ch === 35 || ch === 13 || ch === 10) break
        if (!top && (ch === 44 || ch === 93 || ch === 125)) break
      }
      // Bare values never contain spaces except the date/time separator; trim what follows.
      while (this.i > from && (s[this.i - 1] === ' ' || s[this.i - 1] === '\t')) this.i--
      if (this.i === from) throw new ScanError('empty value')
    }
  }

  /** Returns the index just past the closing quote. */
  private basicString(): number {
    // Jump from one quote, backslash or newline to the next instead of stepping through the text.
    const stops = /["\\\n]/g
    stops.lastIndex = this.i + 1
    for (;;) {
      const m = stops.exec(this.s)
      if (!m) throw new ScanError('unterminated string')
      if (m[0] === '\n') throw new ScanError('newline in string')
      if (m[0] === '"') return (this.i = m.index + 1)
      stops.lastIndex = m.index + 2
    }
  }

  private literalString(): number {
    const end = this.s.indexOf("'", this.i + 1)
    const nl = this.s.indexOf('\n', this.i + 1)
    if (end < 0 || (nl >= 0 && nl < end)) throw new ScanError('unterminated literal')
    this.i = end + 1
    return this.i
  }

  private multiline(q: '"""' | "'''"): void {
    const s = this.s
    this.i += 3
    for (;;) {
      if (this.i >= s.length) throw new ScanError('unterminated multi-line string')
      if (q === '"""' && s[this.i] === '\\') {
        this.i += 2
        continue
      }
      if (s.startsWith(q, this.i)) {
        this.i += 3
        // Up to two quotes right before the delimiter belong to the content ("""a"""""").
        let extra = 0
        while (extra < 2 && s[this.i] === q[0]) {
          this.i++
          extra++
        }
        return
      }
      this.i++
    }
  }

  private container(close: ']' | '}', keyed: boolean): void {
    const s = this.s
    this.i++
    for (;;) {
      // Whitespace, newlines and comments may sit between elements (inline tables too, since TOML 1.1).
      for (;;) {
        const ch = s[this.i]
        if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === ',') this.i++
        else if (ch === '#') this.skipComment()
        else break
      }
      const ch = s[this.i]
      if (ch === undefined) throw new ScanError('unterminated container')
      if (ch === close) {
        this.i++
        return
      }
      if (keyed) {
        this.dottedKey()
        this.skipWs()
        if (s[this.i] !== '=') throw new ScanError('expected = in inline table')
        this.i++
        this.skipWs()
      }
      this.value(false)
    }
  }
}

const samePath = (a: Path, b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => String(x) === b[i])

const startsWith = (a: Path, prefix: readonly string[]): boolean =>
  a.length >= prefix.length && prefix.every((x, i) => String(a[i]) === x)

/**
 * Best-effort line (and column) for a JSON pointer: the key itself, else the closest enclosing key
 * or table header, so "missing property" errors point at the table that lacks it.
 */
export function lineForPointer(loc: TomlLocations | null, pointer: string): { line: number; column: number } | null {
  if (!loc) return null
  const segs = fromPointer(pointer)
  for (let n = segs.length; n >= 1; n--) {
    const prefix = segs.slice(0, n)
    const key = loc.keys.find((k) => samePath(k.path, prefix))
    if (key) return { line: key.line, column: key.column }
    const header = loc.headers.find((h) => samePath(h.path, prefix))
    if (header) return { line: header.line, column: header.column }
    // An implicit table made by dotted keys (`x.y = 1`) or by deeper headers: its first line.
    const inner = loc.keys.find((k) => startsWith(k.path, prefix)) ?? loc.headers.find((h) => startsWith(h.path, prefix))
    if (inner) return { line: inner.line, column: inner.column }
  }
  return null
}

export function findKey(loc: TomlLocations, path: Path): KeyLocation | undefined {
  const want = path.map(String)
  return loc.keys.find((k) => samePath(k.path, want))
}
