import type { AgentT, KillswitchResultT, KillswitchStateT } from '../api/contract/bus'
import type { Door } from '../api/call-context'
import { CoreError } from '../errors'
import type { KillswitchAck } from './payload-schemas'
import { AckRound } from './killswitch-round'
import { iso } from './time'

/** What the killswitch needs from Redis; `redis-store.ts` implements it, unit tests use a stand-in. */
export interface KillswitchStore {
  get(key: string): Promise<string | null>
  /** Atomically store `record` with `version` = stored version + 1; returns the stored JSON. */
  setVersioned(key: string, record: Record<string, unknown>): Promise<string>
  /** SET NX: re-assert a state Redis lost, unless someone wrote one meanwhile. */
  setIfAbsent(key: string, value: string): Promise<boolean>
  set(key: string, value: string): Promise<void>
  publish(channel: string, message: string): Promise<number>
}

export interface KillswitchAuditRecord {
  action: 'killswitch.engage' | 'killswitch.release'
  who: string
  door: Door
  reason: string
  at: string
  ok: boolean
  version: number
  result: KillswitchResultT | null
  error?: string
}

/** Side effects owned by other modules, injected by the composition root. */
export interface KillswitchDeps {
  setTradingEnabled(enabled: boolean, who: string, why: string): Promise<void>
  pauseStack?(why: string, who: string): Promise<void>
  /** Docker-level pause of the container(s) running this agent. Should succeed if already paused. */
  pauseAgentContainer?(agentId: string, hint: { containerId?: string; hostname?: string }): Promise<void>
  audit(record: KillswitchAuditRecord): Promise<void> | void
  /** Called after a release is stored: e.g. let the schedule re-evaluate trading. Never re-enables by itself. */
  afterRelease?(who: string, why: string): Promise<void>
}

export interface KillswitchOptions {
  key: string
  channel: string
  ackChannel: string
  ackTimeoutMs: number
  /** Also pause the whole stack on engage. */
  pausesStack: boolean
  now: () => number
}

interface Stored {
  engaged: boolean
  reason: string | null
  who: string | null
  at: string | null
  version: number
}

type Actions = KillswitchResultT['actions']
type Outcome = Actions['store']
const skipped = (): Outcome => ({ status: 'skipped' })
const failed = (err: unknown): Outcome => ({
  status: 'failed',
  error: err instanceof Error ? err.message : String(err),
})

function parseStored(raw: string): Stored | null {
  try {
    const v = JSON.parse(raw) as Partial<Stored>
    if (
      typeof v !== 'object' ||
      v === null ||
      typeof v.engaged !== 'boolean' ||
      // 1e999 in the key parses to Infinity: served as null, and every later version compare lies.
      typeof v.version !== 'number' ||
      !Number.isSafeInteger(v.version)
    )
      return null
    const str = (x: unknown) => (typeof x === 'string' ? x : null)
    return { engaged: v.engaged, reason: str(v.reason), who: str(v.who), at: str(v.at), version: v.version }
  } catch {
    return null
  }
}

/**
 * The killswitch. Its state lives in a Redis key (pub/sub only notifies), so it survives restarts
 * and reconnects. Engaging never waits on Redis to stop trading: if the key cannot be written the
 * Docker-level actions still run and the write is retried on reconnect. Releasing is refused
 * unless it is durably stored, so a flaky Redis can only ever leave the switch engaged.
 */
export class Killswitch {
  private state: Stored = { engaged: false, reason: null, who: null, at: null, version: 0 }
  private stored = true
  private pendingWrite: Record<string, unknown> | null = null
  private round: AckRound | null = null
  private chains = {
    ops: Promise.resolve() as Promise<unknown>,
    loads: Promise.resolve() as Promise<unknown>,
  }
  /** Bumped before every write of ours: a read that overlapped a write is stale and discarded. */
  private writeSeq = 0
  private readonly listeners = new Set<(s: KillswitchStateT) => void>()
  rev = 0

  constructor(
    private readonly store: KillswitchStore,
    private readonly agents: {
      list(now: number): AgentT[]
      get(id: string, now: number): AgentT | undefined
    },
    private readonly deps: KillswitchDeps,
    private readonly opts: KillswitchOptions,
  ) {}

  get engaged(): boolean {
    return this.state.engaged
  }

  view(): KillswitchStateT {
    return {
      ...this.state,
      stored: this.stored,
      lastRound: this.round ? structuredClone(this.round.view) : null,
    }
  }

  onChange(listener: (s: KillswitchStateT) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private changed(): void {
    this.rev++
    const v = this.view()
    for (const l of this.listeners) {
      try {
        l(v)
      } catch (err) {
        console.error('[bus] killswitch listener failed:', err)
      }
    }
  }

  /**
   * Engage/release run one at a time, in order. Loads have their own queue so an engage never
   * waits behind a re-read stuck on a half-dead connection.
   */
  private serialize<T>(chain: 'ops' | 'loads', fn: () => Promise<T>): Promise<T> {
    const next = this.chains[chain].then(fn, fn)
    this.chains[chain] = next.catch(() => undefined)
    return next
  }

  /** (Re-)read the key: on start, on every reconnect, and when someone announces a change. */
  load(): Promise<KillswitchStateT> {
    return this.serialize('loads', () => this.doLoad())
  }

  private async doLoad(): Promise<KillswitchStateT> {
    const key = this.opts.key
    if (this.pendingWrite !== null) {
      this.writeSeq++
      this.apply(await this.store.setVersioned(key, this.pendingWrite))
      this.pendingWrite = null
      this.stored = true
      this.changed()
      return this.view()
    }
    const seq = this.writeSeq
    const raw = await this.store.get(key)
    if (seq !== this.writeSeq) return this.view()
    const remote = raw === null ? null : parseStored(raw)
    if (raw !== null && remote === null) {
      console.warn(`[bus] killswitch key ${key} holds something unreadable; keeping the known state`)
      return this.view()
    }
    // Redis lost or rolled back the key (restart without persistence, old snapshot). Only ever
    // resolve that towards "engaged": re-assert an engaged switch we know of, never a release.
    if ((remote === null || remote.version < this.state.version) && this.state.engaged) {
      const mine = JSON.stringify(this.state)
      const ok =
        remote === null ? await this.store.setIfAbsent(key, mine) : (await this.store.set(key, mine), true)
      if (ok) {
        console.warn(
          `[bus] killswitch key ${key} was ${remote === null ? 'missing' : 'older'}; re-asserted the engaged state v${this.state.version}`,
        )
        return this.view()
      }
      return this.doLoad()
    }
    if (remote === null) return this.view()
    const before = JSON.stringify(this.state)
    this.state = remote
    this.stored = true
    if (JSON.stringify(remote) !== before) this.changed()
    return this.view()
  }

  private apply(raw: string): void {
    const s = parseStored(raw)
    if (s === null) throw new Error('Redis returned an unreadable killswitch record')
    this.state = s
  }

  engage(req: { reason: string; who: string; door: Door }): Promise<KillswitchResultT> {
    return this.serialize('ops', () => this.doEngage(req))
  }

  private async doEngage({
    reason,
    who,
    door,
  }: {
    reason: string
    who: string
    door: Door
  }): Promise<KillswitchResultT> {
    const now = this.opts.now()
    const at = iso(now)
    const why = `killswitch: ${reason}`
    const warnings: string[] = []
    const actions: Actions = {
      store: skipped(),
      trading: skipped(),
      announce: skipped(),
      stackPause: skipped(),
      audit: skipped(),
    }

    const record = { engaged: true, reason, who, at }
    try {
      this.writeSeq++
      this.apply(await this.store.setVersioned(this.opts.key, record))
      this.stored = true
      this.pendingWrite = null
      actions.store = { status: 'ok' }
    } catch (err) {
      this.state = { ...record, version: this.state.version + 1 }
      this.stored = false
      this.pendingWrite = record
      actions.store = failed(err)
      warnings.push(
        `The killswitch could not be stored in Redis (${actions.store.error}); it is engaged here and will be written on reconnect.`,
      )
    }
    this.changed()

    try {
      await this.deps.setTradingEnabled(false, who, why)
      actions.trading = { status: 'ok' }
    } catch (err) {
      actions.trading = failed(err)
      warnings.push(`Trading could not be disabled: ${actions.trading.error}`)
    }

    const round = this.startRound(now)
    try {
      await this.store.publish(
        this.opts.channel,
        JSON.stringify({
          type: 'killswitch',
          engaged: true,
          reason,
          who,
          at,
          version: this.state.version,
          request_id: round.view.requestId,
          ack_channel: this.opts.ackChannel,
        }),
      )
      actions.announce = { status: 'ok' }
    } catch (err) {
      actions.announce = failed(err)
      warnings.push(`Agents could not be told (${actions.announce.error}); execution agents will be paused.`)
    }

    if (this.opts.pausesStack) {
      try {
        if (!this.deps.pauseStack) throw new Error('no stack pauser is configured')
        await this.deps.pauseStack(why, who)
        actions.stackPause = { status: 'ok' }
      } catch (err) {
        actions.stackPause = failed(err)
        warnings.push(`The stack could not be paused: ${actions.stackPause.error}`)
      }
    }

    if (actions.announce.status === 'ok') await round.wait()
    const later = this.opts.now()
    const pause = this.deps.pauseAgentContainer?.bind(this.deps)
    await round.pauseSilent((id) => this.agents.get(id, later), pause, warnings)
    round.finish(this.opts.now())

    const result: KillswitchResultT = { state: this.view(), actions, warnings }
    actions.audit = await this.audit({
      action: 'killswitch.engage',
      who,
      door,
      reason,
      at,
      ok: true,
      version: this.state.version,
      result,
    })
    if (actions.audit.status === 'failed')
      warnings.push(`The audit record could not be written: ${actions.audit.error}`)
    this.changed()
    return { state: this.view(), actions, warnings }
  }

  private startRound(now: number): AckRound {
    // Installed before PUBLISH: acks can arrive before PUBLISH's reply does.
    this.round = new AckRound(this.agents.list(now), now, this.opts.ackTimeoutMs)
    return this.round
  }

  onAck(ack: KillswitchAck, now: number): void {
    if (this.round?.ack(ack.agent_id, ack.request_id, now)) this.rev++
  }

  private async audit(rec: KillswitchAuditRecord): Promise<Outcome> {
    try {
      await this.deps.audit(rec)
      return { status: 'ok' }
    } catch (err) {
      return failed(err)
    }
  }

  release(req: { reason: string; who: string; door: Door }): Promise<KillswitchResultT> {
    return this.serialize('ops', () => this.doRelease(req))
  }

  private async doRelease({
    reason,
    who,
    door,
  }: {
    reason: string
    who: string
    door: Door
  }): Promise<KillswitchResultT> {
    const at = iso(this.opts.now())
    const actions: Actions = {
      store: skipped(),
      trading: skipped(),
      announce: skipped(),
      stackPause: skipped(),
      audit: skipped(),
    }
    const warnings: string[] = []
    const refuse = async (err: CoreError): Promise<never> => {
      await this.audit({
        action: 'killswitch.release',
        who,
        door,
        reason,
        at,
        ok: false,
        version: this.state.version,
        result: null,
        error: err.message,
      })
      throw err
    }
    try {
      await this.doLoad()
    } catch (err) {
      return refuse(
        new CoreError(
          'unavailable',
          `Cannot release: Redis is unavailable (${(err as Error).message}); the killswitch stays engaged.`,
          { cause: err },
        ),
      )
    }
    if (!this.state.engaged) return refuse(new CoreError('conflict', 'The killswitch is not engaged.'))
    try {
      this.writeSeq++
      this.apply(await this.store.setVersioned(this.opts.key, { engaged: false, reason, who, at }))
      this.stored = true
      actions.store = { status: 'ok' }
    } catch (err) {
      return refuse(
        new CoreError(
          'unavailable',
          `Cannot release: the release could not be stored (${(err as Error).message}); the killswitch stays engaged.`,
          { cause: err },
        ),
      )
    }
    this.changed()
    try {
      await this.store.publish(
        this.opts.channel,
        JSON.stringify({ type: 'killswitch', engaged: false, reason, who, at, version: this.state.version }),
      )
      actions.announce = { status: 'ok' }
    } catch (err) {
      actions.announce = failed(err)
      warnings.push(`The release is stored but could not be announced: ${actions.announce.error}`)
    }
    if (this.deps.afterRelease) {
      try {
        await this.deps.afterRelease(who, reason)
      } catch (err) {
        warnings.push(`After-release step failed: ${(err as Error).message}`)
      }
    }
    warnings.push('Trading was not re-enabled and nothing was unpaused: do that deliberately.')
    const result: KillswitchResultT = { state: this.view(), actions, warnings }
    actions.audit = await this.audit({
      action: 'killswitch.release',
      who,
      door,
      reason,
      at,
      ok: true,
      version: this.state.version,
      result,
    })
    if (actions.audit.status === 'failed')
      warnings.push(`The audit record could not be written: ${actions.audit.error}`)
    return { state: this.view(), actions, warnings }
  }

  /** Wake a pending ack wait so shutdown is not held up by the ack timeout. */
  dispose(): void {
    this.round?.cancel()
  }
}
