import { useEffect } from 'react'
import { create } from 'zustand'
import { getClient } from '../../api/client'
import { messageOf } from '../../api/call-error'
import { useConnection } from '../../store/connection'
import { viewsKey, type ConfigViewsReport } from './config-view-badge'
import { useStackStore } from './use-stack'

interface ConfigViewsStore {
  /** How each container mounts config.toml (no file reads). */
  report: ConfigViewsReport | null
  error: string | null
  loading: boolean
  /** The last "Check what each container sees" (readFiles), and when it was asked. */
  checked: ConfigViewsReport | null
  checkError: string | null
  checking: boolean
  set(p: Partial<Omit<ConfigViewsStore, 'set'>>): void
}

export const useConfigViews = create<ConfigViewsStore>((set) => ({
  report: null,
  error: null,
  loading: false,
  checked: null,
  checkError: null,
  checking: false,
  set: (p) => set(p),
}))

let seq = 0

/** Fetch the views (mounts only: one inspect per container, no file reads). */
export async function loadConfigViews(): Promise<void> {
  const mine = ++seq
  useConfigViews.getState().set({ loading: true })
  try {
    const report = await getClient().call('stack.configViews', {})
    // A slower, older answer never replaces a newer one.
    if (mine === seq) useConfigViews.getState().set({ report, error: null, loading: false })
  } catch (e) {
    if (mine === seq) useConfigViews.getState().set({ error: messageOf(e), loading: false })
  }
}

/** Read the file as each container sees it (archive API; exec for single-file mounts) and compare. */
export async function checkConfigViews(): Promise<void> {
  useConfigViews.getState().set({ checking: true, checkError: null })
  try {
    const checked = await getClient().call('stack.configViews', { readFiles: true })
    // The check also knows the mounts, and it is the newer answer.
    ++seq
    useConfigViews.getState().set({ checked, report: checked, error: null, checking: false })
  } catch (e) {
    useConfigViews.getState().set({ checkError: messageOf(e), checking: false })
  }
}

const REFETCH_DEBOUNCE_MS = 300

/** Loads the views, re-fetches when the stack's containers change (stack.changed) and on every reconnect. */
export function useConfigViewsFeed(): void {
  useEffect(() => {
    const client = getClient()
    const known = useStackStore.getState().snapshot
    let lastKey: string | null = known ? viewsKey(known) : null
    let timer: ReturnType<typeof setTimeout> | null = null
    const later = () => {
      if (timer) clearTimeout(timer)
      timer = setTimeout(() => {
        timer = null
        void loadConfigViews()
      }, REFETCH_DEBOUNCE_MS)
    }
    const off = client.on('stack.changed', (s) => {
      const key = viewsKey(s)
      if (lastKey !== null && key !== lastKey) later()
      lastKey = key
    })
    void loadConfigViews()
    const offConn = useConnection.subscribe((c, prev) => {
      if (c.state === 'open' && prev.state !== 'open') void loadConfigViews()
    })
    return () => {
      off()
      offConn()
      if (timer) clearTimeout(timer)
    }
  }, [])
}
