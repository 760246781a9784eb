/**
 * Machine output of rows, pure: CSV (RFC 4180) and JSON Lines.
 *
 * CSV: a header line, then one line per row. Records end with `\n` (what Unix tools expect; csv
 * parsers and spreadsheets take it as well as RFC 4180's `\r\n`). A field is quoted when it holds a
 * comma, a quote, CR or LF, or starts or ends with white space; quotes inside are doubled, and line
 * breaks inside a quoted field are kept as they are. A value that is not a string is written as JSON
 * (objects, arrays), `null`/`undefined` as an empty field.
 */

export type Cell = string | number | boolean | null | undefined | object

export interface Column<T> {
  header: string
  value: (row: T) => Cell
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/

export function csvField(v: Cell): string {
  if (v === null || v === undefined) return ''
  const s = typeof v === 'string' ? v : typeof v === 'object' ? (JSON.stringify(v) ?? '') : String(v)
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export const csvLine = (cells: readonly Cell[]): string => cells.map(csvField).join(',')

export const CSV_EOL = '\n'

export function csvHeader<T>(columns: readonly Column<T>[]): string {
  return csvLine(columns.map((c) => c.header))
}

export function csvRows<T>(columns: readonly Column<T>[], rows: readonly T[]): string[] {
  return rows.map((r) => csvLine(columns.map((c) => c.value(r))))
}

/** A whole CSV document (header included), ending with a line break. */
export function toCsv<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  return [csvHeader(columns), ...csvRows(columns, rows)].map((l) => `${l}${CSV_EOL}`).join('')
}

/**
 * One JSON value per line. JSON.stringify escapes CR and LF inside strings, so a line is always
 * one record; U+2028/U+2029 are escaped too, for readers that treat them as line ends.
 */
export function jsonLine(v: unknown): string {
  return (JSON.stringify(v) ?? 'null').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

export function toJsonl(rows: readonly unknown[]): string {
  return rows.map((r) => `${jsonLine(r)}\n`).join('')
}
