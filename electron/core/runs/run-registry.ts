import { randomBytes } from 'node:crypto'
import type { CallContext } from '@core/api/call-context'
import type { HeartbeatT, RunCommandT, RunHealth, RunState, RunT, RunTransitionT } from '@core/api/contract/runs'
import { CoreError } from '@core/errors'
import { canonicalBeat, checkCommandParams, checkTransition, healthOf, isFinal, judgeBeat, type HealthThresholds } from './run-rules'
import { emptySnapshot, type RunStore, type StoredRun } from './run-store'

export interface RunAudit {
  who: string
  door: CallContext['door']
  action: string
  target: string
  outcome: 'ok' | 'refused'
  reason?: string
  detail: Record<string, unknown>
}

export interface RunRegistryOptions {
  store: RunStore
  thresholds: HealthThresholds
  /** After this, an undelivered command is never delivered and an unacknowledged one is expired. */
  commandTimeoutMs: number
  now?: () => number
  /** Whether the run's container is paused now (a paused container makes its run paused, not lost). */
  containerPaused?: (run: { agent: string; container: string | null }) => boolean
  emit: {
    run(run: RunT): void
    command(cmd: RunCommandT): void
    /** The health got worse or better: an event on the hub and the bus. */
    health(run: RunT, from: RunHealth): void
  }
  audit(rec: RunAudit): Promise<void>
  log?: (line: string) => void
  /** Finished runs kept (oldest dropped first); running ones are always kept. */
  keepFinished?: number
  /** Commands kept per run (oldest settled ones dropped first). */
  keepCommandsPerRun?: number
}

const newId = (prefix: string) => `${prefix}_${randomBytes(9).toString('base64url')}`
const iso = (ms: number) => new Date(ms).toISOString()
const TICK_MS = 1000
/** Heartbeats only change figures: save them at most this often instead of once per beat. */
const BEAT_SAVE_MS = 1000

/**
 * The run registry of the HTTP agent protocol: creates runs, takes heartbeats (monotonic step and
 * checkpoint_version), moves runs through their state machine, queues commands the agent pulls
 * and acknowledges, and escalates health by heartbeat age. Every change that a client is told about
 * is durable before the answer (creation, transitions, commands, deliveries, acks); heartbeat
 * figures are saved within a second, so a crash loses at most that much of them.
 */
/** Answers and events carry copies: a stored command keeps changing (delivered, acked, expired). */
const copyOf = (c: RunCommandT): RunCommandT => ({ ...c, params: { ...c.params }, result: c.result ? { ...c.result } : null })

export class RunRegistry {
  private readonly runs = new Map<string, StoredRun>()
  private readonly commands = new Map<string, RunCommandT[]>()
  private readonly waiters = new Map<string, Set<() => void>>()
  private readonly now: () => number
  private timer: NodeJS.Timeout | null = null
  private beatTimer: NodeJS.Timeout | null = null
  private saving: Promise<void> = Promise.resolve()
  private loaded = false
  private stopped = false
  private lastBeatEmit = new Map<string, number>()

  constructor(private readonly o: RunRegistryOptions) {
    this.now = o.now ?? Date.now
  }

  async start(): Promise<void> {
    const snap = await this.o.store.load().catch((err: unknown) => {
      // Unreadable saved runs are not silently replaced: the file stays, and nothing is written over it.
      this.o.log?.(`cannot read the saved runs: ${(err as Error).message}`)
      throw err
    })
    for (const r of snap.runs) this.runs.set(r.id, r)
    for (const c of snap.commands) this.commandsOf(c.runId).push(c)
    this.loaded = true
    this.tick()
    this.timer = setInterval(() => this.tick(), TICK_MS)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    if (this.beatTimer) clearTimeout(this.beatTimer)
    this.beatTimer = null
    for (const set of this.waiters.values()) for (const wake of set) wake()
    this.waiters.clear()
    if (this.loaded) await this.persist()
  }

  // ---- reads ----

  view(r: StoredRun): RunT {
    const now = this.now()
    const pending = (this.commands.get(r.id) ?? []).filter((c) => c.status === 'queued' || c.status === 'delivered').length
    return {
      id: r.id,
      agent: r.agent,
      strategy: r.strategy,
      version: r.version,
      overrides: r.overrides,
      container: r.container,
      createdBy: r.createdBy,
      createdAt: r.createdAt,
      state: r.state,
      stateSince: r.stateSince,
      health: r.health,
      healthSince: r.healthSince,
      lastHeartbeatAt: r.lastHeartbeatAt,
      heartbeatAgeMs: r.lastHeartbeatAt ? Math.max(0, now - Date.parse(r.lastHeartbeatAt)) : null,
      step: r.last?.step ?? null,
      checkpointVersion: r.last?.checkpoint_version ?? null,
      runtimeStatus: r.runtimeStatus,
      metrics: r.metrics,
      heartbeats: r.heartbeats,
      pendingCommands: pending,
    }
  }

  get(id: string): { run: RunT; transitions: RunTransitionT[]; commands: RunCommandT[] } {
    const r = this.must(id)
    return { run: this.view(r), transitions: r.transitions.map((t) => ({ ...t })), commands: [...(this.commands.get(id) ?? [])].reverse().map(copyOf) }
  }

  list(q: { state?: RunState | undefined; agent?: string | undefined; limit?: number | undefined }): RunT[] {
    return [...this.runs.values()]
      .filter((r) => (!q.state || r.state === q.state) && (!q.agent || r.agent === q.agent))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, q.limit ?? 200)
      .map((r) => this.view(r))
  }

  /** The newest commands over every run (for the agent command list of both transports). */
  recentCommands(limit: number): RunCommandT[] {
    const all: RunCommandT[] = []
    for (const list of this.commands.values()) all.push(...list)
    return all.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, limit).map(copyOf)
  }

  /** The run's agent, for the agent-token check; not_found when there is no such run. */
  agentOf(id: string): string {
    return this.must(id).agent
  }

  // ---- writes ----

  async create(
    input: { agent: string; strategy: string; version: string; overrides?: Record<string, unknown> | undefined; container?: string | undefined; id?: string | undefined },
    ctx: CallContext,
  ): Promise<{ run: RunT; created: boolean }> {
    this.mustBeOpen()
    if (input.id) {
      const had = this.runs.get(input.id)
      if (had) {
        const same = had.agent === input.agent && had.strategy === input.strategy && had.version === input.version &&
          JSON.stringify(had.overrides) === JSON.stringify(input.overrides ?? null) && had.container === (input.container ?? null)
        if (!same) throw new CoreError('conflict', `Run ${input.id} already exists with other fields`, { path: '/id' })
        return { run: this.view(had), created: false }
      }
    }
    const at = iso(this.now())
    const run: StoredRun = {
      id: input.id ?? newId('run'),
      agent: input.agent,
      strategy: input.strategy,
      version: input.version,
      overrides: input.overrides ?? null,
      container: input.container ?? null,
      createdBy: ctx.who,
      createdAt: at,
      state: 'queued',
      stateSince: at,
      health: 'pending',
      healthSince: at,
      lastHeartbeatAt: null,
      runtimeStatus: null,
      metrics: null,
      heartbeats: 0,
      last: null,
      transitions: [{ at, from: null, to: 'queued', who: ctx.who, why: 'created' }],
    }
    this.runs.set(run.id, run)
    this.trimFinished()
    await this.persist()
    const v = this.view(run)
    this.o.emit.run(v)
    return { run: v, created: true }
  }

  async heartbeat(beat: HeartbeatT, ctx: CallContext): Promise<{ run: RunT; duplicate: boolean }> {
    this.mustBeOpen()
    const r = this.must(beat.id)
    if (isFinal(r.state)) {
      throw new CoreError('conflict', `Run ${r.id} is ${r.state}; it takes no more heartbeats`, { path: '/id' })
    }
    let verdict
    try {
      verdict = judgeBeat(r.id, r.last, beat)
    } catch (err) {
      void this.o.audit({ who: ctx.who, door: ctx.door, action: 'runs.heartbeat', target: `run:${r.id}`, outcome: 'refused', reason: (err as Error).message, detail: { step: beat.step, checkpoint_version: beat.checkpoint_version } }).catch(() => undefined)
      throw err
    }
    if (verdict.kind === 'duplicate' && r.last) {
      r.last.repeated = true
      return { run: this.view(r), duplicate: true }
    }
    const at = this.now()
    r.last = { step: beat.step, checkpoint_version: beat.checkpoint_version, canonical: canonicalBeat(beat), repeated: false }
    r.lastHeartbeatAt = iso(at)
    r.heartbeats += 1
    if (beat.status !== undefined) r.runtimeStatus = beat.status
    if (beat.metrics !== undefined) r.metrics = beat.metrics
    if (r.state === 'queued') {
      this.transition(r, 'running', ctx.who, 'first heartbeat')
      await this.persist()
      void this.o.audit({ who: ctx.who, door: ctx.door, action: 'runs.heartbeat', target: `run:${r.id}`, outcome: 'ok', reason: 'first heartbeat: the run is running', detail: { step: beat.step, checkpoint_version: beat.checkpoint_version } }).catch(() => undefined)
    } else {
      this.persistSoon()
    }
    this.judgeHealth(r, at)
    const v = this.view(r)
    // The grid needs the figures, not every beat: at most one event per run per second.
    if (at - (this.lastBeatEmit.get(r.id) ?? 0) >= 1000) {
      this.lastBeatEmit.set(r.id, at)
      this.o.emit.run(v)
    }
    return { run: v, duplicate: false }
  }

  async setState(id: string, to: RunState, reason: string, ctx: CallContext): Promise<RunT> {
    this.mustBeOpen()
    const r = this.must(id)
    checkTransition(id, r.state, to)
    this.transition(r, to, ctx.who, reason)
    if (isFinal(to)) this.expirePending(r.id, `run ${to}`)
    await this.persist()
    const v = this.view(r)
    this.o.emit.run(v)
    return v
  }

  async queueCommand(
    input: { id: string; type: RunCommandT['type']; params?: Record<string, unknown> | undefined; commandId?: string | undefined },
    ctx: CallContext,
  ): Promise<{ command: RunCommandT; created: boolean }> {
    this.mustBeOpen()
    const r = this.must(input.id)
    const params = input.params ?? {}
    checkCommandParams(input.type, params)
    const list = this.commandsOf(r.id)
    if (input.commandId) {
      const had = list.find((c) => c.id === input.commandId)
      if (had) {
        if (had.type !== input.type || JSON.stringify(had.params) !== JSON.stringify(params)) {
          throw new CoreError('conflict', `Command ${input.commandId} was already queued as ${had.type} with other params`, { path: '/commandId' })
        }
        return { command: copyOf(had), created: false }
      }
    }
    if (isFinal(r.state)) throw new CoreError('conflict', `Run ${r.id} is ${r.state}; it takes no commands`, { path: '/id' })
    const now = this.now()
    const cmd: RunCommandT = {
      id: input.commandId ?? newId('cmd'),
      runId: r.id,
      type: input.type,
      params,
      createdBy: ctx.who,
      createdAt: iso(now),
      deliveredAt: null,
      acknowledgedAt: null,
      expiresAt: iso(now + this.o.commandTimeoutMs),
      status: 'queued',
      result: null,
    }
    list.push(cmd)
    this.trimCommands(list)
    await this.persist()
    this.o.emit.command(copyOf(cmd))
    this.o.emit.run(this.view(r))
    // A snapshot: a waiting agent is woken now and stamps the command delivered before this
    // answer is written, and the creator must see the command as it was queued.
    const answer = { command: copyOf(cmd), created: true }
    for (const wake of this.waiters.get(r.id) ?? []) wake()
    return answer
  }

  /**
   * The oldest command still deliverable, stamped delivered. An expired command is never handed
   * out: an action the trader asked for minutes ago is not run now (nothing is replayed late).
   */
  async nextCommand(id: string, waitS: number, ctx: CallContext, signal?: AbortSignal): Promise<RunCommandT | null> {
    this.mustBeOpen()
    this.must(id)
    const deadline = this.now() + waitS * 1000
    for (;;) {
      // Checked before taking a command: a poller that hung up while it waited takes nothing.
      if (signal?.aborted) return null
      this.expireDue()
      const cmd = (this.commands.get(id) ?? []).find((c) => c.status === 'queued')
      if (cmd) {
        cmd.deliveredAt = iso(this.now())
        cmd.status = 'delivered'
        await this.persist()
        this.o.emit.command(copyOf(cmd))
        void this.o.audit({ who: ctx.who, door: ctx.door, action: 'runs.commands.next', target: `run:${id} command:${cmd.id}`, outcome: 'ok', detail: { type: cmd.type } }).catch(() => undefined)
        return copyOf(cmd)
      }
      const left = deadline - this.now()
      if (left <= 0 || this.stopped || signal?.aborted) return null
      await this.waitFor(id, left, signal)
    }
  }

  async ack(input: { id: string; cmd: string; ok: boolean; message?: string | undefined }, ctx: CallContext): Promise<{ command: RunCommandT; run: RunT }> {
    this.mustBeOpen()
    const r = this.must(input.id)
    const cmd = (this.commands.get(r.id) ?? []).find((c) => c.id === input.cmd)
    if (!cmd) throw new CoreError('not_found', `Run ${r.id} has no command ${input.cmd}`, { path: '/cmd' })
    const result = { ok: input.ok, message: input.message ?? null }
    if (cmd.acknowledgedAt) {
      if (cmd.result?.ok === result.ok && cmd.result.message === result.message) return { command: copyOf(cmd), run: this.view(r) }
      throw new CoreError('conflict', `Command ${cmd.id} was already acknowledged with another result`, { path: '/ok' })
    }
    if (!cmd.deliveredAt) throw new CoreError('conflict', `Command ${cmd.id} was never delivered; pull it with commands/next first`, { path: '/cmd' })
    // A late ack is still the truth: the agent did act, so it is recorded (the command had expired).
    cmd.acknowledgedAt = iso(this.now())
    cmd.status = 'acknowledged'
    cmd.result = result
    if (result.ok) this.applyAcked(r, cmd, ctx.who)
    await this.persist()
    this.o.emit.command(copyOf(cmd))
    const v = this.view(r)
    this.o.emit.run(v)
    return { command: copyOf(cmd), run: v }
  }

  // ---- internals ----

  /** An acknowledged pause, resume or terminate moves the run; tune changes parameters only. */
  private applyAcked(r: StoredRun, cmd: RunCommandT, who: string): void {
    const to: RunState | null = cmd.type === 'pause' ? 'paused' : cmd.type === 'resume' ? 'running' : cmd.type === 'terminate' ? 'terminated' : null
    if (!to || r.state === to) return
    try {
      checkTransition(r.id, r.state, to)
    } catch {
      return // e.g. a resume acked after the run completed: the command is recorded, the state stays
    }
    this.transition(r, to, who, `${cmd.type} command ${cmd.id} acknowledged`)
    if (isFinal(to)) this.expirePending(r.id, `run ${to}`)
  }

  private transition(r: StoredRun, to: RunState, who: string, why: string): void {
    const at = iso(this.now())
    r.transitions.push({ at, from: r.state, to, who, why })
    if (r.transitions.length > 200) r.transitions.splice(1, r.transitions.length - 200)
    r.state = to
    r.stateSince = at
    this.judgeHealth(r, this.now())
  }

  private judgeHealth(r: StoredRun, now: number): void {
    const paused = this.o.containerPaused?.(r) ?? false
    const h = healthOf(r, now, this.o.thresholds, paused)
    if (h === r.health) return
    const from = r.health
    r.health = h
    r.healthSince = iso(now)
    this.persistSoon()
    const v = this.view(r)
    this.o.emit.run(v)
    this.o.emit.health(v, from)
  }

  private expirePending(runId: string, why: string): void {
    for (const c of this.commands.get(runId) ?? []) {
      if (c.status === 'queued' || c.status === 'delivered') {
        c.status = 'expired'
        c.result = { ok: false, message: why }
        this.o.emit.command(copyOf(c))
      }
    }
  }

  private expireDue(): boolean {
    const now = this.now()
    let changed = false
    for (const list of this.commands.values()) {
      for (const c of list) {
        if ((c.status === 'queued' || c.status === 'delivered') && Date.parse(c.expiresAt) <= now) {
          c.status = 'expired'
          c.result = { ok: false, message: c.deliveredAt ? 'not acknowledged in time' : 'not delivered in time' }
          changed = true
          this.o.emit.command(copyOf(c))
        }
      }
    }
    return changed
  }

  private tick(): void {
    if (this.stopped) return
    const now = this.now()
    for (const r of this.runs.values()) this.judgeHealth(r, now)
    if (this.expireDue()) this.persistSoon()
  }

  private waitFor(id: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(id) ?? new Set<() => void>()
      this.waiters.set(id, set)
      const done = () => {
        clearTimeout(t)
        set.delete(done)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const t = setTimeout(done, ms)
      signal?.addEventListener('abort', done)
      set.add(done)
    })
  }

  private commandsOf(runId: string): RunCommandT[] {
    let list = this.commands.get(runId)
    if (!list) this.commands.set(runId, (list = []))
    return list
  }

  private trimCommands(list: RunCommandT[]): void {
    const keep = this.o.keepCommandsPerRun ?? 200
    while (list.length > keep) {
      const i = list.findIndex((c) => c.status === 'acknowledged' || c.status === 'expired')
      if (i < 0) break
      list.splice(i, 1)
    }
  }

  private trimFinished(): void {
    const keep = this.o.keepFinished ?? 1000
    const finished = [...this.runs.values()].filter((r) => isFinal(r.state)).sort((a, b) => a.stateSince.localeCompare(b.stateSince))
    for (const r of finished.slice(0, Math.max(0, finished.length - keep))) {
      this.runs.delete(r.id)
      this.commands.delete(r.id)
    }
  }

  private must(id: string): StoredRun {
    const r = this.runs.get(id)
    if (!r) throw new CoreError('not_found', `No run ${id}`, { path: '/id' })
    return r
  }

  private mustBeOpen(): void {
    if (!this.loaded) throw new CoreError('unavailable', 'Runs are not loaded yet (or their saved file could not be read)')
  }

  private snapshot() {
    const snap = emptySnapshot()
    snap.runs = [...this.runs.values()]
    snap.commands = [...this.commands.values()].flat()
    return snap
  }

  /** Saves now (serialised behind any save in flight); the caller answers only after it. */
  private persist(): Promise<void> {
    if (this.beatTimer) {
      clearTimeout(this.beatTimer)
      this.beatTimer = null
    }
    const next = this.saving.catch(() => undefined).then(() => this.o.store.save(this.snapshot()))
    this.saving = next
    return next.catch((err: unknown) => {
      throw new CoreError('io_error', `Could not save the runs to ${this.o.store.where}: ${(err as Error).message}`)
    })
  }

  private persistSoon(): void {
    if (this.beatTimer || this.stopped) return
    this.beatTimer = setTimeout(() => {
      this.beatTimer = null
      this.persist().catch((err: unknown) => this.o.log?.((err as Error).message))
    }, BEAT_SAVE_MS)
    this.beatTimer.unref()
  }
}
