/**
 * Event type for a channel delivered through `pattern`: the pattern's literal prefix up to its
 * first wildcard, without trailing dots (`data.market.*` -> `data.market`); an exact pattern is
 * its own type; a bare `*` falls back to the channel's first segment.
 */
export function typeFor(pattern: string, channel: string): string {
  const m = /[*?[\\]/.exec(pattern)
  if (m === null) return pattern
  const prefix = pattern.slice(0, m.index).replace(/\.+$/, '')
  if (prefix !== '') return prefix
  const dot = channel.indexOf('.')
  return dot === -1 ? channel : channel.slice(0, dot)
}
