/**
 * Output of `stackdeck runs` and `stackdeck run <id>`: human tables and the CSV columns. Pure.
 *
 * An unknown value never prints as a safe-looking one: a run that has not beaten has step `-`, not
 * 0, and a health without a heartbeat age is shown alone (`pending`), not `healthy 0s`.
 */
import type { OpResult } from '../core/api/contract'
import type { RunCommandT, RunT, RunTransitionT } from '../core/api/contract/runs'
import { clip, duration, table } from './format'
import type { Column } from './tabular'

export type RunDetailT = OpResult<'runs.get'>

const dash = (v: string | number | null | undefined): string =>
  v === null || v === undefined || v === '' ? '-' : typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '-') : v

const oneLine = (s: string) => s.replace(/\r?\n|\r/g, '\\n')

const jsonText = (v: unknown): string => {
  if (v === null || v === undefined) return '-'
  try {
    return JSON.stringify(v) ?? '-'
  } catch {
    return '?'
  }
}

/** `late 7s`: the health and the age of the last heartbeat; the health alone when there is no beat. */
export function healthText(r: Pick<RunT, 'health' | 'heartbeatAgeMs'>): string {
  const age = ageText(r.heartbeatAgeMs)
  return age === null ? dash(r.health) : `${dash(r.health)} ${age}`
}

/** A heartbeat age: `0.4s`, `7s`, `1m05s`; null when unknown. */
export function ageText(ms: number | null | undefined): string | null {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return null
  // Under 10 s to a tenth: the thresholds (late after 5 s by default) are read at that scale.
  return ms < 10_000 ? `${(Math.max(0, ms) / 1000).toFixed(1).replace(/\.0$/, '')}s` : duration(ms / 1000)
}

export const strategyText = (r: Pick<RunT, 'strategy' | 'version'>) => `${dash(r.strategy)}@${dash(r.version)}`

export const RUN_COLUMNS: readonly Column<RunT>[] = [
  { header: 'id', value: (r) => r.id },
  { header: 'agent', value: (r) => r.agent },
  { header: 'strategy', value: (r) => r.strategy },
  { header: 'version', value: (r) => r.version },
  { header: 'state', value: (r) => r.state },
  { header: 'stateSince', value: (r) => r.stateSince },
  { header: 'health', value: (r) => r.health },
  { header: 'heartbeatAgeMs', value: (r) => r.heartbeatAgeMs },
  { header: 'lastHeartbeatAt', value: (r) => r.lastHeartbeatAt },
  { header: 'step', value: (r) => r.step },
  { header: 'checkpointVersion', value: (r) => r.checkpointVersion },
  { header: 'pendingCommands', value: (r) => r.pendingCommands },
  { header: 'runtimeStatus', value: (r) => r.runtimeStatus },
  { header: 'container', value: (r) => r.container },
  { header: 'createdAt', value: (r) => r.createdAt },
  { header: 'createdBy', value: (r) => r.createdBy },
]

export const RUNS_HEADERS = ['ID', 'AGENT', 'STRATEGY', 'STATE', 'HEALTH', 'STEP', 'CHECKPOINT', 'PENDING']

export function runRow(r: RunT): string[] {
  return [r.id, r.agent, strategyText(r), dash(r.state), healthText(r), dash(r.step), dash(r.checkpointVersion), dash(r.pendingCommands)]
}

export function formatRuns(runs: readonly RunT[], filter: { state?: string; agent?: string } = {}): string {
  if (runs.length === 0) {
    const by = [filter.state && `state ${filter.state}`, filter.agent && `agent ${filter.agent}`].filter(Boolean).join(', ')
    return by ? `no runs with ${by}` : 'no runs'
  }
  return table(RUNS_HEADERS, runs.map(runRow))
}

/** Whether an expired command had reached the agent: the difference matters when reading why nothing happened. */
export function commandStatusText(c: Pick<RunCommandT, 'status' | 'deliveredAt'>): string {
  if (c.status === 'expired') return c.deliveredAt ? 'EXPIRED (delivered, never acknowledged)' : 'EXPIRED (never delivered)'
  return dash(c.status)
}

export function commandResultText(c: Pick<RunCommandT, 'result'>): string {
  const r = c.result
  if (!r) return '-'
  const verdict = r.ok ? 'ok' : 'REFUSED'
  return r.message ? `${verdict}: ${clip(oneLine(r.message), 80)}` : verdict
}

const paramsText = (p: RunCommandT['params'] | null | undefined) =>
  p && Object.keys(p).length > 0 ? clip(oneLine(jsonText(p)), 60) : '-'

export function transitionRow(t: RunTransitionT): string[] {
  return [t.at, `${t.from ?? '-'} -> ${t.to}`, dash(t.who), clip(oneLine(t.why ?? ''), 80) || '-']
}

export function commandRow(c: RunCommandT): string[] {
  return [
    c.id,
    c.type,
    paramsText(c.params),
    commandStatusText(c),
    dash(c.createdAt),
    dash(c.deliveredAt),
    dash(c.acknowledgedAt),
    commandResultText(c),
  ]
}

const kv = (rows: string[][]) => table(['', ''], rows).split('\n').slice(1).join('\n')

export function formatRunDetail(d: RunDetailT): string {
  const r = d.run
  const age = ageText(r.heartbeatAgeMs)
  const beats = `${dash(r.heartbeats)} accepted`
  const heartbeat =
    r.lastHeartbeatAt === null
      ? `none yet (${beats})`
      : `${r.lastHeartbeatAt}${age === null ? '' : ` (${age} ago)`}, ${beats}`
  const rows: string[][] = [
    ['run', r.id],
    ['agent', r.agent],
    ['strategy', strategyText(r)],
    ['state', `${dash(r.state)} since ${dash(r.stateSince)}`],
    ['health', `${healthText(r)} (since ${dash(r.healthSince)})`],
    ['heartbeat', heartbeat],
    ['step', dash(r.step)],
    ['checkpoint', dash(r.checkpointVersion)],
    ['status', dash(r.runtimeStatus)],
    ['metrics', clip(oneLine(jsonText(r.metrics)), 200)],
    ['overrides', clip(oneLine(jsonText(r.overrides)), 200)],
    ['container', dash(r.container)],
    ['created', `${dash(r.createdAt)} by ${dash(r.createdBy)}`],
    ['pending', `${dash(r.pendingCommands)} command${r.pendingCommands === 1 ? '' : 's'}`],
  ]
  const parts = [kv(rows)]
  parts.push(
    d.transitions.length === 0
      ? 'transitions: none'
      : `transitions:\n${table(['AT', 'FROM -> TO', 'WHO', 'WHY'], d.transitions.map(transitionRow))}`,
  )
  parts.push(
    d.commands.length === 0
      ? 'commands: none'
      : `commands:\n${table(['ID', 'TYPE', 'PARAMS', 'STATUS', 'QUEUED', 'DELIVERED', 'ACKNOWLEDGED', 'RESULT'], d.commands.map(commandRow))}`,
  )
  return parts.join('\n\n')
}

/** After queueing: the id alone on the first line (so `| head -1` captures it), then what it is. */
export function formatQueued(c: RunCommandT, created: boolean): string {
  const what = `${created ? 'queued' : 'already queued (same command id)'}: ${c.type}${paramsText(c.params) === '-' ? '' : ` ${paramsText(c.params)}`} for run ${c.runId}, ${commandStatusText(c)}, expires ${c.expiresAt}`
  return `${c.id}\n${what}`
}

/** The outcome of --wait-ack, one line. */
export function formatAckOutcome(c: RunCommandT | null, waitedS: number): string {
  if (!c) return `not acknowledged within ${waitedS}s (the command is no longer in the run's latest commands)`
  if (c.status === 'acknowledged') return `acknowledged at ${dash(c.acknowledgedAt)}: ${commandResultText(c)}`
  if (c.status === 'expired') return `${commandStatusText(c)}: the agent will not act on it`
  return `not acknowledged within ${waitedS}s: ${commandStatusText(c)}${c.deliveredAt ? ` since ${c.deliveredAt}` : ''}`
}
