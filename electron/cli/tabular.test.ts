import { describe, expect, it } from 'vitest'
import { parseCsv } from './csv-reader'
import { csvField, csvLine, jsonLine, toCsv, toJsonl, type Column } from './tabular'

describe('csv', () => {
  it('leaves plain fields alone and writes null/undefined as empty', () => {
    expect(csvLine(['a', 1, true, null, undefined, 'x.y-z'])).toBe('a,1,true,,,x.y-z')
  })

  it('quotes commas, quotes, CR, LF and edge white space; doubles quotes inside', () => {
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField('two\nlines')).toBe('"two\nlines"')
    expect(csvField('cr\rhere')).toBe('"cr\rhere"')
    expect(csvField(' padded')).toBe('" padded"')
    expect(csvField('tab\t')).toBe('"tab\t"')
    expect(csvField('"')).toBe('""""')
    expect(csvField('')).toBe('')
  })

  it('writes objects as JSON (quoted, as JSON has commas and quotes)', () => {
    expect(csvField({ a: 1, b: 'x' })).toBe('"{""a"":1,""b"":""x""}"')
    expect(csvField([1, 2])).toBe('"[1,2]"')
  })

  it('a document with hostile fields reads back exactly (header, one record per row)', () => {
    interface R {
      id: number
      text: string
      extra: unknown
    }
    const cols: Column<R>[] = [
      { header: 'id', value: (r) => r.id },
      { header: 'text, quoted', value: (r) => r.text },
      { header: 'extra', value: (r) => r.extra ?? null },
    ]
    const rows: R[] = [
      { id: 1, text: 'plain', extra: null },
      { id: 2, text: 'comma, "quote" and\nnewline\r\nand CRLF', extra: { k: 'v,"w"' } },
      { id: 3, text: '', extra: 'ünïcødé ✓ \u2028' },
      { id: 4, text: '"', extra: ',' },
    ]
    const text = toCsv(cols, rows)
    expect(text.endsWith('\n')).toBe(true)
    expect(parseCsv(text)).toEqual([
      ['id', 'text, quoted', 'extra'],
      ['1', 'plain', ''],
      ['2', 'comma, "quote" and\nnewline\r\nand CRLF', '{"k":"v,\\"w\\""}'],
      ['3', '', 'ünïcødé ✓ \u2028'],
      ['4', '"', ','],
    ])
  })

  it('no rows: the header alone', () => {
    expect(toCsv([{ header: 'a', value: () => 1 }], [])).toBe('a\n')
  })
})

describe('jsonl', () => {
  it('one value per line, line breaks inside strings escaped', () => {
    const rows = [{ a: 'x\ny' }, { b: 'p\r\nq', c: ['\u2028', '\u2029'] }, null]
    const text = toJsonl(rows)
    const lines = text.split('\n')
    expect(lines).toHaveLength(4)
    expect(lines[3]).toBe('')
    expect(lines.slice(0, 3).map((l) => JSON.parse(l) as unknown)).toEqual(rows)
    expect(text).not.toMatch(/[\u2028\u2029\r]/)
  })

  it('jsonLine of undefined is null (never an empty line)', () => {
    expect(jsonLine(undefined)).toBe('null')
    expect(toJsonl([])).toBe('')
  })
})
