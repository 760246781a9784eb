import type { Agent, AgentCommand } from './types'

export type AgentHealth = 'alive' | 'dead' | 'paused' | 'silent (stack paused)' | 'unknown' | 'ended'

/** The core's word for an agent whose container is unknown while the stack is paused: not dead. */
export const STACK_PAUSED_SILENCE = 'silent (stack paused)'

/**
 * The states the grid badges; what the agent itself reports is shown beside it. `ended`: an agent
 * heard only over HTTP whose run finished (it is not alive, and not dead either).
 */
export function healthOf(a: Pick<Agent, 'status' | 'paused'>): AgentHealth {
  if (a.status === 'dead') return 'dead'
  if (a.status === 'ended') return 'ended'
  if (a.status === 'unknown') return 'unknown'
  if (a.status === STACK_PAUSED_SILENCE) return STACK_PAUSED_SILENCE
  if (a.paused || a.status === 'paused') return 'paused'
  return 'alive'
}

export const HEALTH_TONE: Record<AgentHealth, string> = { alive: 'ok', dead: 'bad', paused: 'warn', [STACK_PAUSED_SILENCE]: 'warn', unknown: 'muted', ended: 'muted' }

export const COMMAND_TONE: Record<AgentCommand['state'], string> = {
  queued: 'muted',
  delivered: 'muted',
  expired: 'warn',
  undelivered: 'warn',
  acked: 'ok',
  rejected: 'bad',
  timeout: 'warn',
  failed: 'bad',
}

export function anomalyText(a: Pick<Agent, 'anomalies' | 'anomalyCount'>): string {
  const lines = a.anomalies.map((x) => `${new Date(x.at).toLocaleTimeString()}: ${x.message}`)
  const older = a.anomalyCount - a.anomalies.length
  if (older > 0) lines.unshift(`(${older} older not shown)`)
  return lines.join('\n')
}

/** A run's health word as the grid's run column tones it (the exact word, not the summary). */
export const RUN_HEALTH_TONE: Record<NonNullable<Agent['run']>['health'], string> = {
  pending: 'muted',
  healthy: 'ok',
  late: 'warn',
  unhealthy: 'bad',
  lost: 'bad',
  paused: 'warn',
  ended: 'muted',
}

/** The transport cell: where commands go, and where the agent is heard when that is both. */
export function transportText(a: Pick<Agent, 'transport' | 'heardOn'>): { label: string; title: string } {
  const both = a.heardOn.length > 1
  const title =
    a.transport === 'http'
      ? 'HTTP agent: it pulls its commands (commands/next) and acknowledges them'
      : 'Redis agent: commands are pushed on agent.<id>.command and acknowledged on the bus'
  return { label: both ? `${a.transport} (+${a.transport === 'http' ? 'redis' : 'http'})` : a.transport, title: both ? `${title}; heard on Redis and over HTTP` : title }
}
