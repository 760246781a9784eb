import type { FlagState } from '../api/records'

export type { FlagState }

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
