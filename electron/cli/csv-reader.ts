/**
 * For the tests only (never imported by the CLI): a strict CSV reader, so what tabular.ts writes
 * is checked by reading it back rather than by comparing strings.
 */

/** RFC 4180 (LF or CRLF record ends), to prove what toCsv writes reads back the same. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = []
  let row: string[] = []
  let field = ''
  let i = 0
  let quoted = false
  while (i < text.length) {
    const c = text[i] as string
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i += 2
      } else if (c === '"') {
        quoted = false
        i++
        const n = text[i]
        if (n !== undefined && n !== ',' && n !== '\n' && n !== '\r') throw new Error(`junk after a quote at ${i}`)
      } else {
        field += c
        i++
      }
      continue
    }
    if (c === '"') {
      if (field !== '') throw new Error(`a quote inside an unquoted field at ${i}`)
      quoted = true
      i++
    } else if (c === ',') {
      row.push(field)
      field = ''
      i++
    } else if (c === '\n' || c === '\r') {
      row.push(field)
      records.push(row)
      row = []
      field = ''
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1
    } else {
      field += c
      i++
    }
  }
  if (quoted) throw new Error('unterminated quote')
  if (field !== '' || row.length > 0) {
    row.push(field)
    records.push(row)
  }
  return records
}
