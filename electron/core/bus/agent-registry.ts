import { AGENT_GROUPS, type AgentDiedT, type AgentT, type AgentTotalsT } from '../api/contract/bus'
import type { Heartbeat } from './payload-schemas'
import { epochToIso } from './time'

type AgentGroup = (typeof AGENT_GROUPS)[number]
type Anomaly = AgentT['anomalies'][number]

/** A paused container as the stack module sees it; the lead feeds the current list in. */
export interface PausedContainerInfo {
  containerId: string
  name: string
  hostname?: string
  /** Value of the container label `stackdeck.agent`. */
  agentLabel?: string
}

/**
 * Alternative to the list: the lead answers "is this agent's container paused?" itself.
 * 'stack-paused': its container is not known, but the stack is paused, which explains its silence.
 */
export type PausedResolver = (agent: { id: string; containerId?: string; hostname?: string }) => boolean | 'stack-paused'

/** Status of a silent agent whose container is unknown while the stack is paused: never "dead". */
export const STACK_PAUSED_SILENCE = 'silent (stack paused)'

export interface AgentRegistryOptions {
  /** An agent is alive while its last heartbeat is younger than this. */
  timeoutMs: number
  maxAnomalies?: number
  /** Distinct agents kept; heartbeats from further new ids are ignored (counted in `rejected`). */
  maxAgents?: number
  /** Agents silent for this long are forgotten. */
  forgetAfterMs?: number
  /** Whether the bus starts as connected; the BusClient starts false and flips it on ready. */
  busReady?: boolean
}

interface AgentRecord {
  id: string
  name: string
  groupRaw: string
  group: AgentGroup
  reportedStatus: string
  reportedAt: string | null
  lastBeat: number
  beats: number
  step: number | undefined
  checkpointVersion: number | undefined
  anomalies: Anomaly[]
  anomalyCount: number
  containerId: string | undefined
  hostname: string | undefined
  paused: boolean
  /** Container unknown, stack paused: its silence is explained, it raises no death. */
  stackPaused: boolean
  alive: boolean
  status: string
  /** After an unpause the agent gets one timeout to beat again before it counts as dead. */
  graceUntil: number
  diedNotified: boolean
}

const finiteOrUndefined = (n: number | null | undefined): number | undefined =>
  typeof n === 'number' && Number.isFinite(n) ? n : undefined

const GROUPS: ReadonlySet<string> = new Set(AGENT_GROUPS)
const normalizeGroup = (g: string): AgentGroup => {
  const lower = g.toLowerCase()
  return (GROUPS.has(lower) ? lower : 'other') as AgentGroup
}

/**
 * Agents as seen through their heartbeats. Liveness is judged on OUR receive clock (agents'
 * clocks drift); a paused container means "paused", never "dead"; a dead agent raises one
 * notification per death, and only when the bus itself was healthy long enough to know.
 */
export class AgentRegistry {
  private readonly agents = new Map<string, AgentRecord>()
  private readonly dirty = new Set<string>()
  private readonly removed = new Set<string>()
  private readonly diedListeners = new Set<(d: AgentDiedT) => void>()
  private readonly timeoutMs: number
  private readonly maxAnomalies: number
  private readonly maxAgents: number
  private readonly forgetAfterMs: number
  private busReady: boolean
  private busGraceUntil = 0
  private resolver: PausedResolver | null = null
  private pausedIndex = {
    labels: new Set<string>(),
    shortIds: new Set<string>(),
    hostnames: new Set<string>(),
    names: new Set<string>(),
  }
  rejected = 0
  /** Bumped on any change, so the batcher can skip quiet intervals cheaply. */
  rev = 0

  constructor(opts: AgentRegistryOptions) {
    this.timeoutMs = opts.timeoutMs
    this.maxAnomalies = opts.maxAnomalies ?? 20
    this.maxAgents = opts.maxAgents ?? 5000
    this.forgetAfterMs = opts.forgetAfterMs ?? 24 * 3600_000
    this.busReady = opts.busReady ?? true
  }

  get timeout(): number {
    return this.timeoutMs
  }

  /** Apply one validated heartbeat received at `now`. Returns false when the registry is full. */
  beat(hb: Heartbeat, now: number): boolean {
    let rec = this.agents.get(hb.agent_id)
    if (rec === undefined) {
      if (this.agents.size >= this.maxAgents) {
        this.rejected++
        return false
      }
      rec = {
        id: hb.agent_id,
        name: hb.name,
        groupRaw: hb.group,
        group: normalizeGroup(hb.group),
        reportedStatus: hb.status,
        reportedAt: null,
        lastBeat: now,
        beats: 0,
        step: undefined,
        checkpointVersion: undefined,
        anomalies: [],
        anomalyCount: 0,
        containerId: hb.container_id,
        hostname: hb.hostname,
        paused: false,
        stackPaused: false,
        alive: true,
        status: hb.status,
        graceUntil: 0,
        diedNotified: false,
      }
      this.agents.set(rec.id, rec)
      this.removed.delete(rec.id)
      rec.paused = this.matchesPaused(rec)
    }
    // The schema already refuses non-finite counters; checked again here because a stored
    // Infinity would fake "went back from Infinity" anomalies and serialise as null.
    const step = finiteOrUndefined(hb.step)
    const cp = finiteOrUndefined(hb.checkpoint_version)
    // A counter that goes backwards means a restart from an old checkpoint, a duplicate agent id
    // or a replayed message: the trader must see it, so it is flagged rather than silently taken.
    if (step !== undefined && rec.step !== undefined && step < rec.step) {
      this.anomaly(rec, now, 'step_regression', rec.step, step)
    }
    if (cp !== undefined && rec.checkpointVersion !== undefined && cp < rec.checkpointVersion) {
      this.anomaly(rec, now, 'checkpoint_regression', rec.checkpointVersion, cp)
    }
    if (step !== undefined) rec.step = step
    if (cp !== undefined) rec.checkpointVersion = cp
    if (rec.name !== hb.name) rec.name = hb.name
    if (rec.groupRaw !== hb.group) {
      rec.groupRaw = hb.group
      rec.group = normalizeGroup(hb.group)
    }
    rec.reportedStatus = hb.status
    rec.reportedAt = typeof hb.timestamp === 'number' ? epochToIso(hb.timestamp) : hb.timestamp
    if (rec.containerId !== hb.container_id || rec.hostname !== hb.hostname) {
      rec.containerId = hb.container_id
      rec.hostname = hb.hostname
      rec.paused = this.matchesPaused(rec)
    }
    rec.lastBeat = now
    rec.beats++
    rec.diedNotified = false
    this.refresh(rec, now)
    this.dirty.add(rec.id)
    this.rev++
    return true
  }

  private anomaly(
    rec: AgentRecord,
    now: number,
    kind: Anomaly['kind'],
    previous: number,
    received: number,
  ): void {
    const what = kind === 'step_regression' ? 'step' : 'checkpoint_version'
    rec.anomalies.push({
      at: new Date(now).toISOString(),
      kind,
      previous,
      received,
      message: `${what} went back from ${previous} to ${received}`,
    })
    if (rec.anomalies.length > this.maxAnomalies) rec.anomalies.shift()
    rec.anomalyCount++
  }

  private refresh(rec: AgentRecord, now: number): boolean {
    const alive = now - rec.lastBeat < this.timeoutMs
    let status: string
    if (rec.paused) status = 'paused'
    else if (alive) status = rec.reportedStatus
    else if (rec.stackPaused) status = STACK_PAUSED_SILENCE
    else if (!this.busReady || now < rec.graceUntil || now < this.busGraceUntil) status = 'unknown'
    else status = 'dead'
    const changed = alive !== rec.alive || status !== rec.status
    rec.alive = alive
    rec.status = status
    // Every reader re-judges against the clock (list, totals, get…), not only tick(): whoever sees
    // the change first must flag it, or the UI batch never hears that an agent died.
    if (changed) {
      this.dirty.add(rec.id)
      this.rev++
    }
    return changed
  }

  /**
   * Re-judge every agent against the clock: flags changes for the next UI batch, notifies deaths
   * and forgets agents silent past `forgetAfterMs`.
   */
  tick(now: number): void {
    for (const rec of this.agents.values()) {
      this.refresh(rec, now)
      if (rec.status === 'dead' && !rec.diedNotified) {
        rec.diedNotified = true
        const died: AgentDiedT = {
          agentId: rec.id,
          name: rec.name,
          group: rec.group,
          lastBeat: new Date(rec.lastBeat).toISOString(),
          secondsSinceBeat: Math.round((now - rec.lastBeat) / 100) / 10,
          at: new Date(now).toISOString(),
        }
        for (const l of this.diedListeners) {
          try {
            l(died)
          } catch (err) {
            console.error('[bus] agent-died listener failed:', err)
          }
        }
      }
      if (!rec.alive && !rec.paused && now - rec.lastBeat > this.forgetAfterMs) {
        this.agents.delete(rec.id)
        this.dirty.delete(rec.id)
        this.removed.add(rec.id)
        this.rev++
      }
    }
  }

  /** The bus went up or down. After it comes back, silent agents get one timeout before they count as dead. */
  setBusReady(ready: boolean, now: number): void {
    if (ready === this.busReady) return
    this.busReady = ready
    if (ready) this.busGraceUntil = now + this.timeoutMs
    this.tick(now)
  }

  setPausedContainers(list: readonly PausedContainerInfo[], now: number): void {
    const idx = {
      labels: new Set<string>(),
      shortIds: new Set<string>(),
      hostnames: new Set<string>(),
      names: new Set<string>(),
    }
    for (const c of list) {
      if (c.agentLabel) idx.labels.add(c.agentLabel)
      if (c.containerId) idx.shortIds.add(c.containerId.slice(0, 12).toLowerCase())
      if (c.hostname) idx.hostnames.add(c.hostname)
      if (c.name) idx.names.add(c.name.replace(/^\//, ''))
    }
    this.pausedIndex = idx
    this.repause(now)
  }

  setPausedResolver(resolver: PausedResolver | null, now: number): void {
    this.resolver = resolver
    this.repause(now)
  }

  /** The containers changed (paused or resumed): ask the resolver again for every agent. */
  refreshPaused(now: number): void {
    this.repause(now)
  }

  private repause(now: number): void {
    for (const rec of this.agents.values()) {
      const m = this.matchPaused(rec)
      const paused = m === true
      const stackPaused = m === 'stack-paused'
      if (paused === rec.paused && stackPaused === rec.stackPaused) continue
      const wasQuiet = rec.paused || rec.stackPaused
      rec.paused = paused
      rec.stackPaused = stackPaused
      if (wasQuiet && !paused && !stackPaused) rec.graceUntil = now + this.timeoutMs
      this.refresh(rec, now)
      this.dirty.add(rec.id)
      this.rev++
    }
  }

  private matchesPaused(rec: AgentRecord): boolean {
    const m = this.matchPaused(rec)
    rec.stackPaused = m === 'stack-paused'
    return m === true
  }

  private matchPaused(rec: AgentRecord): boolean | 'stack-paused' {
    const idx = this.pausedIndex
    if (idx.labels.has(rec.id)) return true
    // Docker's default hostname is the 12-char short id, so a hostname can name the container too.
    if (
      rec.containerId !== undefined &&
      rec.containerId.length >= 12 &&
      idx.shortIds.has(rec.containerId.slice(0, 12).toLowerCase())
    )
      return true
    const h = rec.hostname
    if (h !== undefined && (idx.hostnames.has(h) || idx.names.has(h) || idx.shortIds.has(h.toLowerCase())))
      return true
    if (this.resolver !== null) {
      try {
        const probe: { id: string; containerId?: string; hostname?: string } = { id: rec.id }
        if (rec.containerId !== undefined) probe.containerId = rec.containerId
        if (h !== undefined) probe.hostname = h
        return this.resolver(probe)
      } catch {
        return false
      }
    }
    return false
  }

  private view(rec: AgentRecord, now: number): AgentT {
    const v: AgentT = {
      id: rec.id,
      transport: 'redis',
      heardOn: ['redis'],
      name: rec.name,
      group: rec.group,
      groupRaw: rec.groupRaw,
      status: rec.status,
      reportedStatus: rec.reportedStatus,
      lastBeat: new Date(rec.lastBeat).toISOString(),
      reportedAt: rec.reportedAt,
      alive: rec.alive,
      secondsSinceBeat: Math.max(0, Math.round((now - rec.lastBeat) / 100) / 10),
      beats: rec.beats,
      anomalies: rec.anomalies.slice(),
      anomalyCount: rec.anomalyCount,
      paused: rec.paused,
    }
    if (rec.step !== undefined) v.step = rec.step
    if (rec.checkpointVersion !== undefined) v.checkpointVersion = rec.checkpointVersion
    if (rec.containerId !== undefined) v.containerId = rec.containerId
    if (rec.hostname !== undefined) v.hostname = rec.hostname
    return v
  }

  get(id: string, now: number): AgentT | undefined {
    const rec = this.agents.get(id)
    if (rec === undefined) return undefined
    this.refresh(rec, now)
    return this.view(rec, now)
  }

  list(now: number): AgentT[] {
    const out: AgentT[] = []
    for (const rec of this.agents.values()) {
      this.refresh(rec, now)
      out.push(this.view(rec, now))
    }
    return out.sort((a, b) => (a.group === b.group ? (a.id < b.id ? -1 : 1) : a.group < b.group ? -1 : 1))
  }

  totals(now: number): AgentTotalsT {
    const t: AgentTotalsT = { total: 0, alive: 0, dead: 0, paused: 0, unknown: 0 }
    for (const rec of this.agents.values()) {
      this.refresh(rec, now)
      t.total++
      if (rec.status === 'paused' || rec.status === STACK_PAUSED_SILENCE) t.paused++
      else if (rec.status === 'dead') t.dead++
      else if (rec.status === 'unknown') t.unknown++
      else t.alive++
    }
    return t
  }

  /** Agents changed since the last call (for the UI batcher), and ids forgotten since. */
  takeDirty(now: number): { agents: AgentT[]; removed: string[] } {
    const agents: AgentT[] = []
    for (const id of this.dirty) {
      const rec = this.agents.get(id)
      if (rec !== undefined) agents.push(this.view(rec, now))
    }
    this.dirty.clear()
    const removed = [...this.removed]
    this.removed.clear()
    return { agents, removed }
  }

  onDied(listener: (d: AgentDiedT) => void): () => void {
    this.diedListeners.add(listener)
    return () => this.diedListeners.delete(listener)
  }

  get size(): number {
    return this.agents.size
  }
}
