import { useEffect } from 'react'
import { AgentDrawer } from './AgentDrawer'
import { AgentGrid } from './AgentGrid'
import { EventMonitor } from './EventMonitor'
import { startHistoryStatusFeed } from './history-store'
import { KillswitchPanel } from './KillswitchPanel'
import { MonitorHeader } from './MonitorHeader'
import { startMonitorAlerts } from './notifications'
import { RatesPanel } from './RatesPanel'
import { RegimePanel } from './RegimePanel'
import { TuneDialog } from './TuneDialog'
import { useMonitorFeed } from './use-monitor-feed'
import './monitor.css'

/** The Monitor tab: bus connection, killswitch, agents (and a drawer with one's status history), regime, throughput and the event list (live or stored). */
export function MonitorView() {
  useMonitorFeed()
  useEffect(startMonitorAlerts, [])
  useEffect(startHistoryStatusFeed, [])
  return (
    <div className="monitor" data-testid="monitor">
      <MonitorHeader />
      <KillswitchPanel />
      <div className="monitor-main">
        <AgentGrid />
        <aside className="monitor-side" aria-label="Regime and throughput">
          <RegimePanel />
          <RatesPanel />
        </aside>
      </div>
      <EventMonitor />
      <TuneDialog />
      <AgentDrawer />
    </div>
  )
}
