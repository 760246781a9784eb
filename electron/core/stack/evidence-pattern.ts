/**
 * A reload evidence pattern may name values of the new config: `Config reloaded.*max_position=\{\{/risk/max_position\}\}`
 * is written in the settings as `Config reloaded.*max_position={{/risk/max_position}}`. Each
 * `{{/json/pointer}}` is replaced, per run, by that value of the config being applied (regex-escaped),
 * so a reload line printing the OLD value does not count as proof that the new file was read.
 */

const PLACEHOLDER = /\{\{(\/[^{}]*)\}\}/g

export const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The JSON pointers a pattern names. */
export function placeholders(source: string): string[] {
  return [...source.matchAll(PLACEHOLDER)].map((m) => m[1] as string)
}

/** Value at a JSON pointer (RFC 6901), or undefined. */
export function valueAt(root: unknown, pointer: string): unknown {
  let cur: unknown = root
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, key)) return undefined
    cur = (cur as Record<string, unknown>)[key]
  }
  return cur
}

/** How a config value is expected to be printed: scalars as TOML/JSON would, arrays/tables as JSON. */
function printed(v: unknown): string {
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v)
  if (v instanceof Date) return v.toISOString()
  return JSON.stringify(v)
}

/** Validates a pattern as the settings hold it: placeholders stand for any text. Throws SyntaxError. */
export function checkEvidencePattern(source: string): RegExp {
  return new RegExp(source.replace(PLACEHOLDER, '.*?'))
}

/**
 * The pattern for one run. Without `config` (evidence not tied to values) placeholders match any
 * text; with it, each must be present in the new config, or the result names the missing pointer.
 */
export function compileEvidencePattern(source: string, config?: unknown): { re: RegExp } | { error: string } {
  if (config === undefined) return { re: checkEvidencePattern(source) }
  for (const p of placeholders(source)) {
    if (valueAt(config, p) === undefined)
      return { error: `the reload pattern names ${p}, which the new config.toml does not have` }
  }
  return { re: new RegExp(source.replace(PLACEHOLDER, (_m, p: string) => escapeRegExp(printed(valueAt(config, p))))) }
}
