import { useEffect } from 'react'
import { AgentGrid } from './AgentGrid'
import { EventMonitor } from './EventMonitor'
import { KillswitchPanel } from './KillswitchPanel'
import { MonitorHeader } from './MonitorHeader'
import { startMonitorAlerts } from './notifications'
import { RatesPanel } from './RatesPanel'
import { RegimePanel } from './RegimePanel'
import { TuneDialog } from './TuneDialog'
import { useMonitorFeed } from './use-monitor-feed'
import './monitor.css'

/** The Monitor tab: bus connection, killswitch, agents, regime, throughput and the live event list. */
export function MonitorView() {
  useMonitorFeed()
  useEffect(startMonitorAlerts, [])
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
    </div>
  )
}
