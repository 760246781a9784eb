/**
 * Redis PSUBSCRIBE glob semantics (`*`, `?`, `[...]`, `\x`), compiled to a RegExp. Used off the hot
 * path: once per newly seen channel, to know which of our patterns Redis matched it with.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '^'
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*') re += '[\\s\\S]*'
    else if (c === '?') re += '[\\s\\S]'
    else if (c === '\\' && i + 1 < glob.length) re += escape(glob[++i]!)
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2)
      if (end === -1) {
        re += '\\['
        continue
      }
      let body = glob.slice(i + 1, end)
      const negate = body.startsWith('^')
      if (negate) body = body.slice(1)
      re += `[${negate ? '^' : ''}${body.replace(/[\]\\]/g, '\\$&')}]`
      i = end
    } else re += escape(c)
  }
  return new RegExp(`${re}$`)
}

const escape = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

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
