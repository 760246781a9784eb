import { create } from 'zustand'
import type { EventPayload } from '@contract'

export type Alert = EventPayload<'app.alert'>

/** Persistent alerts (containers left paused, failed services): they stay until the trader dismisses them. */
interface AlertState {
  alerts: Alert[]
  add(a: Alert): void
  dismiss(id: string): void
}

export const useAlerts = create<AlertState>((set, get) => ({
  alerts: [],
  add(a) {
    set({ alerts: [...get().alerts.filter((x) => x.id !== a.id), a] })
  },
  dismiss(id) {
    set({ alerts: get().alerts.filter((a) => a.id !== id) })
  },
}))
