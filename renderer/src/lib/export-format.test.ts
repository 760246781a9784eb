import { describe, expect, it } from 'vitest'
import { csvField, exportFileName, toCsv, toJsonLines, type ExportRow } from './export-format'

const row = (over: Partial<ExportRow> = {}): ExportRow => ({
  time: '2026-12-02T10:00:00.000Z', channel: 'data.market.quotes', type: 'data.market', source: 'q1', agent: null, id: 7, host: 'h:1', payload: '{"px":1}', ...over,
})

/** A minimal RFC 4180 reader, to prove the output parses back to the same fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let field = ''
  let rec: string[] = []
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      rec.push(field)
      field = ''
    } else if (c === '\r' && text[i + 1] === '\n') {
      rec.push(field)
      rows.push(rec)
      rec = []
      field = ''
      i++
    } else field += c
  }
  return rows
}

describe('csvField', () => {
  it('leaves plain text alone and quotes commas, quotes and line breaks', () => {
    expect(csvField('plain')).toBe('plain')
    expect(csvField(12)).toBe('12')
    expect(csvField(null)).toBe('')
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField('two\nlines')).toBe('"two\nlines"')
    expect(csvField('cr\r')).toBe('"cr\r"')
    expect(csvField(' padded')).toBe('" padded"')
  })
})

describe('toCsv', () => {
  it('writes a header and CRLF rows that parse back to the same values', () => {
    const tricky = '{"note":"a, \\"quoted\\"\nline","x":[1,2]}'
    const text = toCsv([row(), row({ payload: tricky, source: null, agent: 'ag,1', id: 8 })])
    expect(text.startsWith('time,channel,type,source,agent,id,host,payload\r\n')).toBe(true)
    expect(text.endsWith('\r\n')).toBe(true)
    const parsed = parseCsv(text)
    expect(parsed).toHaveLength(3)
    expect(parsed[1]).toEqual(['2026-12-02T10:00:00.000Z', 'data.market.quotes', 'data.market', 'q1', '', '7', 'h:1', '{"px":1}'])
    expect(parsed[2]?.[3]).toBe('')
    expect(parsed[2]?.[4]).toBe('ag,1')
    expect(parsed[2]?.[7]).toBe(tricky)
  })
  it('an empty export is the header alone', () => {
    expect(toCsv([])).toBe('time,channel,type,source,agent,id,host,payload\r\n')
  })
})

describe('toJsonLines', () => {
  it('one object per line, the payload as its JSON value', () => {
    const text = toJsonLines([row(), row({ payload: '{"s":"x\\ny"}', id: 8 })])
    const lines = text.split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[2]).toBe('')
    expect(JSON.parse(lines[0] ?? '')).toEqual({ time: '2026-12-02T10:00:00.000Z', channel: 'data.market.quotes', type: 'data.market', source: 'q1', agent: null, id: 7, host: 'h:1', payload: { px: 1 } })
    expect((JSON.parse(lines[1] ?? '') as { payload: unknown }).payload).toEqual({ s: 'x\ny' })
  })
  it('keeps a payload that is not JSON as its text', () => {
    const line = toJsonLines([row({ payload: 'not json \uFFFD' })]).trim()
    expect((JSON.parse(line) as { payload: unknown }).payload).toBe('not json \uFFFD')
  })
})

describe('exportFileName', () => {
  it('has no colons and names the format', () => {
    expect(exportFileName('Last 15 min', 'csv', new Date('2026-12-02T10:00:00.123Z'))).toBe('stackdeck-Last-15-min-2026-12-02T100000Z.csv')
    expect(exportFileName('', 'jsonl', new Date('2026-12-02T10:00:00Z'))).toBe('stackdeck-events-2026-12-02T100000Z.jsonl')
  })
})
