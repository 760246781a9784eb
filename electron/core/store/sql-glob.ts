/**
 * The bus's channel globs (`orchestrator.*`, `agent.?.state`) as a SQL LIKE pattern with `\` as the
 * escape, so `%` and `_` in a channel name match only themselves.
 */
export function globToLike(glob: string): string {
  let out = ''
  for (const ch of glob) {
    if (ch === '*') out += '%'
    else if (ch === '?') out += '_'
    else if (ch === '%' || ch === '_' || ch === '\\') out += `\\${ch}`
    else out += ch
  }
  return out
}

/** `prefix.%` as a LIKE pattern (the ring's "channel prefix at a dot boundary"), `\` the escape. */
export function likeDottedPrefix(prefix: string): string {
  return `${prefix.replace(/[%_\\]/g, (c) => `\\${c}`)}.%`
}

/** ES2024 string methods (Node 20 has them; the project's TypeScript lib predates them). */
type WellFormedString = string & { isWellFormed(): boolean; toWellFormed(): string }

/**
 * PostgreSQL text cannot hold NUL, and a lone surrogate cannot cross JSON into PostgreSQL text
 * (event batches travel as JSON): each is stored as U+FFFD, as a UTF-8 encoder would write it.
 */
export function storableText(s: string): string {
  const w = s as WellFormedString
  const t = w.isWellFormed() ? s : w.toWellFormed()
  return t.includes('\u0000') ? t.replaceAll('\u0000', '\uFFFD') : t
}
