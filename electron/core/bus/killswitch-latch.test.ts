import { describe, expect, it } from 'vitest'
import { AgentRegistry } from './agent-registry'
import { Killswitch, type KillswitchMirror, type KillswitchStore, type StoredKillswitch } from './killswitch'

/** Minimal in-memory Redis key + channel; `down` fails every call like a lost connection. */
class MemStore implements KillswitchStore {
  kv = new Map<string, string>()
  down = false
  private check() {
    if (this.down) throw new Error("Stream isn't writeable")
  }
  async get(key: string) {
    this.check()
    return this.kv.get(key) ?? null
  }
  async set(key: string, v: string) {
    this.check()
    this.kv.set(key, v)
  }
  async setIfAbsent(key: string, v: string) {
    this.check()
    if (this.kv.has(key)) return false
    this.kv.set(key, v)
    return true
  }
  async setVersioned(key: string, rec: Record<string, unknown>) {
    this.check()
    const cur = this.kv.get(key)
    const v = cur ? (JSON.parse(cur) as { version: number }).version : 0
    const out = JSON.stringify({ ...rec, version: v + 1 })
    this.kv.set(key, out)
    return out
  }
  async publish() {
    this.check()
    return 0
  }
}

const KEY = 'stackdeck:killswitch'
const memMirror = (): KillswitchMirror & { rec: StoredKillswitch | null } => {
  const m = {
    rec: null as StoredKillswitch | null,
    load: () => m.rec,
    save: (r: StoredKillswitch) => void (m.rec = { ...r }),
  }
  return m
}

function make(store: MemStore, mirror?: KillswitchMirror) {
  return new Killswitch(
    store,
    new AgentRegistry({ timeoutMs: 60_000 }),
    { setTradingEnabled: async () => undefined, audit: async () => undefined },
    { key: KEY, channel: 'risk.killswitch', ackChannel: 'risk.killswitch.ack', ackTimeoutMs: 20, pausesStack: false, now: Date.now, ...(mirror && { mirror }) },
  )
}
const ctx = { who: 'trader', door: 'http' as const }

describe('killswitch latch', () => {
  it('a release re-arms the switch but keeps trading latched until resume', async () => {
    const store = new MemStore()
    const ks = make(store)
    await ks.load()
    await ks.engage({ reason: 'drill', ...ctx })
    const rel = await ks.release({ reason: 'over', ...ctx })
    expect(rel.state).toMatchObject({ engaged: false, latched: true })
    expect(rel.warnings.join(' ')).toMatch(/Trading stays DISABLED until someone runs "Resume trading"/)
    expect(JSON.parse(store.kv.get(KEY) ?? '{}')).toMatchObject({ engaged: false, latched: true })
    const resumed = await ks.resume({ reason: 'all clear', who: 'trader' })
    expect(resumed).toMatchObject({ engaged: false, latched: false, who: 'trader' })
    expect(JSON.parse(store.kv.get(KEY) ?? '{}')).toMatchObject({ latched: false })
  })

  it('refuses to resume while engaged, while not latched, and while Redis is down', async () => {
    const store = new MemStore()
    const ks = make(store)
    await ks.load()
    await expect(ks.resume({ reason: 'x', who: 't' })).rejects.toThrow(/not held off/)
    await ks.engage({ reason: 'drill', ...ctx })
    await expect(ks.resume({ reason: 'x', who: 't' })).rejects.toThrow(/engaged: release it first/)
    await ks.release({ reason: 'over', ...ctx })
    store.down = true
    await expect(ks.resume({ reason: 'x', who: 't' })).rejects.toThrow(/Redis is unavailable/)
    expect(ks.latched).toBe(true)
  })

  it('is unknown until read from Redis, and again after the link drops', async () => {
    const store = new MemStore()
    const ks = make(store)
    expect(ks.known).toBe(false)
    await ks.load()
    expect(ks.known).toBe(true)
    ks.markStale()
    expect(ks.known).toBe(false)
  })

  it('a restarted Stackdeck re-asserts the latch when Redis lost the key', async () => {
    const mirror = memMirror()
    const store = new MemStore()
    const first = make(store, mirror)
    await first.load()
    await first.engage({ reason: 'drill', ...ctx })
    await first.release({ reason: 'over', ...ctx })
    store.kv.clear() // Redis restarted without persistence
    const second = make(store, mirror)
    expect(second.latched).toBe(true)
    await second.load()
    expect(second.latched).toBe(true)
    expect(JSON.parse(store.kv.get(KEY) ?? '{}')).toMatchObject({ engaged: false, latched: true })
  })
})
