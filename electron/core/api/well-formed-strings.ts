/**
 * Lone UTF-16 surrogates (`"\ud800"` in JSON) are valid JSON but not Unicode: written to a UTF-8
 * file they become U+FFFD, so what is stored is not what was sent. The dispatcher refuses them for
 * every door (HTTP, WebSocket, IPC) and names the field and the offset.
 */
export interface LoneSurrogate {
  /** JSON pointer of the string (or, for a property name, of the property). */
  path: string
  /** Index in UTF-16 code units, as JavaScript and JSON count characters. */
  offset: number
  unit: number
  inKey: boolean
}

const escapePointer = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1')

/**
 * Index of the first lone surrogate, or -1. Under the `u` flag a well-formed pair is one code
 * point, so `\p{Cs}` (surrogate) only matches a half that has no partner.
 */
export const loneSurrogateAt = (s: string): number => s.search(/\p{Cs}/u)

/** The first lone surrogate anywhere in `value` (keys included), walked iteratively. */
export function findLoneSurrogate(value: unknown): LoneSurrogate | null {
  const seen = new Set<object>()
  const stack: Array<[unknown, string]> = [[value, '']]
  while (stack.length > 0) {
    const [v, path] = stack.pop() as [unknown, string]
    if (typeof v === 'string') {
      const at = loneSurrogateAt(v)
      if (at >= 0) return { path: path || '/', offset: at, unit: v.charCodeAt(at), inKey: false }
      continue
    }
    if (v === null || typeof v !== 'object' || seen.has(v)) continue
    seen.add(v)
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}/${i}`])
      continue
    }
    const keys = Object.keys(v)
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i] as string
      const at = loneSurrogateAt(k)
      const child = `${path}/${escapePointer(k)}`
      if (at >= 0) return { path: child, offset: at, unit: k.charCodeAt(at), inKey: true }
      stack.push([(v as Record<string, unknown>)[k], child])
    }
  }
  return null
}
