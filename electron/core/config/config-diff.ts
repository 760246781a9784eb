/**
 * What an edit changes, field by field, and whether each change applies on reload or needs a
 * restart (the schema's x-apply keyword). Plus the unified text diff the UI shows before saving.
 */
import { createTwoFilesPatch } from 'diff'
import { applyHintAt, type ApplyHint } from './schema-store'
import { isTable, toPlain, toPointer, type Path } from './toml-values'

export interface ConfigChange {
  pointer: string
  kind: 'added' | 'removed' | 'changed'
  before?: unknown
  after?: unknown
  apply: ApplyHint
}

export interface ConfigDiff {
  changes: ConfigChange[]
  /** One line for logs, notifications and the run report. */
  summary: string
  /** True when at least one change is marked (or may be) restart-only. */
  restartNeeded: boolean
  /** Unified diff of the texts; empty when texts are equal or not given. */
  unified: string
}

const sameLeaf = (a: unknown, b: unknown): boolean =>
  a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b))

function walk(a: unknown, b: unknown, path: Path, schema: unknown, out: ConfigChange[]): void {
  const segs = path.map(String)
  if (a === undefined && b === undefined) return
  if (a === undefined || b === undefined) {
    const change: ConfigChange = { pointer: toPointer(path), kind: a === undefined ? 'added' : 'removed', apply: applyHintAt(schema, segs) }
    if (a !== undefined) change.before = a
    if (b !== undefined) change.after = b
    out.push(change)
    return
  }
  if (isTable(a) && isTable(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    for (const k of keys) walk(Object.hasOwn(a, k) ? a[k] : undefined, Object.hasOwn(b, k) ? b[k] : undefined, [...path, k], schema, out)
    return
  }
  // Arrays of tables ([[x]] or lists of inline tables) diff per element; scalar lists are one value.
  if (Array.isArray(a) && Array.isArray(b) && (a.some(isTable) || b.some(isTable))) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], [...path, i], schema, out)
    return
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length === b.length && a.every((x, i) => sameLeaf(x, b[i]))) return
  } else if (sameLeaf(a, b)) {
    return
  }
  out.push({ pointer: toPointer(path), kind: 'changed', before: a, after: b, apply: applyHintAt(schema, segs) })
}

const brief = (v: unknown): string => {
  if (v === undefined) return '-'
  const s = typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v)
  return s.length > 40 ? `${s.slice(0, 37)}...` : s
}

export function summarize(changes: ConfigChange[]): string {
  if (changes.length === 0) return 'no changes'
  const restart = changes.filter((c) => c.apply === 'restart').length
  const unknown = changes.filter((c) => c.apply === 'unknown').length
  const head = `${changes.length} change${changes.length === 1 ? '' : 's'}` +
    (restart ? `, ${restart} need${restart === 1 ? 's' : ''} a restart` : '') +
    (unknown ? `, ${unknown} with unknown apply mode` : '')
  const shown = changes.slice(0, 5).map((c) => `${c.pointer} ${brief(c.before)} -> ${brief(c.after)}`)
  return `${head}: ${shown.join('; ')}${changes.length > 5 ? `; +${changes.length - 5} more` : ''}`
}

/** Field-level changes between two config values (raw or plain), each with its x-apply hint. */
export function diffConfigs(oldValue: unknown, newValue: unknown, schema: unknown): ConfigChange[] {
  const out: ConfigChange[] = []
  walk(toPlain(oldValue ?? {}), toPlain(newValue ?? {}), [], schema, out)
  return out
}

export function unifiedDiff(oldText: string, newText: string, oldLabel: string, newLabel: string): string {
  if (oldText === newText) return ''
  return createTwoFilesPatch(oldLabel, newLabel, oldText, newText, undefined, undefined, { context: 3 })
}

export function buildDiff(
  oldValue: unknown,
  newValue: unknown,
  schema: unknown,
  texts?: { oldText: string; newText: string; oldLabel: string; newLabel: string },
): ConfigDiff {
  const changes = diffConfigs(oldValue, newValue, schema)
  return {
    changes,
    summary: summarize(changes),
    restartNeeded: changes.some((c) => c.apply !== 'hot'),
    unified: texts ? unifiedDiff(texts.oldText, texts.newText, texts.oldLabel, texts.newLabel) : '',
  }
}
