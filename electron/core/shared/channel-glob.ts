/**
 * Redis PSUBSCRIBE glob semantics (`*`, `?`, `[...]`, `\x`), compiled to a RegExp. Used off the hot
 * path: by the bus once per newly seen channel (which of our patterns Redis matched it with), and
 * by the history store's channel filter (store.channels), so both read a glob the same way.
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
