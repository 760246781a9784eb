import { memo, useLayoutEffect, useRef } from 'react'
import { formatDuration, formatTime } from '../../lib/format'
import { clockTime } from './event-filter'
import { useNow } from '../../lib/use-now'
import { anomalyText, COMMAND_TONE, HEALTH_TONE, healthOf, RUN_HEALTH_TONE, transportText } from './agent-status'
import type { Agent } from './types'
import { hostNow, useMonitor } from './monitor-store'
import { recordRowLatency } from './probe'
import { useMonitorUi } from './ui-store'

export const AGENT_ROW_HEIGHT = 34

/** The only part of a row that changes every second, fed by the one shared ticker. */
function SinceBeat({ lastBeat, dead }: { lastBeat: string; dead: boolean }) {
  const now = useNow()
  const offset = useMonitor((s) => s.clockOffset)
  const secs = Math.max(0, (hostNow(now, offset) - Date.parse(lastBeat)) / 1000)
  return <span className={dead ? 'since-dead' : secs >= 5 ? 'since-late' : undefined}>{formatDuration(secs)}</span>
}

function CommandState({ agentId }: { agentId: string }) {
  const c = useMonitor((s) => s.lastCommand.get(agentId))
  if (!c) return <span className="muted">—</span>
  const detail = [
    `${c.type} by ${c.who} at ${formatTime(c.issuedAt)}`,
    `state: ${c.state}${c.late ? ' (late ack)' : ''}`,
    c.ackMs !== null ? `ack in ${Math.round(c.ackMs)} ms` : '',
    c.message ?? '',
  ]
    .filter(Boolean)
    .join('\n')
  return (
    <span className={`badge badge-${COMMAND_TONE[c.state]}`} title={detail} data-testid="agent-command-state" data-type={c.type} data-state={c.state}>
      {c.type}: {c.state}
    </span>
  )
}

/** The agent's HTTP run: its health word (toned) and state; the rest in the title. */
function RunCell({ run }: { run: Agent['run'] }) {
  if (!run) return <span className="muted">—</span>
  const title = [
    `run ${run.id}: ${run.strategy} ${run.version}`,
    `state ${run.state}, health ${run.health} since ${formatTime(run.healthSince)}`,
    run.pendingCommands > 0 ? `${run.pendingCommands} command(s) not acknowledged yet` : '',
  ]
    .filter(Boolean)
    .join('\n')
  return (
    <span className="ellipsis" title={title} data-testid="agent-run" data-run-id={run.id} data-state={run.state} data-health={run.health}>
      <span className={`badge badge-${RUN_HEALTH_TONE[run.health]}`}>{run.health}</span> <span className="muted small">{run.state}</span>
    </span>
  )
}

/**
 * One grid row. Memoized on (id, top): it re-renders when ITS agent object is replaced in the
 * store or it moves, not when any of the other thousands of agents beats.
 */
export const AgentRow = memo(function AgentRow({ id, top, index }: { id: string; top: number; index: number }) {
  const a = useMonitor((s) => s.agents.get(id))
  const openMenu = useMonitorUi((s) => s.openMenu)
  const reportedAt = a?.reportedAt ?? null
  // Probe only (a no-op otherwise): a NEW heartbeat reaching this row, not the row mounting.
  const seen = useRef(reportedAt)
  useLayoutEffect(() => {
    if (seen.current === reportedAt) return
    seen.current = reportedAt
    recordRowLatency(reportedAt)
  }, [reportedAt])
  if (!a) return null
  const health = healthOf(a)
  const reported = a.reportedStatus && a.reportedStatus !== health ? a.reportedStatus : ''
  const anomalies = a.anomalyCount > 0 ? anomalyText(a) : ''
  const via = transportText(a)
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      className={`agent-row agent-${health}`}
      style={{ transform: `translateY(${top}px)` }}
      data-testid="agent-row"
      data-agent-id={a.id}
      data-status={health}
    >
      <div role="cell">
        <span className={`badge badge-${HEALTH_TONE[health]}`} data-testid="agent-status">
          {health}
        </span>
      </div>
      <div role="cell" className="mono ellipsis" title={a.id}>
        {a.id}
      </div>
      <div role="cell" className="ellipsis" title={a.hostname ? `${a.name} on ${a.hostname}` : a.name}>
        {a.name}
        {reported && <span className="muted small"> · {reported}</span>}
      </div>
      <div role="cell" title={via.title}>
        <span className={`badge badge-${a.transport === 'http' ? 'info' : 'muted'}`} data-testid="agent-transport" data-transport={a.transport}>
          {via.label}
        </span>
      </div>
      <div role="cell" className="muted" title={a.groupRaw !== a.group ? `sent as "${a.groupRaw}"` : undefined}>
        {a.group}
      </div>
      <div role="cell">
        <RunCell run={a.run} />
      </div>
      <div role="cell" className="mono small" title={a.lastBeat}>
        {clockTime(a.lastBeat)}
      </div>
      <div role="cell" className="mono" data-testid="agent-since">
        <SinceBeat lastBeat={a.lastBeat} dead={health === 'dead'} />
      </div>
      <div role="cell" className="mono small" title="step / checkpoint version, from the last heartbeat" data-testid="agent-step">
        {a.step ?? '—'} / {a.checkpointVersion ?? '—'}
      </div>
      <div role="cell">
        {a.anomalyCount > 0 ? (
          <span
            className="badge badge-warn"
            tabIndex={0}
            title={anomalies}
            aria-label={`${a.anomalyCount} anomalies: ${anomalies}`}
            data-testid="agent-anomalies"
          >
            ⚠ {a.anomalyCount}
          </span>
        ) : (
          <span className="muted">—</span>
        )}
      </div>
      <div role="cell">
        <CommandState agentId={a.id} />
      </div>
      <div role="cell">
        <button
          className="small"
          aria-haspopup="menu"
          aria-label={`Commands for ${a.id}`}
          data-testid="agent-menu-button"
          onClick={(e) => openMenu(a.id, e.currentTarget)}
        >
          ⋯
        </button>
      </div>
    </div>
  )
})
