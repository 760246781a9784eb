import { create } from 'zustand'

/** Which agent's command menu or tune form is open; kept apart from the data store on purpose. */
interface MonitorUi {
  menu: { agentId: string; x: number; y: number; trigger: HTMLElement | null } | null
  tuneFor: string | null
  /** The agent whose details drawer (status timeline) is open. */
  drawerFor: string | null
  openMenu(agentId: string, trigger: HTMLElement): void
  closeMenu(restoreFocus?: boolean): void
  /** The grid scrolled: follow the trigger, or close when its row left the screen. */
  followTrigger(): void
  openTune(agentId: string): void
  closeTune(): void
  openDrawer(agentId: string): void
  closeDrawer(): void
}

export const useMonitorUi = create<MonitorUi>((set, get) => ({
  menu: null,
  tuneFor: null,
  drawerFor: null,
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
  openDrawer: (drawerFor) => set({ drawerFor, menu: null }),
  closeDrawer() {
    const id = get().drawerFor
    set({ drawerFor: null })
    // Back to where the trader came from: the row's command button, when the row is still on screen.
    if (id) document.querySelector<HTMLElement>(`[data-testid=agent-row][data-agent-id="${CSS.escape(id)}"] [data-testid=agent-menu-button]`)?.focus()
  },
}))
