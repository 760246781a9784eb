import { describe, expect, it } from 'vitest'
import { AgentRegistry } from './agent-registry'
import {
  Killswitch,
  type KillswitchAuditRecord,
  type KillswitchDeps,
  type KillswitchStore,
} from './killswitch'

/** In-memory stand-in for the Redis key + channel; `down` makes every call fail like a lost connection. */
class MemStore implements KillswitchStore {
  kv = new Map<string, string>()
  published: Array<{ channel: string; message: Record<string, unknown> }> = []
  down = false
  /** When set, get() answers with the value at call time but only once this promise settles. */
  getGate: Promise<void> | null = null
  onPublish: ((m: Record<string, unknown>) => void) | null = null
  private check() {
    if (this.down) throw new Error("Stream isn't writeable")
  }
  async get(key: string) {
    this.check()
    const v = this.kv.get(key) ?? null
    if (this.getGate) await this.getGate
    return v
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
  async publish(channel: string, message: string) {
    this.check()
    const m = JSON.parse(message) as Record<string, unknown>
    this.published.push({ channel, message: m })
    queueMicrotask(() => this.onPublish?.(m))
    return 1
  }
}

const T0 = 1_700_000_000_000
const KEY = 'stackdeck:killswitch'

function setup(opts: { pausesStack?: boolean; ackTimeoutMs?: number; deps?: Partial<KillswitchDeps> } = {}) {
  const store = new MemStore()
  const registry = new AgentRegistry({ timeoutMs: 60_000 })
  const calls: string[] = []
  const audits: KillswitchAuditRecord[] = []
  const deps: KillswitchDeps = {
    setTradingEnabled: async (enabled, who, why) => void calls.push(`trading:${enabled}:${who}:${why}`),
    pauseStack: async (why, who) => void calls.push(`pauseStack:${who}:${why}`),
    pauseAgentContainer: async (id) => void calls.push(`pauseAgent:${id}`),
    audit: async (r) => void audits.push(r),
    ...opts.deps,
  }
  const now = () => Date.now()
  const ks = new Killswitch(store, registry, deps, {
    key: KEY,
    channel: 'risk.killswitch',
    ackChannel: 'risk.killswitch.ack',
    ackTimeoutMs: opts.ackTimeoutMs ?? 150,
    pausesStack: opts.pausesStack ?? false,
    now,
  })
  const agent = (id: string, group: string) =>
    registry.beat({ agent_id: id, name: id, group, status: 'active', timestamp: T0 }, Date.now())
  return { store, registry, calls, audits, ks, agent }
}

describe('Killswitch engage', () => {
  it('stores a versioned record, disables trading, announces with a request id and audits', async () => {
    const { store, calls, audits, ks } = setup()
    const r = await ks.engage({ reason: 'flash crash', who: 'alice', door: 'ipc' })
    expect(r.state).toMatchObject({
      engaged: true,
      reason: 'flash crash',
      who: 'alice',
      version: 1,
      stored: true,
    })
    expect(JSON.parse(store.kv.get(KEY)!)).toMatchObject({ engaged: true, version: 1, who: 'alice' })
    expect(calls).toEqual(['trading:false:alice:killswitch: flash crash'])
    expect(store.published[0]).toMatchObject({
      channel: 'risk.killswitch',
      message: { engaged: true, version: 1, ack_channel: 'risk.killswitch.ack' },
    })
    expect(store.published[0]!.message['request_id']).toBe(r.state.lastRound!.requestId)
    expect(r.actions).toMatchObject({
      store: { status: 'ok' },
      trading: { status: 'ok' },
      announce: { status: 'ok' },
      stackPause: { status: 'skipped' },
      audit: { status: 'ok' },
    })
    expect(audits).toHaveLength(1)
    expect(audits[0]).toMatchObject({
      action: 'killswitch.engage',
      who: 'alice',
      door: 'ipc',
      ok: true,
      version: 1,
    })
    const again = await ks.engage({ reason: 'still bad', who: 'bob', door: 'http' })
    expect(again.state.version).toBe(2)
  })

  it('pauses the stack when configured', async () => {
    const { calls, ks } = setup({ pausesStack: true })
    await ks.engage({ reason: 'r', who: 'w', door: 'ipc' })
    expect(calls).toContain('pauseStack:w:killswitch: r')
  })

  it('pauses execution agents that do not ack, but not those that did, already paused ones, or other groups', async () => {
    const { store, registry, calls, ks, agent } = setup({ ackTimeoutMs: 200 })
    agent('exec-ack', 'execution')
    agent('exec-silent', 'execution')
    agent('exec-frozen', 'execution')
    agent('signals-silent', 'signals')
    registry.setPausedContainers(
      [{ containerId: 'a'.repeat(64), name: 'frozen', agentLabel: 'exec-frozen' }],
      Date.now(),
    )
    store.onPublish = (m) =>
      ks.onAck({ agent_id: 'exec-ack', request_id: String(m['request_id']) }, Date.now())
    const r = await ks.engage({ reason: 'r', who: 'w', door: 'ipc' })
    const round = r.state.lastRound!
    expect(round.acked.map((a) => a.agentId)).toEqual(['exec-ack'])
    expect(round.paused).toEqual([{ agentId: 'exec-silent', ok: true }])
    expect(round.alreadyPaused).toEqual(['exec-frozen'])
    expect(round.silent).toEqual(['signals-silent'])
    expect(calls.filter((c) => c.startsWith('pauseAgent'))).toEqual(['pauseAgent:exec-silent'])
    expect(round.endedAt).not.toBeNull()
  })

  it('finishes early when every execution agent acked', async () => {
    const { store, ks, agent } = setup({ ackTimeoutMs: 10_000 })
    agent('e1', 'execution')
    store.onPublish = (m) => ks.onAck({ agent_id: 'e1', request_id: String(m['request_id']) }, Date.now())
    const t = Date.now()
    const r = await ks.engage({ reason: 'r', who: 'w', door: 'ipc' })
    expect(Date.now() - t).toBeLessThan(2000)
    expect(r.state.lastRound!.paused).toEqual([])
  })

  it('ignores acks for another request', async () => {
    const { store, ks, agent, calls } = setup({ ackTimeoutMs: 100 })
    agent('e1', 'execution')
    store.onPublish = () => ks.onAck({ agent_id: 'e1', request_id: 'some-old-request' }, Date.now())
    await ks.engage({ reason: 'r', who: 'w', door: 'ipc' })
    expect(calls).toContain('pauseAgent:e1')
  })

  it('reports a failed container pause instead of hiding it', async () => {
    const { ks, agent } = setup({
      ackTimeoutMs: 50,
      deps: { pauseAgentContainer: async () => Promise.reject(new Error('no such container')) },
    })
    agent('e1', 'execution')
    const r = await ks.engage({ reason: 'r', who: 'w', door: 'ipc' })
    expect(r.state.lastRound!.paused).toEqual([{ agentId: 'e1', ok: false, error: 'no such container' }])
    expect(r.warnings.join(' ')).toMatch(/e1 did not acknowledge and could not be paused/)
  })

  it('still stops trading and pauses when Redis is down, and writes the state on reconnect', async () => {
    const { store, calls, ks, agent } = setup({ pausesStack: true, ackTimeoutMs: 50 })
    agent('e1', 'execution')
    store.down = true
    const r = await ks.engage({ reason: 'redis flaky', who: 'w', door: 'ipc' })
    expect(r.state).toMatchObject({ engaged: true, stored: false })
    expect(r.actions.store.status).toBe('failed')
    expect(r.actions.announce.status).toBe('failed')
    expect(calls).toEqual(
      expect.arrayContaining([
        'trading:false:w:killswitch: redis flaky',
        'pauseStack:w:killswitch: redis flaky',
        'pauseAgent:e1',
      ]),
    )
    store.down = false
    const s = await ks.load()
    expect(s).toMatchObject({ engaged: true, stored: true, version: 1 })
    expect(JSON.parse(store.kv.get(KEY)!)).toMatchObject({ engaged: true, reason: 'redis flaky' })
  })
})

describe('Killswitch release and load', () => {
  it('releases deliberately, without re-enabling trading, and audits', async () => {
    const { store, calls, audits, ks } = setup()
    await ks.engage({ reason: 'r', who: 'alice', door: 'ipc' })
    const r = await ks.release({ reason: 'all clear', who: 'admin', door: 'http' })
    expect(r.state).toMatchObject({ engaged: false, who: 'admin', reason: 'all clear', version: 2 })
    expect(calls.filter((c) => c.startsWith('trading'))).toEqual(['trading:false:alice:killswitch: r'])
    expect(store.published.at(-1)!.message).toMatchObject({ engaged: false, version: 2 })
    expect(audits.map((a) => [a.action, a.ok])).toEqual([
      ['killswitch.engage', true],
      ['killswitch.release', true],
    ])
  })

  it('refuses to release when not engaged, or when the release cannot be stored, and audits the refusal', async () => {
    const { store, audits, ks } = setup()
    await expect(ks.release({ reason: 'x', who: 'a', door: 'ipc' })).rejects.toMatchObject({
      code: 'conflict',
    })
    await ks.engage({ reason: 'r', who: 'a', door: 'ipc' })
    store.down = true
    await expect(ks.release({ reason: 'x', who: 'a', door: 'ipc' })).rejects.toMatchObject({
      code: 'unavailable',
    })
    expect(ks.view().engaged).toBe(true)
    expect(audits.filter((a) => a.action === 'killswitch.release').map((a) => a.ok)).toEqual([false, false])
  })

  it('takes the stored state on load (another instance engaged it)', async () => {
    const { store, ks } = setup()
    store.kv.set(KEY, JSON.stringify({ engaged: true, reason: 'elsewhere', who: 'bob', at: 'x', version: 7 }))
    const changes: boolean[] = []
    ks.onChange((s) => changes.push(s.engaged))
    expect(await ks.load()).toMatchObject({ engaged: true, reason: 'elsewhere', version: 7, stored: true })
    expect(changes).toEqual([true])
  })

  it('re-asserts an engaged state Redis lost, but never resurrects a release over an engage', async () => {
    const { store, ks } = setup()
    await ks.engage({ reason: 'r', who: 'a', door: 'ipc' })
    await ks.engage({ reason: 'r2', who: 'a', door: 'ipc' })
    store.kv.clear()
    expect(await ks.load()).toMatchObject({ engaged: true, version: 2 })
    expect(JSON.parse(store.kv.get(KEY)!)).toMatchObject({ engaged: true, version: 2 })
    // Rolled back to an older engaged-less snapshot: ours (engaged, newer) wins.
    store.kv.set(KEY, JSON.stringify({ engaged: false, reason: null, who: null, at: null, version: 1 }))
    expect(await ks.load()).toMatchObject({ engaged: true, version: 2 })
    // A newer release written by someone else is taken.
    store.kv.set(KEY, JSON.stringify({ engaged: false, reason: 'ok', who: 'b', at: 'x', version: 3 }))
    expect(await ks.load()).toMatchObject({ engaged: false, version: 3 })
  })

  it('discards a re-read that overlapped its own release (no flip back to engaged)', async () => {
    const { store, ks } = setup()
    await ks.engage({ reason: 'r', who: 'a', door: 'ipc' })
    let open!: () => void
    store.getGate = new Promise<void>((r) => (open = r))
    const staleLoad = ks.load() // reads "engaged v1", answer held back
    await new Promise((r) => setImmediate(r))
    store.getGate = null
    await ks.release({ reason: 'ok', who: 'b', door: 'ipc' })
    open()
    await staleLoad
    expect(ks.view()).toMatchObject({ engaged: false, version: 2 })
  })

  it('does not make an engage wait behind a slow re-read', async () => {
    const { store, ks } = setup()
    store.getGate = new Promise<void>(() => undefined) // a GET that never answers
    void ks.load()
    await new Promise((r) => setImmediate(r))
    store.getGate = null
    const r = await ks.engage({ reason: 'now', who: 'a', door: 'ipc' })
    expect(r.state.engaged).toBe(true)
  })

  it('keeps the known state when the key holds garbage', async () => {
    const { store, ks } = setup()
    await ks.engage({ reason: 'r', who: 'a', door: 'ipc' })
    store.kv.set(KEY, 'garbage')
    expect(await ks.load()).toMatchObject({ engaged: true, version: 1 })
  })
})

describe('Killswitch: what someone else froze stays frozen', () => {
  const ref = (id: string) => ({ id, name: `ctr-${id}`, service: 'svc', endpoint: 'local' })

  it('records what it froze in the stored record; a release after a restart resumes exactly that', async () => {
    const resumed: string[][] = []
    const deps: Partial<KillswitchDeps> = {
      pauseStack: async () => ({ paused: [ref('a'), ref('b')], alreadyPaused: [ref('held')] }),
      pauseAgentContainer: async () => ({ paused: [], alreadyPaused: [ref('b')] }),
      resumeContainers: async (refs) => {
        resumed.push(refs.map((r) => r.id))
        return { resumed: refs.filter((r) => r.id !== 'b'), notPaused: refs.filter((r) => r.id === 'b'), failed: [] }
      },
    }
    const first = setup({ pausesStack: true, deps })
    const eng = await first.ks.engage({ reason: 'r', who: 'w', door: 'ipc' })
    expect(eng.state.frozen?.map((r) => r.id)).toEqual(['a', 'b'])
    expect(eng.state.leftAlone?.map((r) => r.id)).toEqual(['held'])
    expect(eng.warnings.join(' ')).toContain('Already paused before the killswitch, and left as they are by a release: ctr-held')
    const stored = JSON.parse(first.store.kv.get(KEY)!) as { frozen: Array<{ id: string }>; leftAlone: Array<{ id: string }> }
    expect(stored.frozen.map((r) => r.id)).toEqual(['a', 'b'])
    expect(stored.leftAlone.map((r) => r.id)).toEqual(['held'])

    // Stackdeck restarts: a new killswitch over the same Redis record.
    const second = setup({ deps })
    second.store.kv = first.store.kv
    await second.ks.load()
    const rel = await second.ks.release({ reason: 'ok now', who: 'admin', door: 'http' })
    expect(resumed).toEqual([['a', 'b']])
    expect(rel.warnings.join(' ')).toContain('Left paused, as they were before the killswitch engaged: ctr-held')
    expect(rel.warnings.join(' ')).toContain('Resumed the containers the killswitch had paused: ctr-a')
    expect(rel.warnings.join(' ')).toContain('resumed by someone else meanwhile), left as they are: ctr-b')
    expect(rel.warnings.join(' ')).toContain('Trading stays DISABLED until someone runs')
    const after = JSON.parse(second.store.kv.get(KEY)!) as { engaged: boolean; frozen: unknown[] }
    expect(after).toMatchObject({ engaged: false, latched: true, frozen: [] })
  })

  it('keeps what failed to resume in the stored state and says so', async () => {
    const { ks, store } = setup({
      pausesStack: true,
      deps: {
        pauseStack: async () => ({ paused: [ref('a')], alreadyPaused: [] }),
        resumeContainers: async (refs) => ({ resumed: [], notPaused: [], failed: refs.map((r) => ({ ...r, error: 'engine down' })) }),
      },
    })
    await ks.engage({ reason: 'r', who: 'w', door: 'ipc' })
    const rel = await ks.release({ reason: 'x', who: 'admin', door: 'http' })
    expect(rel.warnings.join(' ')).toContain('Could not resume: ctr-a (engine down). They are still paused')
    expect((JSON.parse(store.kv.get(KEY)!) as { frozen: Array<{ id: string }> }).frozen.map((r) => r.id)).toEqual(['a'])
  })

  it('a release with nothing frozen by it unpauses nothing', async () => {
    let called = false
    const { ks } = setup({ pausesStack: true, deps: { pauseStack: async () => ({ paused: [], alreadyPaused: [ref('held')] }), resumeContainers: async () => ((called = true), { resumed: [], notPaused: [], failed: [] }) } })
    await ks.engage({ reason: 'r', who: 'w', door: 'ipc' })
    const rel = await ks.release({ reason: 'x', who: 'admin', door: 'http' })
    expect(called).toBe(false)
    expect(rel.warnings.join(' ')).toContain('Nothing was unpaused')
  })
})
