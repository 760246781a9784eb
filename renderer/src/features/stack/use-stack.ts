import { useEffect } from 'react'
import { create } from 'zustand'
import type { EventPayload, OpResult } from '@contract'
import { getClient } from '../../api/client'
import { messageOf } from '../../api/call-error'
import { createFrameBatcher } from '../../lib/frame-batcher'
import { useConnection } from '../../store/connection'
import { toast } from '../../store/toasts'
import { actionTargetText, summarizeAction } from './action-summary'

export type Snapshot = OpResult<'stack.list'>
export type ActionResult = OpResult<'stack.pause'>
type Target = { service?: string; container?: string }

interface StackStore {
  snapshot: Snapshot | null
  error: string | null
  /** Keys of targets with an action in flight ('*' = whole stack), so their buttons disable. */
  busy: Set<string>
  setSnapshot(s: Snapshot): void
  setError(e: string | null): void
  setBusy(key: string, on: boolean): void
}

export const useStackStore = create<StackStore>((set, get) => ({
  snapshot: null,
  error: null,
  busy: new Set(),
  setSnapshot: (snapshot) => set({ snapshot, error: null }),
  setError: (error) => set({ error }),
  setBusy(key, on) {
    const busy = new Set(get().busy)
    if (on) busy.add(key)
    else busy.delete(key)
    set({ busy })
  },
}))

export const targetKey = (t: Target) => t.container ?? (t.service ? `svc:${t.service}` : '*')

/** Loads the snapshot, then follows `stack.changed` (bursts collapse to one render per frame); re-lists on reconnect. */
export function useStackFeed(): void {
  useEffect(() => {
    const client = getClient()
    const batcher = createFrameBatcher<EventPayload<'stack.changed'>>((items) => {
      const last = items[items.length - 1]
      if (last) useStackStore.getState().setSnapshot(last)
    })
    const off = client.on('stack.changed', (s) => batcher.push(s))
    const load = () =>
      client.call('stack.list', {}).then(
        (s) => useStackStore.getState().setSnapshot(s),
        (e: unknown) => useStackStore.getState().setError(messageOf(e)),
      )
    void load()
    // Changes made while the host was unreachable were never streamed to us: re-list on every reconnect
    // rather than trust the snapshot we held through the outage.
    const offConn = useConnection.subscribe((c, prev) => {
      if (c.state === 'open' && prev.state !== 'open') void load()
    })
    return () => {
      off()
      offConn()
      batcher.cancel()
    }
  }, [])
}


type ActionOp = 'stack.pause' | 'stack.resume' | 'stack.restart' | 'stack.signal'
const VERB: Record<ActionOp, string> = {
  'stack.pause': 'Paused',
  'stack.resume': 'Resumed',
  'stack.restart': 'Restarted',
  'stack.signal': 'Signalled',
}

export async function runAction(op: ActionOp, target: Target, extra: { signal?: string; reason?: string } = {}): Promise<void> {
  const key = targetKey(target)
  const store = useStackStore.getState()
  store.setBusy(key, true)
  try {
    const input = { target, ...(extra.reason ? { reason: extra.reason } : {}), ...(op === 'stack.signal' ? { signal: extra.signal ?? 'SIGHUP' } : {}) }
    const r = await getClient().call(op, input)
    const res = r
    const failures = res.containers.filter((c) => c.outcome === 'failed' || c.outcome === 'timeout')
    if (res.ok) toast.success(summarizeAction(VERB[op], target, res))
    else
      toast.error(
        `${VERB[op]} ${actionTargetText(target, res)} with problems`,
        [
          summarizeAction(VERB[op], target, res),
          ...failures.map((f) => `${f.name}: ${f.outcome}${f.error ? ` (${f.error})` : ''}`),
          ...res.unreachable.map((u) => `endpoint ${u.endpoint} unreachable: ${u.error}`),
        ].join('\n'),
      )
  } catch (e) {
    toast.error(`${VERB[op]} ${actionTargetText(target, { containers: [] })} failed`, messageOf(e))
  } finally {
    useStackStore.getState().setBusy(key, false)
  }
}
