import { useEffect } from 'react'
import { create } from 'zustand'
import { getClient } from '../../api/client'
import { CallError, messageOf } from '../../api/call-error'
import { createFrameBatcher } from '../../lib/frame-batcher'
import { confirmAction } from '../../store/confirm'
import { toast } from '../../store/toasts'
import {
  failureReason,
  newlyFailed,
  statesOf,
  summarizeRestart,
  type ServiceSupervision,
  type SupervisionState,
  type SuperviseStatus,
} from './supervision-model'

interface SupervisionStore {
  status: SuperviseStatus | null
  error: string | null
  /** Services with a reset or restart in flight, so their buttons disable. */
  busy: Set<string>
}

export const useSupervisionStore = create<SupervisionStore>(() => ({ status: null, error: null, busy: new Set() }))

// Last states seen, kept across unmounts so a failure seen on returning to the tab is still a transition.
let known: Map<string, SupervisionState> | null = null

function applyStatus(status: SuperviseStatus): void {
  if (known) {
    for (const s of newlyFailed(known, status)) {
      toast.error(`${s.service} FAILED: auto-heal gave up`, `${failureReason(s)}. Fix the cause, then "Reset failed" in the Stack tab.`)
    }
  }
  known = statesOf(status)
  useSupervisionStore.setState({ status, error: null })
}

function setBusy(service: string, on: boolean): void {
  const busy = new Set(useSupervisionStore.getState().busy)
  if (on) busy.add(service)
  else busy.delete(service)
  useSupervisionStore.setState({ busy })
}

// One subscription however many badges and panels are mounted: the first user starts it, the last stops it.
let users = 0
let stopFeed: (() => void) | null = null

function startFeed(): () => void {
  const client = getClient()
  const batcher = createFrameBatcher<SuperviseStatus>((items) => {
    const last = items[items.length - 1]
    if (last) applyStatus(last)
  })
  const off = client.on('supervise.changed', (s) => batcher.push(s))
  client.call('supervise.status', {}).then(
    (s) => {
      // An event may have overtaken the answer; the newer snapshot wins.
      const cur = useSupervisionStore.getState().status
      if (!cur || Date.parse(cur.at) <= Date.parse(s.at)) applyStatus(s)
    },
    (e: unknown) => useSupervisionStore.setState({ error: messageOf(e) }),
  )
  return () => {
    off()
    batcher.cancel()
  }
}

/**
 * The live supervision status (`supervise.status`, then `supervise.changed`). Any number of
 * components may call it; they share one feed. Raises an error toast when a service turns failed.
 */
export function useSupervision(): SupervisionStore & { byService: (name: string) => ServiceSupervision | undefined } {
  useEffect(() => {
    if (users++ === 0) stopFeed = startFeed()
    return () => {
      if (--users === 0) {
        stopFeed?.()
        stopFeed = null
      }
    }
  }, [])
  const st = useSupervisionStore()
  return { ...st, byService: (name) => st.status?.services.find((s) => s.service === name) }
}

function refusal(e: unknown): string {
  return e instanceof CallError && e.code === 'conflict' ? `Refused: ${e.message}` : messageOf(e)
}

export async function resetFailed(s: ServiceSupervision): Promise<void> {
  const r = await confirmAction({
    title: `Reset ${s.service}?`,
    message: `This clears the failed mark and the restart counters of ${s.service}, so auto-heal acts on it again. If the cause is not fixed it will restart it again and may fail again.`,
    confirmLabel: 'Reset failed',
  })
  if (!r.ok) return
  setBusy(s.service, true)
  try {
    const after = await getClient().call('supervise.reset', { service: s.service })
    toast.success(`${s.service} reset`, `Auto-heal re-armed; state now ${after.state}.`)
  } catch (e) {
    toast.error(`Reset of ${s.service} failed`, refusal(e))
  } finally {
    setBusy(s.service, false)
  }
}

export async function restartService(s: ServiceSupervision): Promise<void> {
  const r = await confirmAction({
    title: `Restart ${s.service} now?`,
    message: `Restarts every container of ${s.service} now, bypassing the backoff (paused containers are skipped). Open orders and in-memory state of those processes may be lost.`,
    confirmLabel: 'Restart service',
    danger: true,
  })
  if (!r.ok) return
  setBusy(s.service, true)
  try {
    const res = await getClient().call('supervise.restart', { service: s.service, reason: 'manual restart from the supervision panel' })
    const sum = summarizeRestart(res)
    if (sum.ok) toast.success(`Restarted ${s.service}`, sum.text)
    else toast.error(`Restart of ${s.service} had failures`, [sum.text, ...sum.problems].join('\n'))
  } catch (e) {
    toast.error(`Restart of ${s.service} failed`, refusal(e))
  } finally {
    setBusy(s.service, false)
  }
}
