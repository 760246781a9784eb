import { create } from 'zustand'

export interface ConfirmRequest {
  title: string
  message: string
  confirmLabel: string
  danger?: boolean
  /** When set, the trader must type a reason before confirming (killswitch, release). */
  reasonLabel?: string
}

interface ConfirmState {
  request: (ConfirmRequest & { resolve: (r: { ok: boolean; reason: string }) => void }) | null
  ask(req: ConfirmRequest): Promise<{ ok: boolean; reason: string }>
  settle(ok: boolean, reason?: string): void
}

export const useConfirm = create<ConfirmState>((set, get) => ({
  request: null,
  ask(req) {
    return new Promise((resolve) => {
      get().request?.resolve({ ok: false, reason: '' })
      set({ request: { ...req, resolve } })
    })
  },
  settle(ok, reason = '') {
    get().request?.resolve({ ok, reason })
    set({ request: null })
  },
}))

export const confirmAction = (req: ConfirmRequest) => useConfirm.getState().ask(req)
