/** Test helpers: read and edit a config value by JSON pointer, so tests need no `any`. */
import { fromPointer } from '../toml-values'

type Container = Record<string, unknown> | unknown[]

const isContainer = (v: unknown): v is Container => typeof v === 'object' && v !== null

export function getAt(root: unknown, pointer: string): unknown {
  let cur: unknown = root
  for (const seg of fromPointer(pointer)) {
    if (!isContainer(cur)) return undefined
    cur = Array.isArray(cur) ? cur[Number(seg)] : cur[seg]
  }
  return cur
}

export function setAt(root: unknown, pointer: string, value: unknown): void {
  const segs = fromPointer(pointer)
  const last = segs.pop()
  const parent = getAt(root, segs.length ? `/${segs.join('/')}` : '')
  if (last === undefined || !isContainer(parent)) throw new Error(`no container at ${pointer}`)
  if (Array.isArray(parent)) parent[Number(last)] = value
  else parent[last] = value
}

/** A deep copy of `value` with each `pointer: newValue` applied. */
export function withEdits(value: unknown, edits: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(value) as Record<string, unknown>
  for (const [pointer, v] of Object.entries(edits)) setAt(copy, pointer, v)
  return copy
}
