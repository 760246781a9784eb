/**
 * Test helper: fast-check arbitraries for config.toml-shaped documents (root keys, [tables] with
 * comments, inline tables, dotted keys, [[arrays of tables]]) and the leaves an edit may touch.
 * The text is written by hand here, not by a TOML library, so it has the odd spacing and comments
 * that the edit paths must keep.
 */
import fc from 'fast-check'

export type Leaf = number | string | boolean | number[] | { x: number; y: string }

export interface Entry {
  key: string
  value: Leaf
  comment: string | null
  /** Written as `group.key = …` (a dotted key) instead of `key = …`. */
  dotted: string | null
}

export interface Section {
  name: string
  above: string | null
  entries: Entry[]
}

export interface DocModel {
  root: Entry[]
  tables: Section[]
  items: Entry[][]
}

// Simple text only: both edit paths must write it identically (escaping style is not under test).
const word = fc.stringMatching(/^[A-Za-z0-9 _.-]{0,12}$/)
export const leafOf = (kind: 'int' | 'float' | 'string' | 'bool' | 'ints' | 'inline'): fc.Arbitrary<Leaf> => {
  switch (kind) {
    case 'int':
      return fc.integer({ min: -100_000, max: 100_000 })
    case 'float':
      // Never integral: an integral float is written `3.0` by the in-place path (it keeps the TOML type).
      return fc.integer({ min: -10_000, max: 10_000 }).map((n) => n + 0.5)
    case 'string':
      return word
    case 'bool':
      return fc.boolean()
    case 'ints':
      return fc.array(fc.integer({ min: 0, max: 999 }), { maxLength: 4 })
    case 'inline':
      return fc.record({ x: fc.integer({ min: 0, max: 999 }), y: word })
  }
}

const KINDS = ['int', 'float', 'string', 'bool', 'ints', 'inline'] as const
export const anyLeaf: fc.Arbitrary<Leaf> = fc.constantFrom(...KINDS).chain(leafOf)

export function kindOf(v: Leaf): (typeof KINDS)[number] {
  if (Array.isArray(v)) return 'ints'
  if (typeof v === 'object') return 'inline'
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float'
  return typeof v === 'string' ? 'string' : 'bool'
}

const comment = fc.option(
  fc.constantFrom('# why', '#tight', '# a = 1 looks like a key', "# 'quoted' [not] a table"),
  { nil: null },
)

function entries(prefix: string, dotted: boolean): fc.Arbitrary<Entry[]> {
  return fc
    .array(
      fc.record({
        value: anyLeaf,
        comment,
        dotted: dotted ? fc.option(fc.constant('grp'), { freq: 4, nil: null }) : fc.constant(null),
      }),
      { minLength: 1, maxLength: 5 },
    )
    .map((es) => es.map((e, i) => ({ ...e, key: `${prefix}${i}` })))
}

export const docModel: fc.Arbitrary<DocModel> = fc.record({
  root: entries('r', false),
  tables: fc
    .array(fc.record({ above: comment, entries: entries('k', true) }), { minLength: 1, maxLength: 5 })
    .map((ts) => ts.map((t, i) => ({ ...t, name: `t${i}` }))),
  items: fc.array(entries('n', false), { maxLength: 3 }),
})

export function renderLeaf(v: Leaf): string {
  if (Array.isArray(v)) return `[${v.join(', ')}]`
  if (typeof v === 'object') return `{ x = ${v.x}, y = ${JSON.stringify(v.y)} }`
  if (typeof v === 'string') return JSON.stringify(v)
  return String(v)
}

function line(e: Entry): string {
  const key = e.dotted ? `${e.dotted}.${e.key}` : e.key
  return `${key} = ${renderLeaf(e.value)}${e.comment ? `   ${e.comment}` : ''}`
}

export function renderDoc(m: DocModel): string {
  const out = ['# generated', ...m.root.map(line)]
  for (const t of m.tables) {
    out.push('')
    if (t.above) out.push(t.above)
    out.push(`[${t.name}]`, ...t.entries.map(line))
  }
  for (const it of m.items) out.push('', '[[items]]', ...it.map(line))
  return out.join('\n') + '\n'
}

/** JSON pointer of an entry, as the plain value holds it. */
export function pointerOf(section: string | null, e: Entry): string {
  return `${section ?? ''}${e.dotted ? `/${e.dotted}` : ''}/${e.key}`
}

/** Every entry with its pointer and the 1-based line it is written on. */
export function entriesOf(m: DocModel): Array<{ pointer: string; entry: Entry; line: number }> {
  const text = renderDoc(m).split('\n')
  const out: Array<{ pointer: string; entry: Entry; line: number }> = []
  let from = 0
  // Entries are written in model order, so each one is the first match after the previous one.
  const find = (e: Entry) => {
    const at = text.indexOf(line(e), from)
    from = at + 1
    return at + 1
  }
  for (const e of m.root) out.push({ pointer: pointerOf(null, e), entry: e, line: find(e) })
  for (const t of m.tables)
    for (const e of t.entries) out.push({ pointer: pointerOf(`/${t.name}`, e), entry: e, line: find(e) })
  m.items.forEach((it, i) => {
    for (const e of it) out.push({ pointer: pointerOf(`/items/${i}`, e), entry: e, line: find(e) })
  })
  return out
}
