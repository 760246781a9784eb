/**
 * A manual override of the schedule. Persisted (the lead stores it in Redis) so a restart does not
 * silently drop a trader's decision.
 */
export type OverrideUntil = 'next-transition' | 'cleared'

export interface OverrideRecord {
  value: boolean
  until: OverrideUntil
  who: string
  why?: string
  /** ISO instant the override was set. */
  at: string
  /** With until = 'next-transition': the scheduled transition that ends it (ISO); null if none was due. */
  expiresAt: string | null
}

export interface OverrideStore {
  get(): Promise<OverrideRecord | null>
  set(record: OverrideRecord | null): Promise<void>
}

export class MemoryOverrideStore implements OverrideStore {
  constructor(private record: OverrideRecord | null = null) {}

  async get(): Promise<OverrideRecord | null> {
    return this.record
  }

  async set(record: OverrideRecord | null): Promise<void> {
    this.record = record
  }
}

/** Parse a stored override; anything malformed reads as "no override" rather than a crash. */
export function parseOverrideRecord(raw: string | null): OverrideRecord | null {
  if (raw === null) return null
  try {
    const v = JSON.parse(raw) as Partial<OverrideRecord>
    if (typeof v !== 'object' || v === null || typeof v.value !== 'boolean') return null
    if (v.until !== 'next-transition' && v.until !== 'cleared') return null
    if (typeof v.who !== 'string' || typeof v.at !== 'string') return null
    const rec: OverrideRecord = {
      value: v.value,
      until: v.until,
      who: v.who,
      at: v.at,
      expiresAt: typeof v.expiresAt === 'string' ? v.expiresAt : null,
    }
    if (typeof v.why === 'string') rec.why = v.why
    return rec
  } catch {
    return null
  }
}
