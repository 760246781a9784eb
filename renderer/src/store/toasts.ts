import { create } from 'zustand'

export type ToastKind = 'success' | 'error' | 'info' | 'warning'
export interface Toast {
  id: number
  kind: ToastKind
  title: string
  message?: string
  /** Sticky toasts stay until dismissed: used for anything the trader must act on. */
  sticky: boolean
}

interface ToastState {
  toasts: Toast[]
  push(t: Omit<Toast, 'id' | 'sticky'> & { sticky?: boolean }): number
  dismiss(id: number): void
}

let seq = 1
export const useToasts = create<ToastState>((set, get) => ({
  toasts: [],
  push(t) {
    const id = seq++
    const toast: Toast = { ...t, id, sticky: t.sticky ?? t.kind === 'error' }
    set({ toasts: [...get().toasts.slice(-6), toast] })
    if (!toast.sticky) setTimeout(() => get().dismiss(id), 6000)
    return id
  },
  dismiss(id) {
    set({ toasts: get().toasts.filter((t) => t.id !== id) })
  },
}))

export const toast = {
  success: (title: string, message?: string) => useToasts.getState().push({ kind: 'success', title, message }),
  error: (title: string, message?: string) => useToasts.getState().push({ kind: 'error', title, message }),
  info: (title: string, message?: string) => useToasts.getState().push({ kind: 'info', title, message }),
  warning: (title: string, message?: string, sticky = false) =>
    useToasts.getState().push({ kind: 'warning', title, message, sticky }),
}
