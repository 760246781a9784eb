import type { ComponentType } from 'react'
import { AuditView } from './audit/AuditView'
import { ConfigView } from './config/ConfigView'
import { MonitorView } from './monitor/MonitorView'
import { ScheduleView } from './schedule/ScheduleView'
import { StackView } from './stack/StackView'

export interface TabDef {
  id: string
  label: string
  component: ComponentType
}

/** Tabs in display order; Alt+1…9 jumps to the n-th. */
export const tabs: TabDef[] = [
  { id: 'stack', label: 'Stack', component: StackView },
  { id: 'config', label: 'Config', component: ConfigView },
  { id: 'schedule', label: 'Scheduler', component: ScheduleView },
  { id: 'monitor', label: 'Monitor', component: MonitorView },
  { id: 'audit', label: 'Audit', component: AuditView },
]
