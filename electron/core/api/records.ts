/**
 * Records that one domain writes to Redis and another reads: the `trading_enabled` flag (written by
 * the schedule, read by the safety model) and the containers a killswitch froze (written by the bus,
 * mirrored to disk by the state domain). Their shape and their tolerant parsing live here, once, so
 * neither reader imports the writer's code.
 */

/**
 * The `trading_enabled` flag the trading services obey. Stored state with a version (Redis key in
 * production: schedule/redis-trading-flag.ts), so a reader can tell a new decision from a re-announcement.
 */
export interface FlagState {
  value: boolean
  version: number
  who: string
  why: string
  /** ISO instant of the write. */
  at: string
  /** Who wrote it, as a FlagSource (absent in records of older tools). */
  source?: string
}

/** Plain `true`/`false`/`1`/`0` (written by hand or an older tool) reads as version 0. */
export function parseFlagRecord(raw: string | null): FlagState | null {
  if (raw === null) return null
  const t = raw.trim().toLowerCase()
  const plain = (value: boolean): FlagState => ({
    value,
    version: 0,
    who: 'unknown',
    why: 'plain value in Redis',
    at: '',
  })
  if (t === 'true' || t === '1' || t === 'on') return plain(true)
  if (t === 'false' || t === '0' || t === 'off') return plain(false)
  try {
    const v = JSON.parse(raw) as Record<string, unknown>
    const value = typeof v.value === 'boolean' ? v.value : typeof v.enabled === 'boolean' ? v.enabled : null
    if (value === null) return null
    return {
      value,
      version: typeof v.version === 'number' && Number.isFinite(v.version) ? v.version : 0,
      who: typeof v.who === 'string' ? v.who : 'unknown',
      why: typeof v.why === 'string' ? v.why : '',
      at: typeof v.at === 'string' ? v.at : '',
      ...(typeof v.source === 'string' && { source: v.source }),
    }
  } catch {
    return null
  }
}

/** A container, as the killswitch remembers it across restarts (in its Redis record). */
export interface FrozenRef {
  id: string
  name: string
  service: string
  endpoint: string
}

/** The frozen-container list of a stored killswitch record; anything malformed is dropped. */
export function refs(x: unknown): FrozenRef[] {
  if (!Array.isArray(x)) return []
  return x.flatMap((r) => {
    const o = r as Partial<FrozenRef> | null
    return o && typeof o.id === 'string' && typeof o.endpoint === 'string'
      ? [{ id: o.id, endpoint: o.endpoint, name: typeof o.name === 'string' ? o.name : o.id.slice(0, 12), service: typeof o.service === 'string' ? o.service : '' }]
      : []
  })
}
