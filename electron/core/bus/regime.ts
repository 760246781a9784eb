import { checkShape, MAX_INPUT_DEPTH } from '../api/bounded-shape'
import type { RegimeViewT } from '../api/contract/bus'
import { DEFAULT_MAX_ENTRIES } from './ingest'
import { isRegime, type RegimePayload } from './payload-schemas'
import { epochToIso } from './time'

/** What the regime tracker needs from Redis; a stand-in in unit tests. */
export interface RegimeStore {
  get(key: string): Promise<string | null>
  set(key: string, value: string): Promise<void>
}

export interface RegimeOptions {
  /** Key the latest regime is copied into, so a restarted Stackdeck still shows it (with its age). null: memory only. */
  key: string | null
  /** At most one key write per this interval; the latest payload wins. */
  storeEveryMs?: number
  now: () => number
}

interface Latest {
  payload: RegimePayload
  receivedAt: number
  source: 'live' | 'stored'
}

/**
 * The latest `quant.regime.state` and its age. Pub/sub loses messages across restarts, so the
 * last one is also kept in a key: after a restart the UI shows the old regime AND how old it is,
 * never a stale regime that looks fresh.
 */
export class RegimeTracker {
  private latest: Latest | null = null
  private timer: NodeJS.Timeout | null = null
  private lastWrite = 0
  private readonly storeEveryMs: number
  rev = 0
  storeErrors = 0
  /** Stored regimes ignored because they broke a bound or the schema. */
  loadRefused = 0

  constructor(
    private readonly store: RegimeStore,
    private readonly opts: RegimeOptions,
  ) {
    this.storeEveryMs = opts.storeEveryMs ?? 1000
  }

  update(payload: RegimePayload, now: number): void {
    this.latest = { payload, receivedAt: now, source: 'live' }
    this.rev++
    this.scheduleWrite(now)
  }

  private scheduleWrite(now: number): void {
    if (this.opts.key === null || this.timer !== null) return
    const wait = Math.max(0, this.lastWrite + this.storeEveryMs - now)
    this.timer = setTimeout(() => {
      this.timer = null
      void this.write()
    }, wait)
    this.timer.unref?.()
  }

  private async write(): Promise<void> {
    const key = this.opts.key
    const l = this.latest
    if (key === null || l === null || l.source !== 'live') return
    this.lastWrite = this.opts.now()
    try {
      await this.store.set(key, JSON.stringify({ payload: l.payload, receivedAt: l.receivedAt }))
    } catch {
      this.storeErrors++
    }
  }

  /** Re-read the stored regime (start-up, reconnect); a newer live one in memory wins. */
  async load(): Promise<void> {
    const key = this.opts.key
    if (key === null) return
    const raw = await this.store.get(key)
    if (raw === null) return
    try {
      const v = JSON.parse(raw) as { payload?: unknown; receivedAt?: unknown } | null
      // The key is anyone's to write. What it holds is served as-is by /regime/state and the WS
      // batch, so it passes the same bounds and schema as a live message (+1 level: the wrapper).
      if (typeof v !== 'object' || v === null) return
      if (typeof v.receivedAt !== 'number' || !Number.isFinite(v.receivedAt)) return
      const limits = { maxDepth: MAX_INPUT_DEPTH + 1, maxEntries: DEFAULT_MAX_ENTRIES + 2, finiteOnly: true }
      if (checkShape(v, limits) !== null || !isRegime(v.payload)) {
        this.loadRefused++
        return
      }
      if (this.latest === null || this.latest.receivedAt < v.receivedAt) {
        this.latest = { payload: v.payload, receivedAt: v.receivedAt, source: 'stored' }
        this.rev++
      }
    } catch {
      // A corrupt key is ignored; the next live message replaces it.
    }
  }

  view(now: number): RegimeViewT {
    const l = this.latest
    if (l === null)
      return {
        regime: null,
        confidence: null,
        at: null,
        receivedAt: null,
        ageS: null,
        source: 'none',
        payload: null,
      }
    const p = l.payload
    return {
      regime: typeof p.regime === 'string' ? p.regime : null,
      confidence: typeof p.confidence === 'number' ? p.confidence : null,
      at: typeof p.at === 'number' ? epochToIso(p.at) : typeof p.at === 'string' ? p.at : null,
      receivedAt: new Date(l.receivedAt).toISOString(),
      ageS: Math.max(0, Math.round((now - l.receivedAt) / 100) / 10),
      source: l.source,
      payload: p,
    }
  }

  /** Stop the write timer, writing a pending payload first so a clean shutdown loses nothing. */
  async flush(): Promise<void> {
    if (this.timer === null) return
    clearTimeout(this.timer)
    this.timer = null
    await this.write()
  }
}
