/**
 * Hash routes: `#<tab>` or `#<tab>?key=value&…`. Tabs link to each other through the URL (never by
 * importing each other), e.g. the Audit tab's "events around this" opens `#monitor?from=…&to=…`.
 */

export function parseHash(hash: string): { tab: string; params: URLSearchParams } {
  const h = hash.startsWith('#') ? hash.slice(1) : hash
  const q = h.indexOf('?')
  return q === -1 ? { tab: h, params: new URLSearchParams() } : { tab: h.slice(0, q), params: new URLSearchParams(h.slice(q + 1)) }
}

export interface LinkedRange {
  from: string
  to: string
  /** What the range is about, shown beside it (e.g. "around stack.pause at 10:02:11"). */
  label: string | null
}

const validIso = (s: string | null): s is string => s !== null && s !== '' && !Number.isNaN(Date.parse(s))

/** The stored range a `#monitor?from&to[&label]` link asks for, or null when there is none (or it is invalid). */
export function monitorRangeOf(hash: string): LinkedRange | null {
  const { tab, params } = parseHash(hash)
  if (tab !== 'monitor') return null
  const from = params.get('from')
  const to = params.get('to')
  if (!validIso(from) || !validIso(to) || Date.parse(from) >= Date.parse(to)) return null
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), label: params.get('label') || null }
}

/** The hash of the Monitor showing the stored events in [from, to). */
export function monitorRangeHash(from: string, to: string, label?: string): string {
  const p = new URLSearchParams({ from, to })
  if (label) p.set('label', label)
  return `#monitor?${p.toString()}`
}

/** The hash of the Monitor showing the stored events `beforeMs` before to `afterMs` after `at`. */
export function monitorAroundHash(at: string, label?: string, beforeMs = 2 * 60_000, afterMs = 2 * 60_000): string | null {
  const t = Date.parse(at)
  if (Number.isNaN(t)) return null
  return monitorRangeHash(new Date(t - beforeMs).toISOString(), new Date(t + afterMs).toISOString(), label)
}
