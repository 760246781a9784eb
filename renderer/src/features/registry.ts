import type { ComponentType } from 'react'
import { StackView } from './stack/StackView'

export interface TabDef {
  id: string
  label: string
  component: ComponentType
}

/** Tabs in display order; Alt+1…9 jumps to the n-th. */
export const tabs: TabDef[] = [{ id: 'stack', label: 'Stack', component: StackView }]
