import { create } from 'zustand'

/** What app.info says about the instance a window drives (contract AppInfo.instance, plus its pid). */
export interface HostFacts {
  kind: 'desktop' | 'headless' | 'embedded'
  url: string | null
  hostname: string
  stateDir: string
  pid: number
}

export type ConnState = 'connecting' | 'open' | 'reconnecting' | 'unauthorized' | 'no-token'

interface ConnectionState {
  door: 'ipc' | 'ws' | null
  state: ConnState
  who: string | null
  version: string | null
  /** Which instance this window drives (app.info); null until it answers. */
  host: HostFacts | null
  set(p: Partial<Omit<ConnectionState, 'set'>>): void
}

export const useConnection = create<ConnectionState>((set) => ({
  door: null,
  state: 'connecting',
  who: null,
  version: null,
  host: null,
  set: (p) => set(p),
}))
