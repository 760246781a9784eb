/**
 * JSON pointers and immutable edits of the plain config value. Edits return new objects along the
 * changed path only, so memoised form fields whose subtree did not change skip re-rendering.
 */
export type Seg = string | number
export type Plain = Record<string, unknown>

export const isObject = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v)

const escapeSeg = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1')
const unescapeSeg = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~')

/** RFC 6901, the same spelling the server uses for error and change pointers. */
export const toPointer = (path: readonly Seg[]): string => path.map((p) => `/${escapeSeg(String(p))}`).join('')

export function parsePointer(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return []
  return pointer.replace(/^\//, '').split('/').map(unescapeSeg)
}

export function getAt(root: unknown, path: readonly Seg[]): unknown {
  let cur: unknown = root
  for (const seg of path) {
    if (Array.isArray(cur)) cur = cur[Number(seg)]
    else if (isObject(cur)) cur = Object.hasOwn(cur, String(seg)) ? cur[String(seg)] : undefined
    else return undefined
  }
  return cur
}

/** A copy of `root` with `value` at `path`; `undefined` removes the key (or the array element). */
export function setAt(root: unknown, path: readonly Seg[], value: unknown): unknown {
  if (path.length === 0) return value
  const [head, ...rest] = path as [Seg, ...Seg[]]
  if (Array.isArray(root)) {
    const i = Number(head)
    const next = root.slice()
    if (rest.length === 0 && value === undefined) next.splice(i, 1)
    else next[i] = setAt(root[i], rest, value)
    return next
  }
  const obj: Plain = isObject(root) ? { ...root } : {}
  const key = String(head)
  if (rest.length === 0 && value === undefined) delete obj[key]
  else obj[key] = setAt(obj[key], rest, value)
  return obj
}

export interface ValueChange {
  pointer: string
  kind: 'added' | 'removed' | 'changed'
  after?: unknown
}

/**
 * Rebuilds the value of an edited text from the value it was compared with and the server's
 * field changes (config.validate returns the changes, not the value). Changes are leaf-level,
 * per element for arrays of tables, and whole for scalar arrays; removed array elements are
 * always a tail, so removing them last-first keeps the indices right.
 */
export function applyChanges(base: Plain, changes: readonly ValueChange[]): Plain {
  let out: unknown = base
  for (const c of changes) if (c.kind !== 'removed') out = setAt(out, parsePointer(c.pointer), c.after)
  const removed = changes.filter((c) => c.kind === 'removed')
  for (let i = removed.length - 1; i >= 0; i--) out = setAt(out, parsePointer(removed[i]!.pointer), undefined)
  return isObject(out) ? out : {}
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b)
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]))
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a)
    if (ka.length !== Object.keys(b).length) return false
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
  }
  return false
}

/** Is `pointer` equal to or inside `ancestor`? */
export const isWithin = (pointer: string, ancestor: string): boolean =>
  ancestor === '' || pointer === ancestor || pointer.startsWith(`${ancestor}/`)
