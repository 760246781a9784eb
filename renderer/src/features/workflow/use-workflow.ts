import { useEffect } from 'react'
import { create } from 'zustand'
import type { EventPayload, OpInput, OpResult } from '@contract'
import { getClient } from '../../api/client'
import { messageOf } from '../../api/call-error'
import { toast } from '../../store/toasts'

export type RunReport = EventPayload<'workflow.finished'>
export type StepReport = EventPayload<'workflow.progress'>['step']
export type Recovery = OpResult<'workflow.status'>['recovery']
export type RecoverResult = OpResult<'workflow.recover'>
export type AfterResume = NonNullable<RecoverResult['afterResume']>

interface WorkflowStore {
  runId: string | null
  steps: StepReport[]
  running: boolean
  history: RunReport[]
  /** The finished report of the run shown (null while one runs, or before any). */
  last: RunReport | null
  recovery: Recovery
  /** What recovery's reload and verify found after the last "Resume them" (until dismissed). */
  afterResume: AfterResume | null
  /** "Pause the stack anyway": the next run is sent with mode 'paused'. Cleared when it starts. */
  forcePaused: boolean
  /** settings workflow.applyMode, or null when the settings could not be read. */
  applyMode: 'auto' | 'paused' | null
  set(p: Partial<Omit<WorkflowStore, 'set'>>): void
}

export const useWorkflow = create<WorkflowStore>((set) => ({
  runId: null,
  steps: [],
  running: false,
  history: [],
  last: null,
  recovery: null,
  afterResume: null,
  forcePaused: false,
  applyMode: null,
  set: (p) => set(p),
}))

function mergeStep(steps: StepReport[], s: StepReport): StepReport[] {
  const i = steps.findIndex((x) => x.step === s.step)
  if (i === -1) return [...steps, s]
  const next = steps.slice()
  next[i] = s
  return next
}

/** Follows every run, whichever door started it: the window shows a scheduler's or a script's run too. */
export function useWorkflowFeed(): void {
  useEffect(() => {
    const client = getClient()
    const st = useWorkflow.getState()
    const offs = [
      client.on('workflow.progress', ({ runId, step }) => {
        const cur = useWorkflow.getState()
        const steps = cur.runId === runId ? mergeStep(cur.steps, step) : [step]
        useWorkflow.getState().set({ runId, steps, running: true, ...(cur.runId === runId ? {} : { last: null }) })
      }),
      client.on('workflow.finished', (r) => {
        const cur = useWorkflow.getState()
        cur.set({ running: false, runId: r.runId, steps: r.steps, last: r, history: [r, ...cur.history.filter((h) => h.runId !== r.runId)].slice(0, 50) })
      }),
      client.on('workflow.recovery', (recovery) => useWorkflow.getState().set({ recovery })),
    ]
    client
      .call('workflow.status', {})
      .then((s) => {
        st.set({ recovery: s.recovery, running: !!s.running })
        if (s.last && !useWorkflow.getState().runId) st.set({ runId: s.last.runId, steps: s.last.steps, last: s.last })
      })
      .catch(() => undefined)
    client
      .call('settings.get', {})
      .then((r) => useWorkflow.getState().set({ applyMode: applyModeOf(r.settings) }))
      .catch(() => undefined)
    client
      .call('workflow.history', { limit: 20 })
      .then((h) => useWorkflow.getState().set({ history: h.runs }))
      .catch(() => undefined)
    return () => offs.forEach((off) => off())
  }, [])
}

/** settings.get returns the settings untyped: read workflow.applyMode defensively (absent: the default, auto). */
export function applyModeOf(settings: unknown): 'auto' | 'paused' | null {
  if (typeof settings !== 'object' || settings === null) return null
  const wf = (settings as { workflow?: unknown }).workflow
  if (typeof wf !== 'object' || wf === null) return 'auto'
  const m = (wf as { applyMode?: unknown }).applyMode
  return m === 'paused' ? 'paused' : m === undefined || m === 'auto' ? 'auto' : null
}

export function reportToast(r: RunReport): void {
  if (r.outcome === 'applied') toast.success(r.mode === 'hot' ? 'Configuration applied without pausing' : 'Configuration applied', r.message)
  else if (r.outcome === 'applied_unconfirmed')
    toast.warning(
      (r.reload.deferred ?? []).length > 0 ? 'Applied; containers you paused were left paused, reload deferred' : 'Applied, reload not confirmed',
      r.message,
      true,
    )
  else if (r.outcome === 'unpause_failed') toast.error('Containers left paused', r.message)
  else toast.error('Save & Restart failed', r.message)
}

/** Starts a run; the outcome arrives both as the result and as `workflow.finished`. */
export async function saveAndRestart(input: OpInput<'workflow.saveAndRestart'>): Promise<RunReport | null> {
  useWorkflow.getState().set({ running: true, steps: [], runId: null, last: null, forcePaused: false })
  try {
    const r = await getClient().call('workflow.saveAndRestart', input)
    reportToast(r)
    return r
  } catch (e) {
    useWorkflow.getState().set({ running: false })
    toast.error('Save & Restart refused', messageOf(e))
    return null
  }
}
