/**
 * The Config tab's state: the file the edits are based on, the draft (a value in the form, a text
 * in the raw editor), the server's verdict on the draft, and what happened on disk meanwhile. One
 * zustand store; the modules beside this one each own one part of its behaviour:
 * `draft.ts` (editing, validation, form <-> raw), `disk-notice.ts` (the file changed under us),
 * `backups.ts` (the history list) and `config-writes.ts` (save and restore).
 * The server is the only validator and the only TOML writer.
 */
import { create } from 'zustand'
import type { OpResult } from '@contract'
import { getClient } from '../../api/client'
import { messageOf } from '../../api/call-error'
import { deepEqual, type Plain } from './pointer'

export type Loaded = OpResult<'config.load'>
export type Validation = OpResult<'config.validate'>
export type ConfigDiff = NonNullable<Validation['diff']>
export type Issue = Validation['errors'][number]
export type BackupList = OpResult<'config.backups'>
export type BackupDiff = OpResult<'config.diff'>
export type Mode = 'form' | 'raw'

export interface DiskNotice {
  /** changed: the watcher saw it; conflict: a save was refused; run: another Save & Restart wrote it. */
  reason: 'changed' | 'conflict' | 'run'
  message?: string
  disk: Loaded
  /** Loaded file -> file on disk now; null when the loaded file could not be compared. */
  diff: ConfigDiff | null
  /** The trader chose to keep editing the outdated copy. */
  kept: boolean
}

export interface ConfigStore {
  loadError: string | null
  base: Loaded | null
  mode: Mode
  value: Plain | null
  text: string
  /** The raw text a form session started from, to give it back if the form changed nothing. */
  rawOrigin: { text: string; value: Plain } | null
  /** Bumped by every edit; a validation answers one edit and is stale once this moves on. */
  seq: number
  validation: { seq: number; result: Validation } | null
  validating: boolean
  validateError: string | null
  /** Input the browser could not even turn into a value (e.g. "1e" in a number box), by pointer. */
  localErrors: Record<string, string>
  notice: DiskNotice | null
  busy: 'load' | 'save' | 'restore' | 'switch' | null
  collapsed: Record<string, boolean>
  backups: BackupList | null
  backupsError: string | null
  backupDiffs: Record<string, { loading: boolean; result?: BackupDiff; error?: string }>
}

const initial: ConfigStore = {
  loadError: null,
  base: null,
  mode: 'form',
  value: null,
  text: '',
  rawOrigin: null,
  seq: 0,
  validation: null,
  validating: false,
  validateError: null,
  localErrors: {},
  notice: null,
  busy: null,
  collapsed: {},
  backups: null,
  backupsError: null,
  backupDiffs: {},
}

export const useConfig = create<ConfigStore>(() => ({ ...initial }))
export const get = useConfig.getState
export const set = useConfig.setState
export const client = () => getClient()

// ---- derived state ---------------------------------------------------------------------------------

export function isDirty(s: ConfigStore = get()): boolean {
  if (!s.base) return false
  return s.mode === 'form' ? !deepEqual(s.value, s.base.value) : s.text !== s.base.text
}

/** The verdict that belongs to the current draft, or null while it is being checked. */
export function currentValidation(s: ConfigStore = get()): Validation | null {
  return s.validation && s.validation.seq === s.seq ? s.validation.result : null
}

/** Why saving is not possible right now, in words for a tooltip; null when it is. */
export function saveBlocker(s: ConfigStore = get()): string | null {
  if (!s.base) return 'config.toml is not loaded'
  if (s.busy) return s.busy === 'save' ? 'Saving…' : 'Busy…'
  if (!isDirty(s)) return 'No unsaved changes'
  const local = Object.entries(s.localErrors)
  if (local.length) return `Fix ${local.length} field${local.length === 1 ? '' : 's'} first: ${local[0]![0]} ${local[0]![1]}`
  if (s.validateError) return `Cannot check the edit: ${s.validateError}`
  const v = currentValidation(s)
  if (!v) return 'Checking the edit…'
  if (!v.ok) {
    const e = v.errors[0]
    const where = e ? (s.mode === 'raw' && e.line ? `line ${e.line}` : e.path ?? '') : ''
    return `Invalid: ${v.errors.length} error${v.errors.length === 1 ? '' : 's'}${e ? ` (${where} ${e.message})` : ''}`
  }
  return null
}

// ---- loading ---------------------------------------------------------------------------------------

/** Take `loaded` as the new base: the draft starts over from it and its own verdict stands. */
export function adopt(loaded: Loaded, keepMode = true): void {
  const mode: Mode = loaded.value === null ? 'raw' : keepMode ? get().mode : 'form'
  const seq = get().seq + 1
  set({
    base: loaded,
    loadError: null,
    mode,
    value: loaded.value,
    text: loaded.text,
    rawOrigin: null,
    seq,
    validation: { seq, result: baseVerdict(loaded) },
    validating: false,
    validateError: null,
    localErrors: {},
    notice: null,
  })
}

/** The file's own verdict (from config.load), used while the draft equals the file. */
export const baseVerdict = (l: Loaded): Validation => ({
  ok: l.valid,
  errorKind: l.errorKind,
  errors: l.errors,
  diff: null,
  baseHash: l.hash,
})

export async function loadConfig(): Promise<void> {
  set({ busy: 'load' })
  try {
    adopt(await client().call('config.load', {}))
  } catch (e) {
    set({ loadError: messageOf(e) })
  } finally {
    set({ busy: null })
  }
}

