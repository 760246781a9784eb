import { create } from 'zustand'
import type { OpInput, OpResult } from '@contract'
import { getClient } from '../../api/client'
import { messageOf } from '../../api/call-error'
import { useWorkflow } from '../workflow/use-workflow'
import { describeChange, draftFromTable, draftToCandidate, draftToTable, isDirty, type ScheduleDraft } from './schedule-draft'
import { useSchedule } from './use-schedule'

export type PreviewResult = OpResult<'schedule.preview'>

interface LoadedConfig {
  value: Record<string, unknown> | null
  hash: string
  valid: boolean
  errors: OpResult<'config.load'>['errors']
}

interface EditorState {
  config: LoadedConfig | null
  loadError: string | null
  /** The [schedule] of the file on disk, as the editor models it. */
  applied: ScheduleDraft | null
  draft: ScheduleDraft | null
  /** config.toml changed on disk while there were unsaved edits. */
  staleOnDisk: boolean
  preview: PreviewResult | null
  previewError: string | null
  /** A preview request is pending for the current draft (debounced or in flight). */
  previewPending: boolean
  set(p: Partial<Omit<EditorState, 'set' | 'edit'>>): void
  edit(fn: (d: ScheduleDraft) => ScheduleDraft): void
}

/**
 * Module-level rather than component state, so edits survive switching tabs: a trader half-way
 * through a schedule change who glances at the Stack tab must not lose it.
 */
export const useEditor = create<EditorState>((set, get) => ({
  config: null,
  loadError: null,
  applied: null,
  draft: null,
  staleOnDisk: false,
  preview: null,
  previewError: null,
  previewPending: false,
  set: (p) => set(p),
  edit: (fn) => {
    const d = get().draft
    if (d) set({ draft: fn(d), previewPending: true })
  },
}))

async function machineZone(): Promise<string> {
  const v = useSchedule.getState().view ?? (await getClient().call('schedule.get', {}))
  return v.machineTimezone
}

/**
 * Loads config.toml. 'reset' discards edits; 'keep' keeps unsaved edits and takes the new file
 * (and hash) underneath them, so the next Apply patches onto what is on disk now.
 */
export async function loadConfig(mode: 'reset' | 'keep' = 'keep'): Promise<void> {
  const st = useEditor.getState()
  try {
    const [c, zone] = await Promise.all([getClient().call('config.load', {}), machineZone()])
    const table = c.value?.['schedule']
    const applied = draftFromTable(table, zone)
    const cur = useEditor.getState()
    const keepDraft = mode === 'keep' && cur.draft !== null && isDirty(cur.applied, cur.draft)
    st.set({
      config: { value: c.value, hash: c.hash, valid: c.valid, errors: c.errors },
      loadError: null,
      applied,
      draft: keepDraft ? cur.draft : applied,
      staleOnDisk: false,
      // A kept draft is the same object, so the debounced preview will not run again for it.
      previewPending: keepDraft ? cur.previewPending : true,
    })
  } catch (e) {
    st.set({ loadError: messageOf(e) })
  }
}

/** config.toml changed behind our back: follow it silently unless it would clobber unsaved edits. */
export function onChangedOnDisk(hash: string): void {
  const st = useEditor.getState()
  // A Save & Restart run writes the file itself; workflow.finished reloads it.
  if (useWorkflow.getState().running || st.config?.hash === hash) return
  if (isDirty(st.applied, st.draft)) st.set({ staleOnDisk: true })
  else void loadConfig('reset')
}

let previewSeq = 0
/** Validates the current draft through schedule.preview; stale answers are dropped. */
export async function runPreview(): Promise<void> {
  const draft = useEditor.getState().draft
  if (!draft) return
  const mine = ++previewSeq
  try {
    const preview = await getClient().call('schedule.preview', { rules: draftToCandidate(draft), n: 5 })
    if (mine === previewSeq) useEditor.getState().set({ preview, previewError: null, previewPending: false })
  } catch (e) {
    if (mine === previewSeq) useEditor.getState().set({ preview: null, previewError: messageOf(e), previewPending: false })
  }
}

/** The Save & Restart request for the edited schedule, patching only [schedule] of the loaded value. */
export function buildApply(): OpInput<'workflow.saveAndRestart'> | null {
  const { config, draft, applied } = useEditor.getState()
  if (!config?.value || !draft || !applied) return null
  const schedule = draftToTable(draft, config.value['schedule'])
  return {
    value: { ...config.value, schedule },
    baseHash: config.hash,
    reason: describeChange(applied, draft).slice(0, 500),
  }
}

export function describeApply(): string {
  const { draft, applied } = useEditor.getState()
  return draft && applied ? describeChange(applied, draft) : ''
}
