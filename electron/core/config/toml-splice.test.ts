/**
 * The splice (toml-edit's fast path) against toml-patch (its slow path) and against the full scan of
 * the locator. Generated documents carry comments, dotted keys, inline tables and arrays of tables.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { applyPlainValue } from './toml-edit'
import { locate, pathId } from './toml-locator'
import { diffOps } from './toml-splice'
import { anyLeaf, docModel, entriesOf, kindOf, leafOf, renderDoc, renderLeaf } from './__fixtures__/toml-gen'
import { setAt, withEdits } from './__fixtures__/value-path'
import { parseToml, toPlain, tomlEqual } from './toml-values'

const plainOf = (text: string) => toPlain(parseToml(text)) as Record<string, unknown>

/** Original lines that are not in `allowed` must appear in `after`, in order, byte for byte. */
function keptInOrder(before: string, after: string, allowed: Set<number>): boolean {
  const want = before.split('\n').filter((_, i) => !allowed.has(i + 1))
  let j = 0
  for (const l of after.split('\n')) if (l === want[j]) j++
  return j === want.length
}

/** A document and 1–3 of its entries with new values of the same kind. */
const scalarEdits = docModel.chain((m) => {
  const all = entriesOf(m)
  return fc
    .uniqueArray(fc.nat({ max: all.length - 1 }), { minLength: 1, maxLength: 3 })
    .chain((picks) =>
      fc.tuple(
        ...picks.map((p) => leafOf(kindOf(all[p]!.entry.value)).map((v) => ({ ...all[p]!, next: v }))),
      ),
    )
    .map((edits) => ({ text: renderDoc(m), edits }))
})

/** Space before a trailing comment: toml-patch re-aligns it when a value grows or shrinks; the splice leaves it. */
const alignFree = (text: string) => text.replace(/[ \t]+#/g, ' #')

describe('in-place edits: only the value bytes change, and toml-patch agrees wherever it keeps the other lines', () => {
  it('random value edits of generated documents', () => {
    let compared = 0
    fc.assert(
      fc.property(scalarEdits, ({ text, edits }) => {
        const plain = withEdits(plainOf(text), Object.fromEntries(edits.map((e) => [e.pointer, e.next])))
        const fast = applyPlainValue(text, plain)
        const changed = edits.some((e) => !tomlEqual(e.next, e.entry.value))
        expect(fast.strategy).toBe(changed ? 'in-place' : 'unchanged')
        // The exact expected text: each edited line with its old value's bytes swapped for the new value.
        const lines = text.split('\n')
        for (const e of edits) {
          const line = lines[e.line - 1] as string
          const old = ` = ${renderLeaf(e.entry.value)}`
          const at = line.indexOf(old)
          lines[e.line - 1] = `${line.slice(0, at)} = ${renderLeaf(e.next)}${line.slice(at + old.length)}`
        }
        expect(fast.text).toBe(lines.join('\n'))
        expect(plainOf(fast.text)).toEqual(plain)
        // toml-patch loses the comment (and a blank line after it) of an empty array's line, edited or
        // not (seen: `r0 = []   # why` -> `r0 = []`): compare with it only where it kept every
        // untouched line and no edit involves an empty array.
        const slow = applyPlainValue(text, plain, 'config.toml', { via: 'toml-patch' }).text
        const untouched = (t: string) =>
          alignFree(t)
            .split('\n')
            .filter((_, i) => !edits.some((e) => e.line === i + 1))
        const emptyArray = edits.some((e) =>
          [e.next, e.entry.value].some((v) => Array.isArray(v) && v.length === 0),
        )
        if (!emptyArray && JSON.stringify(untouched(slow)) === JSON.stringify(untouched(text))) {
          compared++
          expect(alignFree(fast.text)).toBe(alignFree(slow))
        }
      }),
      { numRuns: 200 },
    )
    // The comparison must not silently stop happening.
    expect(compared).toBeGreaterThan(50)
  })
})

/** A document, one key added to a [table], the root or a new top-level table, one key removed. */
const structuralEdits = docModel.chain((m) =>
  fc.record({
    m: fc.constant(m),
    addTo: fc.constantFrom(null, ...m.tables.map((t) => t.name)),
    added: anyLeaf,
    newTable: fc.option(fc.dictionary(fc.constantFrom('a', 'b', 'c'), anyLeaf, { minKeys: 1 }), {
      nil: null,
    }),
    removeAt: fc.option(fc.nat({ max: entriesOf(m).length - 1 }), { nil: null }),
  }),
)

describe('structural edits: the splice agrees with toml-patch on the value and keeps every other line', () => {
  it('random key additions and removals of generated documents', () => {
    fc.assert(
      fc.property(structuralEdits, ({ m, addTo, added, newTable, removeAt }) => {
        const text = renderDoc(m)
        const plain = plainOf(text)
        setAt(plain, `${addTo ? `/${addTo}` : ''}/added_key`, added)
        if (newTable) setAt(plain, '/new_table', newTable)
        const all = entriesOf(m)
        const removed = removeAt === null ? undefined : all[removeAt]
        // Not a dotted key: removing the only key of a dotted group would leave an empty table that
        // the file never had (the splice rightly gives that to toml-patch).
        const removable = removed !== undefined && removed.entry.dotted === null
        if (removed && removable) {
          const segs = removed.pointer.split('/').slice(1)
          let parent: unknown = plain
          for (const s of segs.slice(0, -1)) parent = (parent as Record<string, unknown>)[s]
          delete (parent as Record<string, unknown>)[segs.at(-1)!]
        }
        const fast = applyPlainValue(text, plain)
        expect(fast.strategy).toBe('splice')
        expect(plainOf(fast.text)).toEqual(plain)
        expect(keptInOrder(text, fast.text, new Set(removed && removable ? [removed.line] : []))).toBe(true)
        // The slow path reads back the same (where it manages the edit at all).
        let slow: string | null
        try {
          slow = applyPlainValue(text, plain, 'config.toml', { via: 'toml-patch' }).text
        } catch {
          slow = null
        }
        if (slow !== null) expect(plainOf(slow)).toEqual(plainOf(fast.text))
      }),
      { numRuns: 150 },
    )
  })
})

describe('splice placement', () => {
  const text =
    '# head\ntop = 1 # c\n\n[a]\nx = 1   # xc\ny = "s"\n\n# about b\n[a.b]\nz = 2\n\n[c]\nw = { p = 1 }\nlong = """\none\n"""\n'

  it('a new key goes after the last value of its table, before the comment that belongs to the next header', () => {
    const r = applyPlainValue(text, withEdits(plainOf(text), { '/a/q': 5, '/a/t': { k: 1 } }))
    expect(r.strategy).toBe('splice')
    expect(r.text).toBe(text.replace('y = "s"\n', 'y = "s"\nq = 5\nt = { k = 1 }\n'))
  })

  it('a new root key follows the last root value; a new top-level table is appended as a [table]', () => {
    const r = applyPlainValue(text, withEdits(plainOf(text), { '/top2': 'v', '/d': { k: 1, e: { f: 2 } } }))
    expect(r.strategy).toBe('splice')
    expect(r.text).toBe(
      text.replace('top = 1 # c\n', 'top = 1 # c\ntop2 = "v"\n') + '\n[d]\nk = 1\ne = { f = 2 }\n',
    )
  })

  it('a removed key takes its line (and only it) with it; inside an inline table the value is rewritten', () => {
    const plain = plainOf(text) as { a: Record<string, unknown>; c: { w: Record<string, unknown> } }
    delete plain.a['x']
    plain.c.w['r'] = 2
    const r = applyPlainValue(text, plain)
    expect(r.strategy).toBe('splice')
    expect(r.text).toBe(text.replace('x = 1   # xc\n', '').replace('w = { p = 1 }', 'w = { p = 1, r = 2 }'))
  })

  it('keeps CRLF line ends on the lines it adds', () => {
    const crlf = text.replace('long = """\none\n"""\n', '').replace(/\n/g, '\r\n')
    const r = applyPlainValue(crlf, withEdits(plainOf(crlf), { '/a/q': 5 }))
    expect(r.strategy).toBe('splice')
    expect(r.text).toBe(crlf.replace('y = "s"\r\n', 'y = "s"\r\nq = 5\r\n'))
  })

  it('leaves what it does not handle to toml-patch: a multi-line value, a removed table, a table made by dotted keys', () => {
    const multi = applyPlainValue(text, withEdits(plainOf(text), { '/c/long': 'two\n' }))
    expect(multi.strategy).toBe('toml-patch')
    const plain = plainOf(text) as { a: Record<string, unknown> }
    delete plain.a['b']
    expect(applyPlainValue(text, plain).strategy).toBe('toml-patch')
    const dotted = 'g.x = 1\n[t]\nk = 1\n'
    expect(applyPlainValue(dotted, withEdits(plainOf(dotted), { '/g/y': 2 })).strategy).toBe('toml-patch')
  })
})

describe('diffOps', () => {
  it('is empty exactly when tomlEqual holds', () => {
    fc.assert(
      fc.property(scalarEdits, ({ text, edits }) => {
        const a = parseToml(text)
        const b = parseToml(
          applyPlainValue(
            text,
            withEdits(plainOf(text), Object.fromEntries(edits.map((e) => [e.pointer, e.next]))),
          ).text,
        )
        expect(diffOps(a, b).length === 0).toBe(tomlEqual(a, b))
        expect(diffOps(a, parseToml(`${text}# trailing\n`))).toEqual([])
      }),
      { numRuns: 100 },
    )
  })
})

describe('locate with a key filter', () => {
  it('finds exactly the keys the full scan finds for those paths, and the same headers', () => {
    fc.assert(
      fc.property(docModel, fc.array(fc.nat(), { maxLength: 4 }), (m, picks) => {
        const text = renderDoc(m)
        const full = locate(text)
        expect(full).not.toBeNull()
        const keys = full!.keys
        const only = new Set(picks.map((p) => pathId(keys[p % keys.length]!.path)))
        const some = locate(text, only)
        expect(some).toEqual({ ...full, keys: keys.filter((k) => only.has(pathId(k.path))) })
      }),
      { numRuns: 200 },
    )
  })
})
