/**
 * Pure formatting of exported events: CSV (RFC 4180) and JSON Lines. Kept free of DOM and of any
 * feature's types so it can be unit-tested and reused by every view that exports rows.
 */

/** One exported event, whichever view it came from (the live ring or the history store). */
export interface ExportRow {
  /** When Stackdeck received it (ISO). */
  time: string
  channel: string
  type: string | null
  source: string | null
  agent: string | null
  /** The ring's id (live) or the store's cursor (stored). */
  id: number
  /** The Stackdeck that stored it; null for a live row. */
  host: string | null
  /** The payload as JSON text, exactly as received or stored. */
  payload: string
}

export const EXPORT_COLUMNS = ['time', 'channel', 'type', 'source', 'agent', 'id', 'host', 'payload'] as const satisfies readonly (keyof ExportRow)[]

/**
 * One CSV field. Quoted when it holds a comma, a quote, CR or LF (or leading/trailing space, which
 * some readers trim); quotes inside are doubled. Null is the empty field. Payloads are JSON and
 * routinely hold commas and quotes, so this is the path every payload takes.
 */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return ''
  const s = String(v)
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

/** A header line, then one line per row; CRLF line ends as RFC 4180 asks (Excel and pandas read both). */
export function toCsv(rows: readonly ExportRow[]): string {
  const lines = [EXPORT_COLUMNS.join(',')]
  for (const r of rows) lines.push(EXPORT_COLUMNS.map((c) => csvField(r[c])).join(','))
  return `${lines.join('\r\n')}\r\n`
}

/**
 * The payload as a JSON value when its text parses, so a JSONL consumer reads the message itself
 * rather than a string of JSON; text that does not parse (a NUL replaced by the store, a truncated
 * message) is kept as the string it is, never dropped.
 */
function payloadValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

/** One JSON object per line (LF), each ending in a newline; newlines inside values are escaped by JSON. */
export function toJsonLines(rows: readonly ExportRow[]): string {
  let out = ''
  for (const r of rows) {
    out += `${JSON.stringify({ time: r.time, channel: r.channel, type: r.type, source: r.source, agent: r.agent, id: r.id, host: r.host, payload: payloadValue(r.payload) })}\n`
  }
  return out
}

export type ExportFormat = 'csv' | 'jsonl'

export const EXPORT_MIME: Record<ExportFormat, string> = { csv: 'text/csv;charset=utf-8', jsonl: 'application/x-ndjson;charset=utf-8' }

/** A file name that says what it holds and is valid on every OS (no colons). */
export function exportFileName(what: string, format: ExportFormat, at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll(':', '')
  const slug = what.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'events'
  return `stackdeck-${slug}-${stamp}.${format}`
}
