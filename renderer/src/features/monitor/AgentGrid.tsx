import { useRef } from 'react'
import { useVirtualizer } from '@tanstack/react-virtual'
import type { Agent } from './types'
import type { SortKey } from './agent-order'
import { AGENT_ROW_HEIGHT, AgentRow } from './AgentRow'
import { AgentMenu } from './AgentMenu'
import { useMonitor } from './monitor-store'
import { useMonitorUi } from './ui-store'

const GROUPS = ['ingestion', 'signals', 'execution', 'orchestration', 'other'] as const satisfies readonly Agent['group'][]

const COLUMNS: Array<{ key: SortKey | null; label: string }> = [
  { key: 'status', label: 'Status' },
  { key: 'id', label: 'ID' },
  { key: 'name', label: 'Name' },
  { key: null, label: 'Via' },
  { key: 'group', label: 'Group' },
  { key: null, label: 'Run' },
  { key: 'lastBeat', label: 'Last beat' },
  { key: 'since', label: 'Since' },
  { key: null, label: 'Step / ckpt' },
  { key: null, label: 'Anomalies' },
  { key: null, label: 'Last command' },
  { key: null, label: '' },
]

function HeaderCell({ col }: { col: (typeof COLUMNS)[number] }) {
  const order = useMonitor((s) => s.order)
  const setOrder = useMonitor((s) => s.setOrder)
  if (!col.key) {
    return (
      <div role="columnheader" className="grid-th">
        {col.label && <span>{col.label}</span>}
        {!col.label && <span className="sr-only">Actions</span>}
      </div>
    )
  }
  const key = col.key
  const active = order.key === key
  const sort = active ? (order.dir === 'asc' ? 'ascending' : 'descending') : 'none'
  return (
    <div role="columnheader" aria-sort={sort} className="grid-th">
      <button
        className="th-button"
        data-testid={`sort-${key}`}
        onClick={() => setOrder({ key, dir: active && order.dir === 'asc' ? 'desc' : 'asc' })}
      >
        {col.label}
        <span aria-hidden="true" className="sort-mark">
          {active ? (order.dir === 'asc' ? '▲' : '▼') : ''}
        </span>
      </button>
    </div>
  )
}

/** Own component: totals change with every batch, the grid around it should not re-render for that. */
function Totals() {
  const totals = useMonitor((s) => s.totals)
  return (
    <span className="muted small" data-testid="agent-totals">
      {totals.total} total · {totals.alive} alive · {totals.dead} dead · {totals.paused} paused · {totals.unknown} unknown
    </span>
  )
}

/** The agent status grid: virtualized, so a thousand agents cost the same as the thirty on screen. */
export function AgentGrid() {
  const ids = useMonitor((s) => s.ids)
  const order = useMonitor((s) => s.order)
  const setOrder = useMonitor((s) => s.setOrder)
  const loaded = useMonitor((s) => s.loaded)
  const followTrigger = useMonitorUi((s) => s.followTrigger)
  const scrollRef = useRef<HTMLDivElement>(null)
  // eslint-disable-next-line react-hooks/incompatible-library -- no React Compiler in this build; the virtualizer re-renders its host itself
  const virt = useVirtualizer({
    count: ids.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => AGENT_ROW_HEIGHT,
    overscan: 8,
    getItemKey: (i) => ids[i] ?? i,
  })

  return (
    <section className="card agent-card" aria-labelledby="agents-title" data-testid="agent-grid">
      <div className="row">
        <h2 id="agents-title">Agents</h2>
        <Totals />
        <span className="spacer" />
        <label className="row small">
          <span>Group</span>
          <select value={order.group} onChange={(e) => setOrder({ group: e.target.value })} data-testid="group-filter">
            <option value="">All groups</option>
            {GROUPS.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </label>
        <label className="row small">
          <input type="checkbox" checked={order.deadFirst} onChange={(e) => setOrder({ deadFirst: e.target.checked })} data-testid="dead-first" />
          <span>Dead first</span>
        </label>
      </div>
      <div role="table" aria-label="Agents" aria-rowcount={ids.length + 1} className="agent-table">
        <div role="rowgroup">
          <div role="row" aria-rowindex={1} className="agent-row agent-head">
            {COLUMNS.map((c) => (
              <HeaderCell key={c.label || 'actions'} col={c} />
            ))}
          </div>
        </div>
        <div ref={scrollRef} className="agent-scroll" role="rowgroup" onScroll={followTrigger} data-testid="agent-scroll">
          {ids.length === 0 ? (
            <p className="muted empty">{loaded ? (order.group ? `No ${order.group} agents.` : 'No agent has sent a heartbeat yet.') : 'Loading agents…'}</p>
          ) : (
            <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
              {virt.getVirtualItems().map((v) => {
                const id = ids[v.index]
                return id === undefined ? null : <AgentRow key={id} id={id} top={v.start} index={v.index} />
              })}
            </div>
          )}
        </div>
      </div>
      <AgentMenu />
    </section>
  )
}
