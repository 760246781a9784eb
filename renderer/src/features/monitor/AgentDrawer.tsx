import { useEffect, useRef, useState } from 'react'
import { getClient } from '../../api/client'
import { messageOf } from '../../api/call-error'
import { toast } from '../../store/toasts'
import { newestTransitions, TIMELINE_CAP, transitionDetail } from './agent-timeline'
import { HEALTH_TONE, healthOf, transportText } from './agent-status'
import { RunDetails } from './RunDetails'
import { useHistory } from './history-store'
import { useMonitor } from './monitor-store'
import { historyAvailability, stamp, type AgentTransition } from './time-range'
import { useMonitorUi } from './ui-store'

const SPANS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, all: null } as const
type Span = keyof typeof SPANS

type Timeline = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ok'; transitions: AgentTransition[]; at: number }

const TONE: Record<string, string> = { alive: 'ok', dead: 'bad', paused: 'warn', unknown: 'muted', forgotten: 'muted' }

function useTimeline(agentId: string | null, span: Span, rev: number): Timeline {
  // The answer is kept with the query it answers: a different agent, span or refresh reads as loading.
  const key = agentId ? `${agentId}\n${span}\n${rev}` : null
  const [res, setRes] = useState<{ key: string; t: Timeline } | null>(null)
  useEffect(() => {
    if (!agentId || !key) return
    let alive = true
    const ms = SPANS[span]
    getClient()
      .call('history.agent', { agent: agentId, ...(ms === null ? {} : { from: new Date(Date.now() - ms).toISOString() }) })
      .then((r) => alive && setRes({ key, t: { state: 'ok', transitions: r.transitions, at: Date.now() } }))
      .catch((e: unknown) => {
        if (!alive) return
        const message = messageOf(e)
        setRes({ key, t: { state: 'error', message } })
        toast.error(`Could not read the status history of ${agentId} (history.agent)`, message)
      })
    return () => {
      alive = false
    }
  }, [agentId, span, key])
  return res && res.key === key ? res.t : { state: 'loading' }
}

/**
 * An agent's details and its status timeline from the history store. Non-modal so the grid stays
 * usable beside it; Escape or Close shuts it and returns focus to the agent's row.
 */
export function AgentDrawer() {
  const id = useMonitorUi((s) => s.drawerFor)
  const close = useMonitorUi((s) => s.closeDrawer)
  const agent = useMonitor((s) => (id ? s.agents.get(id) : undefined))
  const status = useHistory((s) => s.status)
  const statusError = useHistory((s) => s.statusError)
  const [span, setSpan] = useState<Span>('24h')
  const [rev, setRev] = useState(0)
  const closeRef = useRef<HTMLButtonElement>(null)
  const a = historyAvailability(status, statusError)
  // Ask only when the store can answer; otherwise say why instead of an empty timeline.
  const timeline = useTimeline(id && a.readable ? id : null, span, rev)

  useEffect(() => {
    if (id) closeRef.current?.focus()
  }, [id])

  if (!id) return null
  const health = agent ? healthOf(agent) : null
  return (
    <aside
      className="agent-drawer"
      role="dialog"
      aria-modal="false"
      aria-labelledby="agent-drawer-title"
      data-testid="agent-drawer"
      data-agent-id={id}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault()
          close()
        }
      }}
    >
      <header className="row">
        <h2 id="agent-drawer-title" className="ellipsis">
          {agent?.name ?? id}
        </h2>
        {health ? (
          <span className={`badge badge-${HEALTH_TONE[health]}`} title={agent?.heardOn.includes('redis') ? 'Live, from the bus' : 'Live, from its HTTP run'}>
            {health}
          </span>
        ) : (
          <span className="badge badge-muted" title="The agent is not in the live registry now">
            not in the registry now
          </span>
        )}
        <span className="spacer" />
        <button ref={closeRef} className="small" onClick={close} data-testid="agent-drawer-close">
          Close
        </button>
      </header>
      <dl className="agent-fields small">
        <dt className="muted">ID</dt>
        <dd className="mono">{id}</dd>
        {agent && (
          <>
            <dt className="muted">Via</dt>
            <dd title={transportText(agent).title} data-testid="agent-drawer-transport">
              {transportText(agent).label}
            </dd>
            <dt className="muted">Group</dt>
            <dd>{agent.group}</dd>
            <dt className="muted">Host</dt>
            <dd>{agent.hostname ?? <span className="muted">unknown</span>}</dd>
            <dt className="muted">Last beat</dt>
            <dd className="mono" title={agent.lastBeat}>
              {stamp(agent.lastBeat)}
            </dd>
            <dt className="muted">Anomalies</dt>
            <dd>{agent.anomalyCount}</dd>
          </>
        )}
      </dl>
      {agent?.run && <RunDetails runId={agent.run.id} />}
      <div className="row">
        <h3 className="small muted">Status history</h3>
        <span className="spacer" />
        <select value={span} onChange={(e) => setSpan(e.target.value as Span)} aria-label="Timeline span" data-testid="agent-timeline-span" disabled={!a.readable}>
          <option value="1h">last hour</option>
          <option value="24h">last 24 h</option>
          <option value="7d">last 7 days</option>
          <option value="all">all stored</option>
        </select>
        <button className="small" onClick={() => setRev((r) => r + 1)} disabled={!a.readable} data-testid="agent-timeline-refresh">
          Refresh
        </button>
      </div>
      <TimelineBody readable={a.readable} state={a.state} reason={a.reason} timeline={timeline} />
    </aside>
  )
}

function TimelineBody({ readable, state, reason, timeline }: { readable: boolean; state: string; reason: string | null; timeline: Timeline }) {
  if (!readable)
    return (
      <p className="muted small" data-testid="agent-timeline-unavailable">
        Status history {state === 'loading' ? 'not known yet' : 'unavailable'}: history {state}
        {reason ? ` (${reason})` : ''}. The agent's past states are unknown here, not "no changes".
      </p>
    )
  if (timeline.state === 'loading') return <p className="muted small">Reading the status history…</p>
  if (timeline.state === 'error')
    return (
      <p className="field-error" role="alert" data-testid="agent-timeline-error">
        The status history could not be read: {timeline.message}
      </p>
    )
  const { rows, hidden } = newestTransitions(timeline.transitions)
  if (rows.length === 0)
    return (
      <p className="muted small" data-testid="agent-timeline-empty">
        No status change stored in this span{state === 'paused' ? `; note that history is paused (${reason})` : ''}.
      </p>
    )
  return (
    <>
      <ol className="agent-timeline" aria-label="Status changes, newest first" data-testid="agent-timeline">
        {rows.map((t, i) => (
          <li key={`${t.at}-${i}`} data-testid="agent-transition" data-from={t.from ?? ''} data-to={t.to}>
            <span className="mono small muted" title={t.at}>
              {stamp(t.at)}
            </span>{' '}
            {t.from === null ? <span className="badge badge-muted" title="No earlier state recorded (first seen by this store)">first seen</span> : <span className={`badge badge-${TONE[t.from] ?? 'muted'}`}>{t.from}</span>}
            {' → '}
            <span className={`badge badge-${TONE[t.to] ?? 'muted'}`}>{t.to}</span>
            {transitionDetail(t.detail, (s) => stamp(s)) && <div className="muted small">{transitionDetail(t.detail, (s) => stamp(s))}</div>}
          </li>
        ))}
      </ol>
      {hidden > 0 && (
        <p className="muted small" data-testid="agent-timeline-hidden">
          {hidden.toLocaleString()} older change{hidden === 1 ? '' : 's'} not shown (the newest {TIMELINE_CAP} are); pick a shorter span.
        </p>
      )}
    </>
  )
}
