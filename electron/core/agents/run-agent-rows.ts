import type { AgentCommandT, AgentDiedT, AgentRunT, AgentT, AgentTotalsT } from '../api/contract/bus'
import type { RunCommandT, RunHealth, RunT } from '../api/contract/runs'
import { isFinal } from '../runs/run-rules'

/**
 * How an HTTP run looks in the one agent grid: the same `Agent` row a Redis agent has, so the
 * grid, its order, its totals and every door show both kinds the same way. Pure, so the mapping
 * is tested on its own.
 */

/** An unfinished run takes commands, so commands to its agent go over HTTP. */
export const runTakesCommands = (run: RunT): boolean => !isFinal(run.state)

export function agentRunOf(run: RunT): AgentRunT {
  return {
    id: run.id,
    state: run.state,
    health: run.health,
    healthSince: run.healthSince,
    lastHeartbeatAt: run.lastHeartbeatAt,
    heartbeatAgeMs: run.heartbeatAgeMs,
    step: run.step,
    checkpointVersion: run.checkpointVersion,
    strategy: run.strategy,
    version: run.version,
    pendingCommands: run.pendingCommands,
  }
}

/**
 * The grid's four-state summary of a run's health. A run with no heartbeat yet is unknown, not
 * alive; unhealthy and lost are silent past their thresholds, so they read as dead (the run
 * column keeps the exact word); a paused run or container is paused, never dead.
 */
function statusOf(run: RunT): { status: string; alive: boolean } {
  switch (run.health) {
    case 'pending':
      return { status: 'unknown', alive: false }
    case 'healthy':
      return { status: run.runtimeStatus ?? 'running', alive: true }
    case 'late':
      return { status: 'late', alive: true }
    case 'unhealthy':
    case 'lost':
      return { status: 'dead', alive: false }
    case 'paused':
      return { status: 'paused', alive: false }
    case 'ended':
      return { status: 'ended', alive: false }
  }
}

/** The row of an agent heard only over HTTP, from its latest run. */
export function agentRowOfRun(run: RunT, now: number): AgentT {
  const { status, alive } = statusOf(run)
  // No heartbeat yet: the age counts from the run's creation, which is how long it has been silent.
  const lastBeat = run.lastHeartbeatAt ?? run.createdAt
  const row: AgentT = {
    id: run.agent,
    // Heard only over HTTP: there is no Redis channel to push to, even once the run ended (its
    // commands are then refused with a clear 409 rather than published to nobody).
    transport: 'http',
    heardOn: ['http'],
    run: agentRunOf(run),
    name: run.agent,
    group: 'other',
    groupRaw: '',
    status,
    reportedStatus: run.runtimeStatus ?? run.state,
    lastBeat,
    reportedAt: run.lastHeartbeatAt,
    alive,
    secondsSinceBeat: Math.max(0, (now - Date.parse(lastBeat)) / 1000),
    beats: run.heartbeats,
    anomalies: [],
    anomalyCount: 0,
    paused: run.health === 'paused',
  }
  if (run.step !== null) row.step = run.step
  if (run.checkpointVersion !== null) row.checkpointVersion = run.checkpointVersion
  return row
}

/** A Redis agent that also has an HTTP run: its liveness stays the bus's, the run is attached. */
export function withRun(agent: AgentT, run: RunT | undefined): AgentT {
  if (run === undefined) return agent
  return { ...agent, heardOn: ['redis', 'http'], transport: runTakesCommands(run) ? 'http' : 'redis', run: agentRunOf(run) }
}

/** Adds an HTTP-only row to the bus's totals, by the same four-state summary the grid shows. */
export function countRow(t: AgentTotalsT, row: AgentT): void {
  if (row.status === 'ended') {
    t.ended = (t.ended ?? 0) + 1
    return
  }
  t.total++
  if (row.paused) t.paused++
  else if (row.status === 'dead') t.dead++
  else if (row.status === 'unknown') t.unknown++
  else t.alive++
}

const STATE_OF: Record<RunCommandT['status'], AgentCommandT['state'] | null> = {
  queued: 'queued',
  delivered: 'delivered',
  acknowledged: null, // acked or rejected, by the result
  expired: 'expired',
}

/** A run command as an agent command, so one list (and one toast) covers both transports. */
export function agentCommandOfRun(cmd: RunCommandT, agentId: string): AgentCommandT {
  const acked = cmd.acknowledgedAt
  return {
    commandId: cmd.id,
    agentId,
    transport: 'http',
    runId: cmd.runId,
    type: cmd.type,
    params: { ...cmd.params },
    who: cmd.createdBy,
    issuedAt: cmd.createdAt,
    deliveredAt: cmd.deliveredAt,
    expiresAt: cmd.expiresAt,
    state: STATE_OF[cmd.status] ?? (cmd.result?.ok === false ? 'rejected' : 'acked'),
    receivers: cmd.deliveredAt === null ? 0 : 1,
    ackedAt: acked,
    ackMs: acked === null ? null : Math.max(0, Date.parse(acked) - Date.parse(cmd.createdAt)),
    late: false,
    message: cmd.result?.message ?? null,
  }
}

/** The death notice of a run that just went lost from a live health; null for any other change. */
export function agentDiedOfRun(run: RunT, from: RunHealth): AgentDiedT | null {
  if (run.health !== 'lost' || from === 'lost' || from === 'paused' || from === 'ended') return null
  const lastBeat = run.lastHeartbeatAt ?? run.createdAt
  return {
    agentId: run.agent,
    name: run.agent,
    group: 'other',
    lastBeat,
    secondsSinceBeat: Math.max(0, (run.heartbeatAgeMs ?? Date.parse(run.healthSince) - Date.parse(lastBeat)) / 1000),
    at: run.healthSince,
  }
}
