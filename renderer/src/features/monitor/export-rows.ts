import type { ContractCaller } from '@contract'
import type { ExportRow } from '../../lib/export-format'
import { isFiltered, type EventFilter } from './event-filter'
import { EXPORT_CAP, historyQuery, matchesStoredType, type StoredEvent, type StoredRange } from './time-range'
import type { BusEvent } from './types'

/** A live ring event as an export row; `agent` is the payload's agent_id, as the store records it. */
export function liveRow(e: BusEvent): ExportRow {
  const p = e.payload as { agent_id?: unknown } | null
  let payload: string
  try {
    payload = JSON.stringify(e.payload) ?? 'null'
  } catch {
    payload = String(e.payload)
  }
  return {
    time: e.ts,
    channel: e.channel,
    type: e.type,
    source: e.source,
    agent: p && typeof p === 'object' && typeof p.agent_id === 'string' ? p.agent_id : null,
    id: e.id,
    host: null,
    payload,
  }
}

export function storedRow(e: StoredEvent): ExportRow {
  return { time: e.receivedAt, channel: e.channel, type: e.type, source: e.source, agent: e.agent, id: e.cursor, host: e.host, payload: e.payload }
}

const EXPORT_PAGE = 1000

/**
 * Every stored event of the range, oldest first, paging history.events up to `cap`. `capped` says
 * the range held more than was exported, so the UI can say so instead of implying completeness.
 */
export async function fetchWholeRange(
  client: ContractCaller,
  range: StoredRange,
  filter: EventFilter,
  o: { cap?: number; onProgress?: (rows: number) => void; cancelled?: () => boolean } = {},
): Promise<{ rows: ExportRow[]; capped: boolean; cancelled: boolean }> {
  const cap = o.cap ?? EXPORT_CAP
  const rows: ExportRow[] = []
  let after: number | undefined
  for (;;) {
    if (o.cancelled?.()) return { rows, capped: false, cancelled: true }
    const page = await client.call('history.events', historyQuery(range, filter, { order: 'asc', limit: EXPORT_PAGE, ...(after === undefined ? {} : { after }) }))
    for (const e of page.events) {
      if (isFiltered(filter) && !matchesStoredType(e, filter)) continue
      if (rows.length >= cap) return { rows, capped: true, cancelled: false }
      rows.push(storedRow(e))
    }
    o.onProgress?.(rows.length)
    if (page.next === null) return { rows, capped: false, cancelled: false }
    after = page.next
  }
}
