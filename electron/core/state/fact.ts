/**
 * Building blocks of the safety state: a fact is known {value, version, at, source} or unknown
 * {since, reason}. `FactCell` gives facts that have no version of their own (the bus connection,
 * an engine, the schedule) one that only goes forward: it bumps whenever the value changes.
 */

export interface KnownFact<T> {
  known: true
  value: T
  version: number
  at: string
  source: string
}

export interface UnknownFact {
  known: false
  since: string
  reason: string
}

export type FactOf<T> = KnownFact<T> | UnknownFact

export const unknownFact = (since: string | number, reason: string): UnknownFact => ({
  known: false,
  since: typeof since === 'number' ? new Date(since).toISOString() : since,
  reason,
})

export class FactCell<T> {
  private key: string | null = null
  private version = 0
  private at = ''
  private unknownSince: string | null = null
  private unknownReason: string | null = null

  /** `now` is used as `at` only when the value changes, so a re-confirmed value keeps its time. */
  known(value: T, source: string, now: number): KnownFact<T> {
    const key = JSON.stringify(value)
    if (key !== this.key || this.unknownSince !== null) {
      this.key = key
      this.version++
      this.at = new Date(now).toISOString()
      this.unknownSince = null
      this.unknownReason = null
    }
    return { known: true, value, version: this.version, at: this.at, source }
  }

  /** Keeps the first `since` of an outage, so "unknown since 20:01:13" does not creep forward. */
  unknown(reason: string, now: number, since?: string): UnknownFact {
    if (this.unknownSince === null || this.unknownReason !== reason) {
      this.unknownSince = since ?? new Date(now).toISOString()
      this.unknownReason = reason
      this.key = null
    }
    return unknownFact(this.unknownSince, reason)
  }
}
