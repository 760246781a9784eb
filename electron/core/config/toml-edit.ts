/**
 * Apply a new value object onto existing TOML text so that comments, key order, blank lines and
 * every untouched line survive byte for byte.
 *
 * Two strategies, one guarantee:
 *  - splice (toml-splice): byte-range edits of the original text. Changed values are rewritten in
 *    their span ('in-place'); added or removed keys add or drop one line each ('splice'). Linear:
 *    one diff walk, one targeted scan.
 *  - toml-patch: for the structural changes the splice does not handle (multi-line values, tables
 *    made by dotted keys, arrays of tables growing or shrinking, removed tables), use
 *    @decimalturn/toml-patch, which preserves formatting but costs ~100x a smol-toml parse on a
 *    2,000-line file (see bench/).
 * Whatever produced the text, it is re-parsed and deep-compared with the intended value before it
 * is returned: a result that would read back differently is never handed to the writer.
 */
import { parse as tpParse, patch as tpPatch } from '@decimalturn/toml-patch'
import { TomlDate } from 'smol-toml'
import { CoreError } from '../errors'
import { diffOps, splice } from './toml-splice'
import {
  dateToString,
  defineKey,
  fromPlain,
  isTable,
  parseToml,
  toPointer,
  tomlEqual,
  type Path,
  type RawTable,
} from './toml-values'

export { renderValue } from './toml-render'

export type EditStrategy = 'unchanged' | 'in-place' | 'splice' | 'toml-patch'

export interface EditResult {
  text: string
  /** The parsed new document (raw: TomlDate objects kept). */
  raw: RawTable
  strategy: EditStrategy
}

export interface EditOptions {
  /** 'toml-patch' skips the splice: tests compare the two paths with it. */
  via?: 'auto' | 'toml-patch'
}

/** Patch a plain value (as sent by the form) onto `text`. Throws parse_error for a broken `text`. */
export function applyPlainValue(text: string, next: unknown, fileLabel = 'config.toml', opts: EditOptions = {}): EditResult {
  if (!isTable(next)) throw new CoreError('invalid_input', 'The config value must be an object (a TOML table)')
  const current = parseToml(text, fileLabel)
  const intended = fromPlain(next, current) as RawTable
  return applyRawValue(text, current, intended, opts)
}

export function applyRawValue(text: string, current: RawTable, intended: RawTable, opts: EditOptions = {}): EditResult {
  const ops = diffOps(current, intended)
  if (ops.length === 0) return { text, raw: current, strategy: 'unchanged' }
  if (opts.via !== 'toml-patch') {
    const spliced = splice(text, intended, ops)
    if (spliced !== null && readsBackAs(spliced.text, intended)) {
      return { text: spliced.text, raw: intended, strategy: spliced.structural ? 'splice' : 'in-place' }
    }
  }
  const patched = viaTomlPatch(text, current, intended)
  if (!readsBackAs(patched, intended)) {
    throw new CoreError(
      'internal',
      'Could not apply this change without altering other values of config.toml; nothing was written. Edit the raw text instead.',
    )
  }
  return { text: patched, raw: intended, strategy: 'toml-patch' }
}

function readsBackAs(text: string, intended: RawTable): boolean {
  try {
    return tomlEqual(parseToml(text), intended)
  } catch {
    return false
  }
}

// ---- toml-patch fallback ---------------------------------------------------------------------------

/**
 * toml-patch compares against its own parse of the text (its own date classes, numbers). Hand it
 * that parse with only the changed parts replaced, so unchanged values are identical to what it
 * expects and it has no reason to touch their lines.
 */
function viaTomlPatch(text: string, current: RawTable, intended: RawTable): string {
  const base = tpParse(text, { integersAsBigInt: false }) as unknown
  const updated = merge(base, current, intended, [])
  return tpPatch(text, updated)
}

function merge(base: unknown, cur: unknown, next: unknown, path: Path): unknown {
  if (base !== undefined && tomlEqual(cur, next)) return base
  if (isTable(next)) {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(next)) {
      const b = isTable(base) ? base[k] : undefined
      const c = isTable(cur) ? cur[k] : undefined
      defineKey(out, k, merge(b, c, x, [...path, k]))
    }
    return out
  }
  if (Array.isArray(next)) {
    return next.map((x, i) =>
      merge(Array.isArray(base) ? base[i] : undefined, Array.isArray(cur) ? cur[i] : undefined, x, [...path, i]),
    )
  }
  if (next instanceof TomlDate) {
    // Let toml-patch build its own date object of the right kind from the TOML source form.
    const src = dateToString(next)
    const parsed = (tpParse(`v = ${src}`) as { v?: unknown }).v
    if (parsed === undefined) throw new CoreError('internal', `${toPointer(path)}: cannot encode date ${src}`)
    return parsed
  }
  return next
}
