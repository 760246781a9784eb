/**
 * The `trading_enabled` flag the trading services obey. Stored state with a version (Redis key in
 * production: redis-trading-flag.ts), so a reader can tell a new decision from a re-announcement.
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

export type FlagSource = 'schedule' | 'override' | 'killswitch' | 'manual'

export interface FlagWrite {
  who: string
  why: string
  /** A FlagSource, or another subsystem's name. */
  source: string
}

export interface TradingFlag {
  get(): Promise<FlagState | null>
  set(value: boolean, meta: FlagWrite): Promise<FlagState>
}

/** In-process flag for tests and Redis-less previews. */
export class MemoryTradingFlag implements TradingFlag {
  private state: FlagState | null
  readonly writes: Array<FlagState & { source: string }> = []

  constructor(
    initial: boolean | FlagState | null = null,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.state =
      initial === null
        ? null
        : typeof initial === 'boolean'
          ? { value: initial, version: 1, who: 'initial', why: 'initial state', at: now().toISOString() }
          : initial
  }

  async get(): Promise<FlagState | null> {
    return this.state
  }

  async set(value: boolean, meta: FlagWrite): Promise<FlagState> {
    const st: FlagState = {
      value,
      version: (this.state?.version ?? 0) + 1,
      who: meta.who,
      why: meta.why,
      at: this.now().toISOString(),
    }
    this.state = st
    this.writes.push({ ...st, source: meta.source })
    return st
  }
}
