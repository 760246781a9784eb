import { useEffect } from 'react'
import { create } from 'zustand'
import type { EventPayload, OpInput, OpResult } from '@contract'
import { getClient } from '../../api/client'
import { messageOf } from '../../api/call-error'
import { useConnection } from '../../store/connection'
import { useSafety } from '../../store/safety'
import { toast } from '../../store/toasts'

export type ScheduleViewData = OpResult<'schedule.get'>
export type TransitionEvent = EventPayload<'schedule.transition'>
export type Transition = ScheduleViewData['upcoming'][number]
export type OverrideInfo = NonNullable<ScheduleViewData['state']['override']>

interface ScheduleStore {
  view: ScheduleViewData | null
  error: string | null
  lastEvent: TransitionEvent | null
  set(p: Partial<Omit<ScheduleStore, 'set'>>): void
}

/** The applied schedule and trading state, shared by the header chip and the Scheduler tab. */
export const useSchedule = create<ScheduleStore>((set) => ({
  view: null,
  error: null,
  lastEvent: null,
  set: (p) => set(p),
}))

const POLL_MS = 30_000
/** The core re-reads the rules just after a Save & Restart run reports; ask again a moment later. */
const AFTER_RUN_MS = 1_500
/** When a transition is due and no event arrived (missed over a reconnect), look again this long after. */
const DUE_GRACE_MS = 2_000

let seq = 0
export async function refreshSchedule(): Promise<void> {
  const mine = ++seq
  try {
    const view = await getClient().call('schedule.get', {})
    if (mine === seq) useSchedule.getState().set({ view, error: null })
  } catch (e) {
    if (mine === seq) useSchedule.getState().set({ error: messageOf(e) })
  }
}

/** Shows an event at once, before the confirming schedule.get returns. */
function applyEvent(e: TransitionEvent): void {
  const st = useSchedule.getState()
  const v = st.view
  if (!v) return st.set({ lastEvent: e })
  st.set({
    lastEvent: e,
    view: {
      ...v,
      next: e.next,
      state: { ...v.state, enabled: e.enabled, reason: e.reason, source: e.source },
      flag: { value: e.enabled, version: e.version ?? v.flag?.version ?? 0, who: e.who, why: e.reason, at: e.at },
    },
  })
}

function startFeed(): () => void {
  const client = getClient()
  const timers = new Set<ReturnType<typeof setTimeout>>()
  const later = (ms: number) => {
    const t = setTimeout(() => {
      timers.delete(t)
      void refreshSchedule()
    }, ms)
    timers.add(t)
  }
  let due: ReturnType<typeof setTimeout> | null = null
  let dueAt: string | null = null
  const armDue = (at: string | null | undefined) => {
    if ((at ?? null) === dueAt) return
    dueAt = at ?? null
    if (due) clearTimeout(due)
    due = null
    if (!at) return
    const ms = Date.parse(at) - Date.now() + DUE_GRACE_MS
    // Far-off transitions are covered by the poll; a timer that long would only drift.
    if (ms > 0 && ms < POLL_MS * 2) due = setTimeout(() => void refreshSchedule(), ms)
  }
  const offs = [
    client.on('schedule.transition', (e) => {
      applyEvent(e)
      void refreshSchedule()
    }),
    client.on('workflow.finished', () => {
      void refreshSchedule()
      later(AFTER_RUN_MS)
    }),
    client.on('config.changedOnDisk', () => later(500)),
    useSchedule.subscribe((s) => armDue(s.view?.next?.at)),
    useConnection.subscribe((s, prev) => {
      if (s.state === 'open' && prev.state !== 'open') void refreshSchedule()
    }),
    // Someone else wrote trading_enabled (the killswitch, a resume, a script): the core's state says
    // so at once, so look again instead of waiting for the 30 s poll.
    useSafety.subscribe((s, prev) => {
      const key = (t: typeof s.state) => (t?.trading.known ? `${t.trading.version}` : 'unknown')
      if (key(s.state) !== key(prev.state)) void refreshSchedule()
    }),
  ]
  const poll = setInterval(() => void refreshSchedule(), POLL_MS)
  armDue(useSchedule.getState().view?.next?.at)
  void refreshSchedule()
  return () => {
    offs.forEach((off) => off())
    clearInterval(poll)
    if (due) clearTimeout(due)
    timers.forEach(clearTimeout)
  }
}

let users = 0
let stopFeed: (() => void) | null = null

/** One event subscription and one 30 s poll however many components show the schedule. */
export function useScheduleFeed(): void {
  useEffect(() => {
    users++
    stopFeed ??= startFeed()
    return () => {
      users--
      if (users === 0) {
        stopFeed?.()
        stopFeed = null
      }
    }
  }, [])
}

/** Force trading on/off, or clear the override (value null). Returns false when the core refused. */
export async function setOverride(input: OpInput<'schedule.override'>): Promise<boolean> {
  try {
    const view = await getClient().call('schedule.override', input)
    seq++ // a schedule.get already in flight must not overwrite this newer answer
    useSchedule.getState().set({ view, error: null })
    if (input.value === null) toast.success('Override cleared', view.state.reason)
    else toast.success(`Trading forced ${input.value ? 'ON' : 'OFF'}`, view.state.reason)
    return true
  } catch (e) {
    toast.error('Override refused', messageOf(e))
    return false
  }
}
