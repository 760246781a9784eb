import type { Agent, AgentCommand } from './types'

export type AgentHealth = 'alive' | 'dead' | 'paused' | 'silent (stack paused)' | 'unknown'

/** The core's word for an agent whose container is unknown while the stack is paused: not dead. */
export const STACK_PAUSED_SILENCE = 'silent (stack paused)'

/** The four states the grid badges; what the agent itself reports is shown beside it. */
export function healthOf(a: Pick<Agent, 'status' | 'paused'>): AgentHealth {
  if (a.status === 'dead') return 'dead'
  if (a.status === 'unknown') return 'unknown'
  if (a.status === STACK_PAUSED_SILENCE) return STACK_PAUSED_SILENCE
  if (a.paused || a.status === 'paused') return 'paused'
  return 'alive'
}

export const HEALTH_TONE: Record<AgentHealth, string> = { alive: 'ok', dead: 'bad', paused: 'warn', [STACK_PAUSED_SILENCE]: 'warn', unknown: 'muted' }

export const COMMAND_TONE: Record<AgentCommand['state'], string> = {
  delivered: 'muted',
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
