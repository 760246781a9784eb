import { TRADING_SOURCES, type SafetyStateT } from '../api/contract/state'
import type { ConnectionInfoT, KillswitchStateT, TradingStateT } from '../api/contract/bus'
import type { StackSnapshot } from '../stack/types'
import { parseFlagRecord } from '../api/records'
import { FactCell } from './fact'

/**
 * The one model of every safety-relevant fact (DESIGN.md, "State the trader relies on"). It reads
 * the modules that own each fact through small getters, never caches a value past its source:
 * trading and the killswitch turn unknown the moment the Redis link drops, containers the moment
 * their engine does. Every door serves what `current()` returns, and `state.changed` carries it.
 */

type Source = (typeof TRADING_SOURCES)[number]

export interface SafetySources {
  connection(): ConnectionInfoT
  killswitch(): KillswitchStateT & { known: boolean; unknownSince: number; resumeMode: 'manual' | 'next-start' }
  trading(): TradingStateT
  snapshot(): StackSnapshot
  /** null: the schedule is switched off in the settings. */
  schedule():
    | {
        configured: boolean
        desired: boolean | null
        source: 'schedule' | 'override' | 'none'
        next: { kind: 'start' | 'stop'; at: string } | null
        vetoed: string | null
      }
    | null
}

export interface SafetyModelOptions {
  now?: () => number
  /** How often sources are re-read for changes, and how often a liveness beat goes out. */
  tickMs?: number
  beatMs?: number
}

const asSource = (s: unknown): Source =>
  typeof s === 'string' && (TRADING_SOURCES as readonly string[]).includes(s) ? (s as Source) : 'other'

const sourceOf = (raw: string): unknown => {
  try {
    return (JSON.parse(raw) as { source?: unknown }).source
  } catch {
    return undefined
  }
}

export class SafetyModel {
  private readonly now: () => number
  private readonly cells = {
    bus: new FactCell<unknown>(),
    schedule: new FactCell<unknown>(),
    containers: new FactCell<unknown>(),
    engines: new Map<string, FactCell<unknown>>(),
    trading: new FactCell<unknown>(),
    killswitch: new FactCell<unknown>(),
  }
  private version: number
  private lastKey = ''
  private last: SafetyStateT | null = null
  private readonly listeners = new Set<(s: SafetyStateT) => void>()
  private tickTimer: NodeJS.Timeout | null = null
  private beatTimer: NodeJS.Timeout | null = null

  constructor(
    private readonly sources: SafetySources,
    private readonly opts: SafetyModelOptions = {},
  ) {
    this.now = opts.now ?? Date.now
    // Seeded from the clock so a restarted core never hands out a version a client already holds.
    this.version = this.now() * 1000
  }

  start(): void {
    this.refresh()
    this.tickTimer = setInterval(() => this.refresh(), this.opts.tickMs ?? 200)
    this.tickTimer.unref?.()
    this.beatTimer = setInterval(() => this.beat(), this.opts.beatMs ?? 1000)
    this.beatTimer.unref?.()
  }

  stop(): void {
    if (this.tickTimer) clearInterval(this.tickTimer)
    if (this.beatTimer) clearInterval(this.beatTimer)
    this.tickTimer = this.beatTimer = null
  }

  onChange(listener: (s: SafetyStateT) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** The model as of now (re-read from the sources; bumps the version if anything changed). */
  current(): SafetyStateT {
    return this.refresh()
  }

  /** Re-read the sources; on a change, bump the version and tell listeners. Call after any write. */
  refresh(): SafetyStateT {
    const now = this.now()
    const facts = this.build(now)
    const key = JSON.stringify(facts)
    if (key !== this.lastKey || this.last === null) {
      this.lastKey = key
      this.version = Math.max(this.version + 1, now * 1000)
      this.last = { version: this.version, at: new Date(now).toISOString(), ...facts }
      this.emit(this.last)
    }
    return this.last
  }

  private beat(): void {
    if (!this.last) return
    this.last = { ...this.last, at: new Date(this.now()).toISOString() }
    this.emit(this.last)
  }

  private emit(s: SafetyStateT): void {
    for (const l of this.listeners) {
      try {
        l(s)
      } catch (err) {
        console.error('[state] listener failed:', err)
      }
    }
  }

  private build(now: number): Omit<SafetyStateT, 'version' | 'at'> {
    const conn = this.sources.connection()
    const ready = conn.state === 'ready'
    const redisDown = `Redis unreachable${conn.error ? ` (${conn.error})` : ''}`
    const bus = this.cells.bus.known({ state: conn.state, url: conn.url, error: conn.error }, 'stackdeck', now)

    // Killswitch. Engaged here but not yet stored (Redis was down) is known: we did it.
    const ks = this.sources.killswitch()
    const killswitch: SafetyStateT['killswitch'] =
      ks.known
        ? {
            known: true,
            value: {
              engaged: ks.engaged,
              reason: ks.reason,
              who: ks.who,
              changedAt: ks.at,
              latched: ks.latched,
              resumeMode: ks.resumeMode,
              stored: ks.stored,
            },
            version: ks.version,
            at: ks.at ?? new Date(now).toISOString(),
            source: ks.stored ? 'redis' : 'stackdeck (not yet stored in Redis)',
          }
        : this.cells.killswitch.unknown(
            ready ? 'not read from Redis yet' : redisDown,
            now,
            new Date(ready ? now : Math.min(ks.unknownSince, Date.parse(conn.since) || now)).toISOString(),
          )

    // Trading: what the services obey is the key in Redis; without a fresh read we do not know it.
    const tr = this.sources.trading()
    let trading: SafetyStateT['trading']
    if (!ready || tr.readAt === null) {
      trading = this.cells.trading.unknown(ready ? 'not read from Redis yet' : redisDown, now, ready ? undefined : conn.since)
    } else {
      const rec = parseFlagRecord(tr.raw)
      if (tr.raw === null) trading = this.cells.trading.unknown(`${tr.key} is not set in Redis`, now)
      else if (rec === null) trading = this.cells.trading.unknown(`${tr.key} holds something unreadable`, now)
      else
        trading = {
          known: true,
          value: {
            enabled: rec.value,
            source: asSource(sourceOf(tr.raw)),
            who: rec.who,
            why: rec.why,
            since: rec.at,
          },
          version: rec.version,
          at: rec.at || tr.readAt,
          source: 'redis',
        }
    }

    const snap = this.sources.snapshot()
    const engines: SafetyStateT['engines'] = snap.endpoints.map((e) => {
      let cell = this.cells.engines.get(e.id)
      if (!cell) this.cells.engines.set(e.id, (cell = new FactCell()))
      const live = e.reachable && e.watching
      const value = { reachable: live, error: live ? null : (e.error ?? 'its events stream is not connected') }
      return { id: e.id, fact: cell.known(value, `docker:${e.id}`, now) as SafetyStateT['engines'][number]['fact'] }
    })
    const down = snap.endpoints.filter((e) => !(e.reachable && e.watching))
    let containers: SafetyStateT['containers']
    if (snap.endpoints.length > 0 && down.length === snap.endpoints.length) {
      const first = down[0]
      containers = this.cells.containers.unknown(
        `Docker engine${down.length > 1 ? 's' : ''} unreachable${first?.error ? ` (${first.error})` : ''}`,
        now,
        first?.since,
      )
    } else {
      const all = snap.services.flatMap((s) => s.containers)
      const seen = new Set<string>()
      let running = 0
      let paused = 0
      let other = 0
      for (const c of all) {
        const k = `${c.endpoint}/${c.id}`
        if (seen.has(k)) continue
        seen.add(k)
        if (c.state === 'running') running++
        else if (c.state === 'paused') paused++
        else other++
      }
      containers = this.cells.containers.known(
        { total: seen.size, running, paused, other, unreachable: down.map((e) => e.id) },
        'docker',
        now,
      ) as SafetyStateT['containers']
    }

    const sch = this.sources.schedule()
    const schedule = this.cells.schedule.known(
      sch
        ? {
            configured: sch.configured,
            desired: sch.desired,
            source: sch.source,
            nextKind: sch.next?.kind ?? null,
            nextAt: sch.next?.at ?? null,
            vetoed: sch.vetoed,
          }
        : { configured: false, desired: null, source: 'none', nextKind: null, nextAt: null, vetoed: null },
      sch ? 'schedule' : 'settings (schedule.enabled = false)',
      now,
    ) as SafetyStateT['schedule']

    return { trading, killswitch, bus: bus as SafetyStateT['bus'], engines, schedule, containers }
  }
}

