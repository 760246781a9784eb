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

/** PostgreSQL text cannot hold NUL; a payload carrying one is stored with U+FFFD in its place. */
export function storableText(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s
}
