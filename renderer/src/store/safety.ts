import { create } from 'zustand'
import type { OpResult, StackdeckClient } from '@contract'
import { messageOf } from '../api/call-error'
import { useConnection } from './connection'

/**
 * The client's copy of the core's safety state (state.get / state.changed). Two rules keep it
 * honest: a state with a lower version than the one held is dropped (a late event never
 * overwrites a newer one), and the whole state is re-read on every reconnect to the host and
 * whenever the core reports Redis back. The core sends the state at least once a second, so
 * silence for STALE_AFTER_MS means the view is stale, whatever the socket says.
 */

export type SafetyState = OpResult<'state.get'>
export type Fact<T> = { known: true; value: T; version: number; at: string; source: string } | { known: false; since: string; reason: string }

export const STALE_AFTER_MS = 2000

interface SafetyStore {
  state: SafetyState | null
  /** Versions below this are dropped; lowered to -1 on reconnect so the re-read is taken whatever it says. */
  floor: number
  /** Client clock when the last state arrived. */
  receivedAt: number | null
  stale: boolean
  staleReason: string | null
  error: string | null
  /** Returns false when the state was older than the one held and was dropped. */
  apply(s: SafetyState, receivedAt?: number): boolean
  /** A new connection: whatever it says next is the truth, even a lower version (a restarted host). */
  resetFloor(): void
  judge(now?: number): void
}

export const useSafety = create<SafetyStore>((set, get) => ({
  state: null,
  floor: -1,
  receivedAt: null,
  stale: true,
  staleReason: 'no state from the host yet',
  error: null,
  apply(s, receivedAt = Date.now()) {
    if (s.version < get().floor) return false
    set({ state: s, floor: s.version, receivedAt, error: null })
    get().judge(receivedAt)
    return true
  },
  resetFloor: () => set({ floor: -1 }),
  judge(now = Date.now()) {
    const { receivedAt, stale, staleReason } = get()
    const conn = useConnection.getState().state
    let reason: string | null = null
    if (conn !== 'open') reason = conn === 'connecting' ? 'connecting to the host' : 'the host is unreachable'
    else if (receivedAt === null) reason = 'no state from the host yet'
    else if (now - receivedAt > STALE_AFTER_MS) reason = 'no word from the host'
    const next = reason !== null
    if (next !== stale || reason !== staleReason) set({ stale: next, staleReason: reason })
  },
}))

/** Follows the core's state for the life of the page. Returns a function that stops following. */
export function startSafetyFeed(client: StackdeckClient): () => void {
  let seq = 0
  const read = () => {
    const mine = ++seq
    client.call('state.get', {}).then(
      (s) => {
        if (mine === seq) useSafety.getState().apply(s)
      },
      (e: unknown) => {
        if (mine === seq) useSafety.setState({ error: messageOf(e) })
      },
    )
  }
  let busReady: boolean | null = null
  const offEvent = client.on('state.changed', (s) => {
    const accepted = useSafety.getState().apply(s)
    const ready = s.bus.known && s.bus.value.state === 'ready'
    // Redis came back: read everything again rather than trust what arrived piecemeal.
    if (accepted && busReady === false && ready) read()
    if (accepted) busReady = ready
  })
  const offConn = useConnection.subscribe((c, prev) => {
    useSafety.getState().judge()
    if (c.state === 'open' && prev.state !== 'open') {
      useSafety.getState().resetFloor()
      read()
    }
  })
  const timer = setInterval(() => useSafety.getState().judge(), 250)
  if (useConnection.getState().state === 'open') read()
  return () => {
    offEvent()
    offConn()
    clearInterval(timer)
  }
}
