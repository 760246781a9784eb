import { create } from 'zustand'

/** Which agent's command menu or tune form is open; kept apart from the data store on purpose. */
interface MonitorUi {
  menu: { agentId: string; x: number; y: number; trigger: HTMLElement | null } | null
  tuneFor: string | null
  openMenu(agentId: string, trigger: HTMLElement): void
  closeMenu(restoreFocus?: boolean): void
  /** The grid scrolled: follow the trigger, or close when its row left the screen. */
  followTrigger(): void
  openTune(agentId: string): void
  closeTune(): void
}

export const useMonitorUi = create<MonitorUi>((set, get) => ({
  menu: null,
  tuneFor: null,
  openMenu(agentId, trigger) {
    const r = trigger.getBoundingClientRect()
    set({ menu: { agentId, x: r.right, y: r.bottom, trigger } })
  },
  closeMenu(restoreFocus = false) {
    const m = get().menu
    set({ menu: null })
    if (restoreFocus && m?.trigger?.isConnected) m.trigger.focus()
  },
  followTrigger() {
    const m = get().menu
    if (!m) return
    const r = m.trigger?.isConnected ? m.trigger.getBoundingClientRect() : null
    if (!r || r.bottom < 0 || r.top > window.innerHeight) set({ menu: null })
    else if (r.right !== m.x || r.bottom !== m.y) set({ menu: { ...m, x: r.right, y: r.bottom } })
  },
  openTune: (tuneFor) => set({ tuneFor, menu: null }),
  closeTune: () => set({ tuneFor: null }),
}))
