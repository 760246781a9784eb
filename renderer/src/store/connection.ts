import { create } from 'zustand'

export type ConnState = 'connecting' | 'open' | 'reconnecting' | 'unauthorized' | 'no-token'

interface ConnectionState {
  door: 'ipc' | 'ws' | null
  state: ConnState
  who: string | null
  version: string | null
  set(p: Partial<Omit<ConnectionState, 'set'>>): void
}

export const useConnection = create<ConnectionState>((set) => ({
  door: null,
  state: 'connecting',
  who: null,
  version: null,
  set: (p) => set(p),
}))
