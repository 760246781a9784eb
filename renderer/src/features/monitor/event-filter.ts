import type { BusEvent } from './types'

export interface EventFilter {
  /** Channel prefix at a dot boundary ('data.market' matches 'data.market.quotes'), as the host filters. */
  type: string
  /** Exact source (usually an agent id). */
  source: string
}

export const NO_FILTER: EventFilter = { type: '', source: '' }

export const isFiltered = (f: EventFilter): boolean => f.type.trim() !== '' || f.source.trim() !== ''

export function matchesFilter(e: BusEvent, f: EventFilter): boolean {
  const type = f.type.trim()
  const source = f.source.trim()
  if (type && e.channel !== type && !e.channel.startsWith(`${type}.`) && e.type !== type) return false
  if (source && e.source !== source) return false
  return true
}

/** A short one-line preview of a payload; long ones are cut so a row never costs much to render. */
export function payloadPreview(payload: unknown, max = 160): string {
  let text: string
  try {
    text = typeof payload === 'string' ? payload : (JSON.stringify(payload) ?? String(payload))
  } catch {
    text = String(payload)
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** 24 h local wall-clock time, compact enough for a grid cell; `ms` adds milliseconds. */
export function clockTime(iso: string, ms = false): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  const t = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  return ms ? `${t}.${pad(d.getMilliseconds(), 3)}` : t
}
