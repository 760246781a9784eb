/**
 * The fast path of toml-edit: turn the difference between two parsed documents into byte-range
 * edits of the original text, so every untouched byte stays where it was.
 *
 * It handles what the form editor produces almost always:
 *  - a changed value: its value span is re-rendered (a leaf inside an inline table or array
 *    re-renders the enclosing single-line value);
 *  - an added key in a table that has a [header] (or in the root): one `key = value` line after
 *    the section's last value, a new table written inline, as toml-patch writes it there;
 *  - an added top-level table: a `[name]` block appended at the end, as toml-patch writes it;
 *  - a removed key whose statement is one line: that line goes.
 * Anything else (multi-line values, tables made by dotted keys, arrays of tables growing or
 * shrinking, removed tables) returns null and the caller falls back to toml-patch. The caller also
 * re-parses whatever comes out of here, so a wrong plan costs speed, never a wrong file.
 *
 * Why not toml-patch for all of it: it builds a full AST and diffs it, ~100x a smol-toml parse on a
 * 2,000-line file (see bench/config-bench.ts).
 */
import {
  findKey,
  locate,
  pathId,
  type HeaderLocation,
  type KeyLocation,
  type TomlLocations,
} from './toml-locator'
import { renderKey, renderValue } from './toml-render'
import { isTable, tomlEqual, type Path, type RawTable } from './toml-values'

export type Op =
  { kind: 'set'; path: Path } | { kind: 'add'; table: Path; key: string } | { kind: 'remove'; path: Path }

/**
 * What changed from `a` to `b`, as ops; an empty list means equal (the same relation as tomlEqual,
 * in one walk). Tables and arrays of tables are walked, never compared whole: that would be
 * quadratic. `path` is one shared array, pushed and popped, and copied only into an op.
 */
export function diffOps(a: unknown, b: unknown, path: Path = [], out: Op[] = []): Op[] {
  if (a === b) return out
  if (isTable(a) && isTable(b)) {
    for (const k of Object.keys(a)) {
      path.push(k)
      if (Object.hasOwn(b, k)) diffOps(a[k], b[k], path, out)
      else out.push({ kind: 'remove', path: [...path] })
      path.pop()
    }
    for (const k of Object.keys(b))
      if (!Object.hasOwn(a, k)) out.push({ kind: 'add', table: [...path], key: k })
    return out
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length && (a.some(isTable) || b.some(isTable))) {
    for (let i = 0; i < a.length; i++) {
      path.push(i)
      diffOps(a[i], b[i], path, out)
      path.pop()
    }
    return out
  }
  // A leaf, a plain array, or a change of shape: the value at `path` is rewritten as a whole.
  if (!tomlEqual(a, b)) out.push({ kind: 'set', path: [...path] })
  return out
}

interface TextEdit {
  start: number
  end: number
  text: string
}

function valueAt(root: unknown, path: Path): unknown {
  let v: unknown = root
  for (const p of path) {
    if (Array.isArray(v) && typeof p === 'number') v = v[p]
    else if (isTable(v) && typeof p === 'string') v = v[p]
    else return undefined
  }
  return v
}

/** Every non-empty prefix of `path`, longest first: the keys that may hold it inside their value. */
function prefixes(path: Path): Path[] {
  const out: Path[] = []
  for (let n = path.length; n >= 1; n--) out.push(path.slice(0, n))
  return out
}

function enclosingKey(loc: TomlLocations, path: Path): KeyLocation | undefined {
  for (const p of prefixes(path)) {
    const key = findKey(loc, p)
    if (key) return key
  }
  return undefined
}

const samePath = (a: Path, b: Path): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/** Offset just past the newline ending the line that holds `at`; null when the text ends first. */
function afterLine(text: string, at: number): number | null {
  const nl = text.indexOf('\n', at)
  return nl < 0 ? null : nl + 1
}

class Planner {
  readonly edits: TextEdit[] = []
  private readonly rewritten = new Set<KeyLocation>()
  private readonly eol: string

  constructor(
    private readonly text: string,
    private readonly loc: TomlLocations,
    private readonly intended: RawTable,
  ) {
    this.eol = text.includes('\r\n') ? '\r\n' : '\n'
  }

  /** Re-render the whole value of `key` from the intended document. */
  rewrite(key: KeyLocation): boolean {
    if (this.rewritten.has(key)) return true
    this.rewritten.add(key)
    const old = this.text.slice(key.valueStart, key.valueEnd)
    // Reformatting a multi-line value is a structural edit: leave it to toml-patch.
    if (old.includes('\n')) return false
    const rendered = renderValue(valueAt(this.intended, key.path), old)
    if (rendered === null) return false
    this.edits.push({ start: key.valueStart, end: key.valueEnd, text: rendered })
    return true
  }

  remove(path: Path): boolean {
    const key = findKey(this.loc, path)
    if (!key) {
      // Inside an inline value: rewrite that value; a table of its own (a [header]): toml-patch.
      const outer = enclosingKey(this.loc, path.slice(0, -1))
      return outer !== undefined && this.rewrite(outer)
    }
    if (this.text.slice(key.start, key.valueEnd).includes('\n')) return false
    const end = afterLine(this.text, key.valueEnd)
    if (end === null) return false
    this.edits.push({ start: this.text.lastIndexOf('\n', key.start - 1) + 1, end, text: '' })
    return true
  }

  add(table: Path, k: string): boolean {
    const outer = table.length ? enclosingKey(this.loc, table) : undefined
    if (outer) return this.rewrite(outer)
    const value = valueAt(this.intended, [...table, k])
    if (table.length === 0 && isTable(value)) return this.appendTable(k, value)
    const line = this.line(k, value)
    if (line === null) return false
    const at = this.sectionEnd(table)
    if (at === null) return false
    this.edits.push({ start: at, end: at, text: line })
    return true
  }

  private line(k: string, value: unknown): string | null {
    const rendered = renderValue(value)
    return rendered === null ? null : `${renderKey(k)} = ${rendered}${this.eol}`
  }

  /** Where a new key of `table` goes: after the line of its section's last value (or its header). */
  private sectionEnd(table: Path): number | null {
    if (table.length === 0)
      return this.loc.rootBodyEnd === null ? null : afterLine(this.text, this.loc.rootBodyEnd)
    const header: HeaderLocation | undefined = this.loc.headers.find((h) => samePath(h.path, table))
    // No header of its own: a table made by dotted keys or only implied by deeper headers.
    return header ? afterLine(this.text, header.bodyEnd) : null
  }

  private appendTable(k: string, value: RawTable): boolean {
    if (this.text.length > 0 && !this.text.endsWith('\n')) return false
    const lines = [`${this.eol}[${renderKey(k)}]${this.eol}`]
    for (const [ik, iv] of Object.entries(value)) {
      const line = this.line(ik, iv)
      if (line === null) return false
      lines.push(line)
    }
    this.edits.push({ start: this.text.length, end: this.text.length, text: lines.join('') })
    return true
  }
}

/** Applies non-overlapping edits; inserts at one offset keep their order. Null when two overlap. */
function applyEdits(text: string, edits: TextEdit[]): string | null {
  const sorted = edits.map((e, i) => ({ e, i })).sort((x, y) => x.e.start - y.e.start || x.i - y.i)
  const parts: string[] = []
  let at = 0
  for (const { e } of sorted) {
    if (e.start < at) return null
    parts.push(text.slice(at, e.start), e.text)
    at = e.end
  }
  parts.push(text.slice(at))
  return parts.join('')
}

export interface Splice {
  text: string
  /** Keys were added or removed (not only values rewritten). */
  structural: boolean
}

/** The edited text for `ops` (from diffOps(current, intended)), or null when toml-patch must do it. */
export function splice(text: string, intended: RawTable, ops: readonly Op[]): Splice | null {
  // Only the keys that can hold a change need locating; headers are always recorded.
  const wanted = new Set<string>()
  for (const op of ops)
    for (const p of prefixes(op.kind === 'add' ? op.table : op.path)) wanted.add(pathId(p))
  const loc = locate(text, wanted)
  if (!loc) return null
  const plan = new Planner(text, loc, intended)
  let structural = false
  for (const op of ops) {
    let ok: boolean
    if (op.kind === 'set') {
      const key = enclosingKey(loc, op.path)
      ok = key !== undefined && plan.rewrite(key)
    } else {
      structural = true
      ok = op.kind === 'add' ? plan.add(op.table, op.key) : plan.remove(op.path)
    }
    if (!ok) return null
  }
  const out = applyEdits(text, plan.edits)
  return out === null ? null : { text: out, structural }
}
