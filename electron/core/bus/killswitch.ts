import type { AgentT, KillswitchResultT, KillswitchStateT } from '../api/contract/bus'
import type { Door } from '../api/call-context'
import { CoreError } from '../errors'
import type { KillswitchAck } from './payload-schemas'
import { AckRound } from './killswitch-round'
import { iso } from './time'
import { refs, type FrozenRef } from '../api/records'

export type { FrozenRef }

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

/** The last record this process knew, kept in the state dir so the latch survives a restart even if Redis lost the key. */
export interface KillswitchMirror {
  load(): StoredKillswitch | null
  save(record: StoredKillswitch): void
}

export type ResumeMode = 'manual' | 'next-start'

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


/**
 * What a Docker-level pause did: `paused` were running and this pause froze them; `alreadyPaused`
 * were paused by someone else before, so they are not the killswitch's to resume.
 */
export interface PauseEffect {
  paused: FrozenRef[]
  alreadyPaused: FrozenRef[]
}

/** What a resume did: `resumed` were paused and run again; `notPaused` someone had resumed already. */
export interface ResumeEffect {
  resumed: FrozenRef[]
  notPaused: FrozenRef[]
  failed: Array<FrozenRef & { error: string }>
}

/** Side effects owned by other modules, injected by the composition root. */
export interface KillswitchDeps {
  setTradingEnabled(enabled: boolean, who: string, why: string): Promise<void>
  /** Returns what it froze (void: unknown, then nothing is ever resumed by a release). */
  pauseStack?(why: string, who: string): Promise<PauseEffect | void>
  /** Docker-level pause of the container(s) running this agent. Should succeed if already paused. */
  pauseAgentContainer?(
    agentId: string,
    hint: { containerId?: string; hostname?: string },
  ): Promise<PauseEffect | void>
  /**
   * Unpause exactly these containers (the ones the killswitch itself froze), only where they are
   * still paused. Never called with a container someone else had paused.
   */
  resumeContainers?(refs: FrozenRef[], why: string, who: string): Promise<ResumeEffect>
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
  /** How a latched (released) killswitch lets trading back on; only changes the words here. */
  resumeMode?: ResumeMode
  mirror?: KillswitchMirror
  now: () => number
}

/**
 * `latched`: trading is held off by the killswitch. Set on engage and kept on release (a release
 * re-arms the switch, it does not re-enable trading); only a resume clears it.
 */
export interface StoredKillswitch {
  engaged: boolean
  latched: boolean
  reason: string | null
  who: string | null
  at: string | null
  version: number
  /**
   * Containers the killswitch paused itself and has not resumed yet. Kept in the Redis record so a
   * release after a restart of Stackdeck still knows exactly what is its own to resume.
   */
  frozen: FrozenRef[]
  /** Containers that were already paused (by someone else) when it engaged: never resumed by it. */
  leftAlone: FrozenRef[]
}
type Stored = StoredKillswitch

type Actions = KillswitchResultT['actions']
type Outcome = Actions['store']
const skipped = (): Outcome => ({ status: 'skipped' })
const failed = (err: unknown): Outcome => ({
  status: 'failed',
  error: err instanceof Error ? err.message : String(err),
})

/** What a release tells the trader, word for word in the dialog, the panel, the toast and the README. */
export const RELEASE_NOTE: Record<ResumeMode, string> = {
  manual:
    'The killswitch is released and re-armed. Trading stays DISABLED until someone runs "Resume trading".',
  'next-start':
    'The killswitch is released and re-armed. Trading stays DISABLED until the next scheduled start (or "Resume trading").',
}

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
    // Records written before the latch existed: an engaged one latches, a released one does not.
    const latched = typeof v.latched === 'boolean' ? v.latched || v.engaged : v.engaged
    return {
      engaged: v.engaged,
      latched,
      reason: str(v.reason),
      who: str(v.who),
      at: str(v.at),
      version: v.version,
      frozen: refs(v.frozen),
      leftAlone: refs(v.leftAlone),
    }
  } catch {
    return null
  }
}

/** Records written by older versions have no lists; anything malformed counts as none. */

const keyOf = (r: FrozenRef) => `${r.endpoint}/${r.id}`
function union(a: FrozenRef[], b: FrozenRef[]): FrozenRef[] {
  const seen = new Set(a.map(keyOf))
  return [...a, ...b.filter((r) => !seen.has(keyOf(r)) && (seen.add(keyOf(r)), true))]
}
const without = (a: FrozenRef[], b: FrozenRef[]) => {
  const drop = new Set(b.map(keyOf))
  return a.filter((r) => !drop.has(keyOf(r)))
}
const namesOf = (rs: FrozenRef[]) => rs.map((r) => r.name).join(', ')

/**
 * The killswitch. Its state lives in a Redis key (pub/sub only notifies), so it survives restarts
 * and reconnects. Engaging never waits on Redis to stop trading: if the key cannot be written the
 * Docker-level actions still run and the write is retried on reconnect. Releasing is refused
 * unless it is durably stored, so a flaky Redis can only ever leave the switch engaged.
 */
export class Killswitch {
  private state: Stored = { engaged: false, latched: false, reason: null, who: null, at: null, version: 0, frozen: [], leftAlone: [] }
  private stored = true
  /** A load from Redis succeeded since the link was last ready: the state is known, not remembered. */
  private fresh = false
  private freshSince: number
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
  ) {
    this.freshSince = opts.now()
    // Start from what we last knew (state dir): an engaged or latched switch is re-asserted on the
    // first load if Redis lost it, and until then nothing may treat trading as free to enable.
    try {
      const mirrored = opts.mirror?.load() ?? null
      if (mirrored) this.state = mirrored
    } catch (err) {
      console.warn('[bus] cannot read the killswitch mirror:', (err as Error).message)
    }
  }

  get engaged(): boolean {
    return this.state.engaged
  }

  /** Trading is held off by the killswitch: engaged, or released but not resumed. */
  get latched(): boolean {
    return this.state.latched
  }

  /** True once the state was read from Redis since the link was last ready. */
  get known(): boolean {
    return this.fresh || !this.stored
  }

  /** Since when the state has not been known (meaningful while `known` is false). */
  get unknownSince(): number {
    return this.freshSince
  }

  get resumeMode(): ResumeMode {
    return this.opts.resumeMode ?? 'manual'
  }

  /** The link dropped: what we hold is a memory, not the stored state. */
  markStale(): void {
    if (!this.fresh) return
    this.fresh = false
    this.freshSince = this.opts.now()
    this.changed()
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
    try {
      this.opts.mirror?.save(this.state)
    } catch (err) {
      console.warn('[bus] cannot write the killswitch mirror:', (err as Error).message)
    }
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
      this.fresh = true
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
    // resolve that towards "engaged"/"latched": re-assert such a state we know of, never a release
    // or a resume.
    if ((remote === null || remote.version < this.state.version) && (this.state.engaged || this.state.latched)) {
      const mine = JSON.stringify(this.state)
      const ok =
        remote === null ? await this.store.setIfAbsent(key, mine) : (await this.store.set(key, mine), true)
      if (ok) {
        console.warn(
          `[bus] killswitch key ${key} was ${remote === null ? 'missing' : 'older'}; re-asserted the ${this.state.engaged ? 'engaged' : 'latched'} state v${this.state.version}`,
        )
        this.markFresh()
        return this.view()
      }
      return this.doLoad()
    }
    if (remote === null) {
      this.markFresh()
      return this.view()
    }
    const before = JSON.stringify(this.state)
    this.state = remote
    this.stored = true
    const wasFresh = this.fresh
    this.fresh = true
    if (JSON.stringify(remote) !== before || !wasFresh) this.changed()
    return this.view()
  }

  private markFresh(): void {
    if (this.fresh) return
    this.fresh = true
    this.changed()
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

    // A second engage while engaged keeps what the first one froze: it is still the switch's own.
    const prior = this.state.engaged ? { frozen: this.state.frozen, leftAlone: this.state.leftAlone } : { frozen: [], leftAlone: [] }
    const record = { engaged: true, latched: true, reason, who, at, ...prior }
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

    const effects: PauseEffect[] = []
    const note = (e: PauseEffect | void) => {
      if (e) effects.push(e)
    }
    if (this.opts.pausesStack) {
      try {
        if (!this.deps.pauseStack) throw new Error('no stack pauser is configured')
        note(await this.deps.pauseStack(why, who))
        actions.stackPause = { status: 'ok' }
      } catch (err) {
        actions.stackPause = failed(err)
        warnings.push(`The stack could not be paused: ${actions.stackPause.error}`)
      }
    }

    if (actions.announce.status === 'ok') await round.wait()
    const later = this.opts.now()
    const pauseAgent = this.deps.pauseAgentContainer?.bind(this.deps)
    const pause = pauseAgent
      ? async (id: string, hint: { containerId?: string; hostname?: string }) => note(await pauseAgent(id, hint))
      : undefined
    await round.pauseSilent((id) => this.agents.get(id, later), pause, warnings)
    round.finish(this.opts.now())
    await this.rememberFrozen(effects, record, warnings)

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

  /**
   * Store which containers this engage froze itself (and which it found paused already), so a
   * release, even after a restart of Stackdeck, resumes exactly those and nothing else.
   */
  private async rememberFrozen(
    effects: PauseEffect[],
    record: Record<string, unknown> & { frozen: FrozenRef[]; leftAlone: FrozenRef[] },
    warnings: string[],
  ): Promise<void> {
    if (effects.length === 0) return
    const frozen = effects.reduce((acc, e) => union(acc, e.paused), record.frozen)
    const leftAlone = without(
      effects.reduce((acc, e) => union(acc, e.alreadyPaused), record.leftAlone),
      frozen,
    )
    const next = { ...record, frozen, leftAlone }
    if (leftAlone.length > 0)
      warnings.push(`Already paused before the killswitch, and left as they are by a release: ${namesOf(leftAlone)}.`)
    if (!this.stored) {
      // Redis is down: the pending write carries the lists too.
      this.pendingWrite = next
      this.state = { ...this.state, frozen, leftAlone }
      return
    }
    try {
      this.writeSeq++
      this.apply(await this.store.setVersioned(this.opts.key, next))
    } catch (err) {
      this.state = { ...this.state, frozen, leftAlone, version: this.state.version + 1 }
      this.stored = false
      this.pendingWrite = next
      warnings.push(
        `Which containers the killswitch paused could not be stored in Redis (${(err as Error).message}); it is kept here and written on reconnect.`,
      )
    }
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
    // The release record still lists what is to be resumed: a crash before the resume leaves that
    // visible in the stored state instead of forgetting it.
    const { frozen, leftAlone } = this.state
    try {
      this.writeSeq++
      // Still latched: releasing re-arms the switch, it does not hand trading back.
      this.apply(await this.store.setVersioned(this.opts.key, { engaged: false, latched: true, reason, who, at, frozen, leftAlone }))
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
        JSON.stringify({ type: 'killswitch', engaged: false, latched: true, reason, who, at, version: this.state.version }),
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
    const resumed = await this.resumeFrozen(frozen, leftAlone, { reason, who, at }, warnings)
    warnings.push(
      RELEASE_NOTE[this.resumeMode] +
        (resumed > 0 ? ' Only containers the killswitch itself paused were resumed.' : ' Nothing was unpaused.'),
    )
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

  /**
   * After a stored release: resume what the killswitch froze itself, where still paused. What was
   * paused before it engaged is named and left alone. Returns how many were resumed.
   */
  private async resumeFrozen(
    frozen: FrozenRef[],
    leftAlone: FrozenRef[],
    rel: { reason: string; who: string; at: string },
    warnings: string[],
  ): Promise<number> {
    if (leftAlone.length > 0)
      warnings.push(`Left paused, as they were before the killswitch engaged: ${namesOf(leftAlone)}.`)
    if (frozen.length === 0) return 0
    let stillFrozen = frozen
    let resumed = 0
    if (!this.deps.resumeContainers) {
      warnings.push(`Still paused by the killswitch (no resumer configured): ${namesOf(frozen)}. Resume them from the Stack tab.`)
      return 0
    }
    try {
      const r = await this.deps.resumeContainers(frozen, `killswitch released: ${rel.reason}`, rel.who)
      resumed = r.resumed.length
      if (r.resumed.length) warnings.push(`Resumed the containers the killswitch had paused: ${namesOf(r.resumed)}.`)
      if (r.notPaused.length) warnings.push(`Not paused any more (resumed by someone else meanwhile), left as they are: ${namesOf(r.notPaused)}.`)
      if (r.failed.length)
        warnings.push(`Could not resume: ${r.failed.map((f) => `${f.name} (${f.error})`).join(', ')}. They are still paused: resume them from the Stack tab.`)
      stillFrozen = r.failed
    } catch (err) {
      warnings.push(`Resuming what the killswitch paused failed (${(err as Error).message}); still paused: ${namesOf(frozen)}.`)
    }
    try {
      this.writeSeq++
      this.apply(
        await this.store.setVersioned(this.opts.key, { engaged: false, latched: this.state.latched, ...rel, frozen: stillFrozen, leftAlone }),
      )
      this.changed()
    } catch (err) {
      warnings.push(`The resume could not be recorded in Redis (${(err as Error).message}).`)
    }
    return resumed
  }

  /**
   * Lift the latch after a release: the stored record says trading may follow its schedule again.
   * Refused unless the state was just read from Redis and the switch is released; the caller
   * (the state module) then lets the schedule or the trader turn trading on.
   */
  resume(req: { reason: string; who: string }): Promise<KillswitchStateT> {
    return this.serialize('ops', async () => {
      try {
        await this.doLoad()
      } catch (err) {
        throw new CoreError(
          'unavailable',
          `Cannot resume trading: Redis is unavailable (${(err as Error).message}); trading stays disabled.`,
          { cause: err },
        )
      }
      if (this.state.engaged)
        throw new CoreError('conflict', 'The killswitch is engaged: release it first, then resume trading.')
      if (!this.state.latched) throw new CoreError('conflict', 'Trading is not held off by the killswitch: nothing to resume.')
      const at = iso(this.opts.now())
      try {
        this.writeSeq++
        this.apply(
          await this.store.setVersioned(this.opts.key, {
            engaged: false,
            latched: false,
            reason: req.reason,
            who: req.who,
            at,
            // What the killswitch paused and could not resume stays its own to resume.
            frozen: this.state.frozen,
            leftAlone: this.state.leftAlone,
          }),
        )
      } catch (err) {
        throw new CoreError(
          'unavailable',
          `Cannot resume trading: the resume could not be stored (${(err as Error).message}); trading stays disabled.`,
          { cause: err },
        )
      }
      this.stored = true
      this.changed()
      await this.store
        .publish(
          this.opts.channel,
          JSON.stringify({ type: 'killswitch', engaged: false, latched: false, reason: req.reason, who: req.who, at, version: this.state.version }),
        )
        .catch(() => undefined) // the key is the truth; listeners re-read it on reconnect
      return this.view()
    })
  }

  /** Wake a pending ack wait so shutdown is not held up by the ack timeout. */
  dispose(): void {
    this.round?.cancel()
  }
}
