import type { AgentTransition } from './time-range'

/** Transitions the drawer lists at most; the rest are counted, not rendered. */
export const TIMELINE_CAP = 300

/** Newest first, at most `cap`, and how many older ones were left out. */
export function newestTransitions(ts: readonly AgentTransition[], cap = TIMELINE_CAP): { rows: AgentTransition[]; hidden: number } {
  const rows = ts.slice(-cap).reverse()
  return { rows, hidden: Math.max(0, ts.length - rows.length) }
}

/**
 * The detail of a transition in words: anomalies and the last beat the core saw, then anything
 * else it recorded as key=value, so a field added later shows up instead of vanishing.
 */
export function transitionDetail(detail: unknown, time: (iso: string) => string): string {
  if (detail === null || detail === undefined) return ''
  if (typeof detail !== 'object' || Array.isArray(detail)) return JSON.stringify(detail) ?? ''
  const parts: string[] = []
  for (const [k, v] of Object.entries(detail as Record<string, unknown>)) {
    if (k === 'anomalies') parts.unshift(`${String(v)} anomal${v === 1 ? 'y' : 'ies'}`)
    else if (k === 'lastBeat' && typeof v === 'string') parts.push(`last beat ${time(v)}`)
    else parts.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
  }
  return parts.join(' · ')
}
