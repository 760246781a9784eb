/**
 * Time display for the schedule: wall times in the exchange's zone next to the trader's own, UTC
 * offsets to spot DST changes, and countdowns. Intl only, like the core.
 */

const fmtCache = new Map<string, Intl.DateTimeFormat>()
function fmt(zone: string | undefined, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${zone ?? ''}|${JSON.stringify(opts)}`
  let f = fmtCache.get(key)
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-GB', { ...opts, ...(zone ? { timeZone: zone } : {}) })
    } catch {
      // An unknown zone (typed by hand, not yet validated) falls back to the trader's own.
      f = new Intl.DateTimeFormat('en-GB', opts)
    }
    fmtCache.set(key, f)
  }
  return f
}

/** The trader's own zone. */
export const localZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone

/** "Mon 23 Nov 16:00" in `zone` (the trader's zone when omitted). */
export function wallTime(iso: string | number | Date, zone?: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  return fmt(zone, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d)
}

/** "16:00" in `zone`. */
export function clockIn(iso: string | number | Date, zone?: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  return fmt(zone, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d)
}

/** "GMT-5" — the zone's UTC offset at that instant. */
export function offsetAt(iso: string | number | Date, zone?: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  const part = fmt(zone, { timeZoneName: 'shortOffset' })
    .formatToParts(d)
    .find((p) => p.type === 'timeZoneName')
  return part?.value ?? ''
}

/** "2h 13m", "4m 05s", "now" — a countdown, coarser the further away. */
export function countdown(ms: number): string {
  if (!Number.isFinite(ms)) return '—'
  if (ms <= 0) return 'now'
  const s = Math.floor(ms / 1000)
  const d = Math.floor(s / 86_400)
  const h = Math.floor((s % 86_400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  if (d > 0) return `${d}d ${h}h`
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`
  return `${sec}s`
}

/** The zones this browser knows, for the picker (UTC first: some engines leave it out). */
let zones: string[] | null = null
export function knownZones(): string[] {
  if (zones) return zones
  const intl = Intl as typeof Intl & { supportedValuesOf?: (k: 'timeZone') => string[] }
  const list = intl.supportedValuesOf?.('timeZone') ?? []
  zones = ['UTC', ...list.filter((z) => z !== 'UTC')]
  return zones
}
