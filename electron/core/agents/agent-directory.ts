import type { CallContext } from '../api/call-context'
import type { AgentCommandT, AgentT, AgentTotalsT, CommandInputT, CONNECTION_STATES } from '../api/contract/bus'
import type { RunCommandT, RunT } from '../api/contract/runs'
import type { BatchSource } from '../bus/update-batcher'
import { agentCommandOfRun, agentRowOfRun, countRow, runTakesCommands, withRun } from './run-agent-rows'

/** What the directory needs of the Redis side (BusClient provides all of it). */
export interface RedisAgents {
  agents(): { agents: AgentT[]; totals: AgentTotalsT; connection: (typeof CONNECTION_STATES)[number]; timeoutMs: number }
  agent(id: string, now: number): AgentT | undefined
  send(req: { agentId: string; type: CommandInputT['type']; params?: Record<string, unknown>; who: string; wait: boolean }): Promise<AgentCommandT>
  commands(q: { agentId?: string; limit: number }): AgentCommandT[]
}

/** What it needs of the run registry. */
export interface HttpRuns {
  list(q: { limit?: number }): RunT[]
  queueCommand(input: { id: string; type: RunCommandT['type']; params?: Record<string, unknown> }, ctx: CallContext): Promise<{ command: RunCommandT }>
  recentCommands(limit: number): RunCommandT[]
}

export interface AgentDirectoryOptions {
  redis: RedisAgents
  runs: HttpRuns
  now?: () => number
  /** How long `wait` holds an HTTP command's answer for its ack (the bus's command ack timeout). */
  ackWaitMs: number
}

const FINAL_COMMAND = new Set<AgentCommandT['state']>(['acked', 'rejected', 'expired'])
/** The run registry keeps every unfinished run, and finished ones up to its cap. */
const RUNS_SEEDED = 1000

/**
 * One agent registry over both transports: agents heard on Redis and agents that run over the
 * HTTP protocol are rows of the same grid, and a command goes by the agent's transport. The Redis
 * registry and the run registry stay the owners of their facts; this joins them, by agent id,
 * wherever a door lists agents or commands (bus.agents, the bus.update batches, bus.commands) and
 * where bus.command is sent.
 */
export class AgentDirectory {
  /** Each agent's latest run (by creation), which is the one its row shows and its commands go to. */
  private readonly latest = new Map<string, RunT>()
  private readonly agentOfRun = new Map<string, string>()
  private readonly dirty = new Set<string>()
  private readonly changed = new Map<string, AgentCommandT>()
  private readonly waiters = new Map<string, Set<(c: AgentCommandT) => void>>()
  private readonly now: () => number

  constructor(private readonly o: AgentDirectoryOptions) {
    this.now = o.now ?? Date.now
  }

  /** Called once the run registry has loaded its saved runs. */
  seed(): void {
    for (const r of this.o.runs.list({ limit: RUNS_SEEDED }).reverse()) this.noteRun(r)
  }

  /** Every run change the registry emits (creation, state, health, beats at most once a second). */
  noteRun(run: RunT): void {
    this.agentOfRun.set(run.id, run.agent)
    const had = this.latest.get(run.agent)
    if (had !== undefined && had.id !== run.id && had.createdAt > run.createdAt) return
    this.latest.set(run.agent, run)
    this.dirty.add(run.agent)
  }

  /** Every run command change (queued, delivered, acknowledged, expired). */
  noteCommand(cmd: RunCommandT): void {
    const agentId = this.agentOfRun.get(cmd.runId)
    if (agentId === undefined) return
    const c = agentCommandOfRun(cmd, agentId)
    this.changed.set(c.commandId, c)
    const ws = this.waiters.get(c.commandId)
    if (ws !== undefined) for (const w of [...ws]) w(c)
  }

  /** The row of one agent, both transports joined; undefined when neither knows it. */
  private row(id: string, now: number): AgentT | undefined {
    const run = this.latest.get(id)
    const redis = this.o.redis.agent(id, now)
    if (redis !== undefined) return withRun(redis, run)
    return run === undefined ? undefined : agentRowOfRun(run, now)
  }

  /** bus.agents: the Redis agents with their runs, then the agents heard only over HTTP. */
  agents(): ReturnType<RedisAgents['agents']> {
    const now = this.now()
    const base = this.o.redis.agents()
    const seen = new Set<string>()
    const agents = base.agents.map((a) => {
      seen.add(a.id)
      return withRun(a, this.latest.get(a.id))
    })
    const totals = { ...base.totals }
    for (const [id, run] of this.latest) {
      if (seen.has(id)) continue
      const row = agentRowOfRun(run, now)
      countRow(totals, row)
      agents.push(row)
    }
    return { ...base, agents, totals }
  }

  private httpOnlyTotals(base: AgentTotalsT, now: number): AgentTotalsT {
    const totals = { ...base }
    for (const [id, run] of this.latest) if (this.o.redis.agent(id, now) === undefined) countRow(totals, agentRowOfRun(run, now))
    return totals
  }

  /** The bus's batch source with the HTTP side joined in: the UI's one stream of agent changes. */
  source(src: BatchSource): BatchSource {
    return {
      ...src,
      takeAgents: (now) => {
        const { agents, removed } = src.takeAgents(now)
        const out = new Map<string, AgentT>()
        for (const a of agents) out.set(a.id, withRun(a, this.latest.get(a.id)))
        for (const id of this.dirty) {
          if (out.has(id)) continue
          const row = this.row(id, now)
          if (row !== undefined) out.set(id, row)
        }
        this.dirty.clear()
        // Forgotten on Redis but still running over HTTP: the row stays, now from its run alone.
        const gone: string[] = []
        for (const id of removed) {
          const run = this.latest.get(id)
          if (run === undefined) gone.push(id)
          else out.set(id, agentRowOfRun(run, now))
        }
        return { agents: [...out.values()], removed: gone }
      },
      totals: (now) => this.httpOnlyTotals(src.totals(now), now),
      takeCommands: () => {
        const redis = src.takeCommands()
        if (this.changed.size === 0) return redis
        const http = [...this.changed.values()]
        this.changed.clear()
        return [...redis, ...http]
      },
    }
  }

  /**
   * bus.command by transport. An agent with an unfinished run gets the command queued for that run
   * (it pulls it); `wait` holds the answer until the ack, the expiry or the bus's ack timeout, and
   * answers the state it then has (a queued command is still queued, not "timed out"). An agent
   * heard only over HTTP whose run ended gets the run's 409. Every other agent is pushed on Redis.
   */
  async send(input: CommandInputT, ctx: CallContext): Promise<AgentCommandT> {
    const run = this.latest.get(input.agentId)
    const httpOnly = run !== undefined && this.o.redis.agent(input.agentId, this.now()) === undefined
    if (run === undefined || (!runTakesCommands(run) && !httpOnly)) {
      return this.o.redis.send({
        agentId: input.agentId,
        type: input.type,
        who: ctx.who,
        wait: input.wait ?? true,
        ...(input.params !== undefined && { params: input.params }),
      })
    }
    const { command } = await this.o.runs.queueCommand({ id: run.id, type: input.type, ...(input.params !== undefined && { params: input.params }) }, ctx)
    const first = agentCommandOfRun(command, input.agentId)
    if (input.wait === false || FINAL_COMMAND.has(first.state)) return first
    return this.waitForAck(first, ctx.signal)
  }

  /** Resolves at the ack (or rejection, or expiry), else at the ack wait with the latest state seen. */
  private waitForAck(first: AgentCommandT, signal: AbortSignal | undefined): Promise<AgentCommandT> {
    return new Promise((resolve) => {
      let last = first
      const set = this.waiters.get(first.commandId) ?? new Set()
      this.waiters.set(first.commandId, set)
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        set.delete(onChange)
        if (set.size === 0) this.waiters.delete(first.commandId)
        resolve(last)
      }
      const onChange = (c: AgentCommandT): void => {
        last = c
        if (FINAL_COMMAND.has(c.state)) done()
      }
      const timer = setTimeout(done, this.o.ackWaitMs)
      timer.unref?.()
      signal?.addEventListener('abort', done, { once: true })
      set.add(onChange)
    })
  }

  /** bus.commands: both transports, newest first. */
  commands(q: { agentId?: string | undefined; limit: number }): AgentCommandT[] {
    const redis = this.o.redis.commands({ limit: q.limit, ...(q.agentId !== undefined && { agentId: q.agentId }) })
    const http: AgentCommandT[] = []
    for (const cmd of this.o.runs.recentCommands(q.limit * 4)) {
      const agentId = this.agentOfRun.get(cmd.runId)
      if (agentId === undefined || (q.agentId !== undefined && agentId !== q.agentId)) continue
      http.push(agentCommandOfRun(cmd, agentId))
    }
    return [...redis, ...http].sort((a, b) => (a.issuedAt < b.issuedAt ? 1 : a.issuedAt > b.issuedAt ? -1 : 0)).slice(0, q.limit)
  }
}
