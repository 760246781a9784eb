import { useEffect, useRef, type KeyboardEvent } from 'react'
import { formatTime } from '../../lib/format'
import { COMMAND_TONE } from './agent-status'
import { confirmTerminate, sendCommand } from './commands'
import { useMonitor } from './monitor-store'
import { useMonitorUi } from './ui-store'

const MENU_WIDTH = 260

function RecentCommands({ agentId }: { agentId: string }) {
  useMonitor((s) => s.commandsRev)
  const all = useMonitor.getState().commands
  const mine = [...all.values()].filter((c) => c.agentId === agentId).slice(-4).reverse()
  if (mine.length === 0) return <p className="muted small menu-note">No command sent yet.</p>
  return (
    <ul className="menu-commands" aria-label="Recent commands">
      {mine.map((c) => (
        <li key={c.commandId} className="small">
          <span className={`badge badge-${COMMAND_TONE[c.state]}`}>{c.state}</span> {c.type} · {formatTime(c.issuedAt)}
          {c.ackMs !== null && <span className="muted"> · {Math.round(c.ackMs)} ms</span>}
          {c.message && <div className="muted ellipsis" title={c.message}>{c.message}</div>}
        </li>
      ))}
    </ul>
  )
}

/** The per-agent command menu (WAI-ARIA menu button pattern: arrows move, Escape closes). */
export function AgentMenu() {
  const menu = useMonitorUi((s) => s.menu)
  const closeMenu = useMonitorUi((s) => s.closeMenu)
  const openTune = useMonitorUi((s) => s.openTune)
  const openDrawer = useMonitorUi((s) => s.openDrawer)
  const agent = useMonitor((s) => (menu ? s.agents.get(menu.agentId) : undefined))
  const ref = useRef<HTMLDivElement>(null)

  useEffect(() => {
    if (!menu) return
    ref.current?.querySelector<HTMLElement>('[role=menuitem]')?.focus()
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node) && e.target !== menu.trigger) closeMenu()
    }
    document.addEventListener('mousedown', onDown)
    return () => document.removeEventListener('mousedown', onDown)
  }, [menu, closeMenu])

  if (!menu) return null
  const id = menu.agentId
  const name = agent?.name ?? id
  const run = (fn: () => unknown) => {
    closeMenu(true)
    void fn()
  }
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const items = [...(ref.current?.querySelectorAll<HTMLElement>('[role=menuitem]') ?? [])]
    const i = items.indexOf(document.activeElement as HTMLElement)
    const go = (n: number) => items[(n + items.length) % items.length]?.focus()
    if (e.key === 'Escape' || e.key === 'Tab') {
      e.preventDefault()
      closeMenu(true)
    } else if (e.key === 'ArrowDown') {
      e.preventDefault()
      go(i + 1)
    } else if (e.key === 'ArrowUp') {
      e.preventDefault()
      go(i - 1)
    } else if (e.key === 'Home') {
      e.preventDefault()
      go(0)
    } else if (e.key === 'End') {
      e.preventDefault()
      go(items.length - 1)
    }
  }
  const left = Math.max(8, Math.min(menu.x - MENU_WIDTH, window.innerWidth - MENU_WIDTH - 8))
  const top = Math.min(menu.y + 4, window.innerHeight - 300)
  return (
    <div ref={ref} className="agent-menu" style={{ left, top, width: MENU_WIDTH }} onKeyDown={onKey} data-testid="agent-menu">
      <div className="menu-title" id="agent-menu-title">
        <strong className="ellipsis">{name}</strong>
        <div className="mono small muted ellipsis">{id}</div>
        {agent && (
          <div className="small muted" data-testid="agent-menu-transport">
            {agent.transport === 'http' ? `Over HTTP: queued for run ${agent.run?.id ?? '?'}, pulled by the agent` : 'Over Redis: pushed on its command channel'}
          </div>
        )}
      </div>
      <div role="menu" aria-labelledby="agent-menu-title">
        <button role="menuitem" tabIndex={-1} onClick={() => openDrawer(id)} data-testid="cmd-details">
          Details and status history…
        </button>
        <button role="menuitem" tabIndex={-1} onClick={() => run(() => sendCommand(id, 'pause'))} data-testid="cmd-pause">
          Pause
        </button>
        <button role="menuitem" tabIndex={-1} onClick={() => run(() => sendCommand(id, 'resume'))} data-testid="cmd-resume">
          Resume
        </button>
        <button role="menuitem" tabIndex={-1} onClick={() => run(() => openTune(id))} data-testid="cmd-tune">
          Tune…
        </button>
        <button role="menuitem" tabIndex={-1} className="menu-danger" onClick={() => run(() => confirmTerminate(id, name))} data-testid="cmd-terminate">
          Terminate…
        </button>
      </div>
      <RecentCommands agentId={id} />
    </div>
  )
}
