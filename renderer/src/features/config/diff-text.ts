/**
 * Unified diffs as the server sends them (jsdiff's createTwoFilesPatch), split into typed lines for
 * colouring, and turned around when we need "what changed on disk" rather than "what my text would
 * change" (config.validate always compares a candidate against the file on disk).
 */
export type DiffLineKind = 'add' | 'del' | 'ctx' | 'hunk' | 'meta'
export interface DiffLine {
  kind: DiffLineKind
  text: string
}

export function classifyUnified(unified: string): DiffLine[] {
  if (!unified) return []
  const lines = unified.replace(/\n$/, '').split('\n')
  return lines.map((text): DiffLine => {
    if (text.startsWith('+++') || text.startsWith('---') || text.startsWith('===') || text.startsWith('Index:') || text.startsWith('\\'))
      return { kind: 'meta', text }
    if (text.startsWith('@@')) return { kind: 'hunk', text }
    if (text.startsWith('+')) return { kind: 'add', text }
    if (text.startsWith('-')) return { kind: 'del', text }
    return { kind: 'ctx', text }
  })
}

/** The same unified diff read the other way: new becomes old. Deletions still come first in each run. */
export function invertUnified(unified: string, oldLabel: string, newLabel: string): string {
  if (!unified) return ''
  const out: string[] = []
  let dels: string[] = []
  let adds: string[] = []
  const flush = () => {
    out.push(...dels, ...adds)
    dels = []
    adds = []
  }
  for (const line of unified.replace(/\n$/, '').split('\n')) {
    if (line.startsWith('--- ')) out.push(`--- ${oldLabel}`)
    else if (line.startsWith('+++ ')) out.push(`+++ ${newLabel}`)
    else if (line.startsWith('@@')) {
      flush()
      out.push(line.replace(/^@@ -(\S+) \+(\S+) @@/, '@@ -$2 +$1 @@'))
    } else if (line.startsWith('+')) dels.push(`-${line.slice(1)}`)
    else if (line.startsWith('-')) adds.push(`+${line.slice(1)}`)
    else {
      flush()
      out.push(line)
    }
  }
  flush()
  return `${out.join('\n')}\n`
}

export interface FieldChange {
  pointer: string
  kind: 'added' | 'removed' | 'changed'
  before?: unknown
  after?: unknown
  apply: 'hot' | 'restart' | 'unknown'
}

export function invertChanges<C extends FieldChange>(changes: readonly C[]): C[] {
  return changes.map((c) => {
    const { before, after, ...rest } = c
    const out = { ...rest, kind: c.kind === 'added' ? 'removed' : c.kind === 'removed' ? 'added' : 'changed' } as C
    if (after !== undefined) out.before = after
    if (before !== undefined) out.after = before
    return out
  })
}

/** A value as it reads in a change list: JSON, shortened; absent values show as a dash. */
export function showValue(v: unknown, max = 60): string {
  if (v === undefined) return '—'
  const s = JSON.stringify(v) ?? typeof v
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}
