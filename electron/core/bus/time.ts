/**
 * Agents send timestamps as ISO strings, epoch milliseconds or (Python's time.time()) epoch seconds.
 * Out-of-range numbers must not throw (Date#toISOString does): they come from the network.
 */
export function epochToIso(n: number): string | null {
  if (!Number.isFinite(n)) return null
  const ms = Math.abs(n) < 1e11 ? n * 1000 : n
  const d = new Date(ms)
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}

export const iso = (ms: number): string => new Date(ms).toISOString()
