/**
 * The Config tab's state: the file the edits are based on, the draft (a value in the form, a text
 * in the raw editor), the server's verdict on the draft, and what happened on disk meanwhile.
 * The server is the only validator and the only TOML writer: the draft is checked by debounced
 * config.validate calls, and the form <-> raw conversion goes through it too.
 */
import { useEffect } from 'react'
import { create } from 'zustand'
import type { OpResult } from '@contract'
import { getClient } from '../../api/client'
import { CallError, messageOf } from '../../api/call-error'
import { confirmAction } from '../../store/confirm'
import { toast } from '../../store/toasts'
import { invertChanges, invertUnified } from './diff-text'
import { applyChanges, deepEqual, type Plain, type Seg, setAt, toPointer } from './pointer'

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

interface ConfigStore {
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
const get = useConfig.getState
const set = useConfig.setState
const client = () => getClient()

export const VALIDATE_DEBOUNCE_MS = 250

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

function adopt(loaded: Loaded, keepMode = true): void {
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
const baseVerdict = (l: Loaded): Validation => ({
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

/** On returning to the tab: pick up a newer file quietly when there is nothing to lose. */
export async function refreshIfStale(): Promise<void> {
  const base = get().base
  if (!base) return loadConfig()
  try {
    const disk = await client().call('config.load', {})
    if (disk.hash === base.hash || get().base?.hash !== base.hash) return
    if (!isDirty()) adopt(disk)
    else await showNotice('changed', undefined, disk)
  } catch {
    // The next save or validation reports it.
  }
}

// ---- editing and validation ------------------------------------------------------------------------

let timer: ReturnType<typeof setTimeout> | null = null

function scheduleValidate(): void {
  if (timer) clearTimeout(timer)
  timer = null
  const s = get()
  if (!s.base) return
  if (!isDirty(s)) {
    set({ validation: { seq: s.seq, result: baseVerdict(s.base) }, validating: false, validateError: null })
    return
  }
  set({ validating: true })
  timer = setTimeout(() => void runValidate(), VALIDATE_DEBOUNCE_MS)
}

async function runValidate(): Promise<void> {
  timer = null
  const s = get()
  const seq = s.seq
  const input = s.mode === 'form' ? { value: s.value ?? {} } : { text: s.text }
  try {
    const result = await client().call('config.validate', input)
    if (get().seq !== seq) return
    set({ validation: { seq, result }, validating: false, validateError: null })
    // The server compared with a newer file than ours: someone changed it and the watcher has not
    // told us yet (or we were away). Say so before the trader presses Save.
    const base = get().base
    if (base && result.baseHash && result.baseHash !== base.hash && !get().notice) void showNotice('changed')
  } catch (e) {
    if (get().seq !== seq) return
    set({ validating: false, validateError: messageOf(e) })
  }
}

export function editValue(path: readonly Seg[], v: unknown): void {
  const s = get()
  const pointer = toPointer(path)
  const localErrors = Object.hasOwn(s.localErrors, pointer) ? { ...s.localErrors } : s.localErrors
  if (localErrors !== s.localErrors) delete localErrors[pointer]
  set({ value: setAt(s.value ?? {}, path, v) as Plain, seq: s.seq + 1, localErrors })
  scheduleValidate()
}

export function setLocalError(pointer: string, message: string | null): void {
  const cur = get().localErrors
  if (message === null && !Object.hasOwn(cur, pointer)) return
  if (message !== null && cur[pointer] === message) return
  const next = { ...cur }
  if (message === null) delete next[pointer]
  else next[pointer] = message
  set({ localErrors: next })
}

export function editText(text: string): void {
  set({ text, seq: get().seq + 1 })
  scheduleValidate()
}

export function setCollapsed(pointer: string, collapsed: boolean): void {
  set({ collapsed: { ...get().collapsed, [pointer]: collapsed } })
}

/** The value that the server says `result` describes: its diff applied to the file it compared with. */
async function valueOfText(result: Validation): Promise<Plain | null> {
  const { base, notice } = get()
  if (!result.diff || !base) return null
  let from: Loaded | null = null
  if (result.baseHash === base.hash) from = base
  else if (result.baseHash === notice?.disk.hash) from = notice.disk
  else {
    const disk = await client().call('config.load', {})
    if (disk.hash === result.baseHash) from = disk
  }
  if (!from) throw new Error('config.toml changed while converting; try again')
  return applyChanges(from.value ?? {}, result.diff.changes)
}

/** Form <-> raw through the server: its text keeps the comments, its diff gives the value. */
export async function switchMode(target: Mode): Promise<void> {
  const s = get()
  if (s.mode === target || !s.base || s.busy) return
  if (timer) clearTimeout(timer)
  timer = null
  set({ busy: 'switch' })
  try {
    if (target === 'raw') {
      const value = s.value ?? {}
      let text: string
      if (deepEqual(value, s.base.value)) text = s.rawOrigin?.text ?? s.base.text
      else if (s.rawOrigin && deepEqual(value, s.rawOrigin.value)) text = s.rawOrigin.text
      else {
        const v = currentValidation(s)
        text = v?.text ?? (await client().call('config.validate', { value })).text ?? s.base.text
        if (s.rawOrigin && s.rawOrigin.text !== s.base.text) {
          toast.warning('Raw-only edits replaced', 'Form edits are applied to the file on disk, so comment or layout changes made in the raw editor were not kept.')
        }
      }
      set({ mode: 'raw', text, rawOrigin: null, seq: get().seq + 1, localErrors: {} })
    } else {
      let value: Plain | null
      if (s.text === s.base.text) value = s.base.value
      else {
        const v = currentValidation(s) ?? (await client().call('config.validate', { text: s.text }))
        if (v.errorKind === 'parse' || !v.diff) {
          toast.error('Fix the TOML first', `The form needs text that parses: ${v.errors[0]?.message ?? 'parse error'}`)
          return
        }
        value = await valueOfText(v)
      }
      if (!value) {
        toast.error('Cannot show the form', 'config.toml does not parse; fix it in Raw TOML')
        return
      }
      set({ mode: 'form', value, rawOrigin: s.text === s.base.text ? null : { text: s.text, value }, seq: get().seq + 1 })
    }
    scheduleValidate()
  } catch (e) {
    toast.error(`Cannot switch to ${target === 'raw' ? 'Raw TOML' : 'the form'}`, messageOf(e))
  } finally {
    set({ busy: null })
  }
}

export async function discardEdits(): Promise<void> {
  if (isDirty()) {
    const r = await confirmAction({ title: 'Discard your edits?', message: 'The editor goes back to the file as loaded.', confirmLabel: 'Discard', danger: true })
    if (!r.ok) return
  }
  const base = get().base
  if (base) adopt(base)
}

// ---- saving ----------------------------------------------------------------------------------------

/** What the current draft would send: the form's value (patched in keeping comments) or raw text. */
export function draftInput(): { value: Plain } | { text: string } | null {
  const s = get()
  if (!s.base) return null
  return s.mode === 'form' ? { value: s.value ?? {} } : { text: s.text }
}

export function describeDraft(): string {
  const v = currentValidation()
  const diff = v?.diff
  if (!diff) return 'Saves the edited config.toml.'
  if (diff.changes.length === 0) return 'Only comments or layout change.'
  const restart = diff.changes.filter((c) => c.apply !== 'hot')
  return `${diff.summary}.${restart.length ? ` ${restart.length} change(s) need a service restart (a reload is not enough): ${restart.map((c) => c.pointer).join(', ')}.` : ' All changes take effect on reload.'}`
}

async function afterWrite(): Promise<void> {
  await loadConfig()
  void loadBackups()
}

function onWriteError(title: string, e: unknown): void {
  if (e instanceof CallError && e.code === 'conflict') void showNotice('conflict', e.message)
  else toast.error(title, messageOf(e))
}

export async function saveDraft(): Promise<void> {
  const blocker = saveBlocker()
  const input = draftInput()
  const base = get().base
  if (blocker || !input || !base) return
  const ok = await confirmAction({
    title: 'Save config.toml?',
    message: `${describeDraft()} The current file is backed up first. Nothing is restarted or signalled: services see the new file at their next reload.`,
    confirmLabel: 'Save',
  })
  if (!ok.ok) return
  set({ busy: 'save' })
  try {
    const r = await client().call('config.save', { ...input, baseHash: base.hash })
    toast.success('config.toml saved', `Previous content kept as ${r.backup}.${r.warnings.length ? `\n${r.warnings.join('\n')}` : ''}`)
    set({ busy: null })
    await afterWrite()
  } catch (e) {
    onWriteError('Save failed', e)
  } finally {
    set({ busy: null })
  }
}

/** Save & Restart's request, built when the trader presses the button. */
export function restartInput(): ({ value: Plain } | { text: string }) & { baseHash: string } | null {
  const input = draftInput()
  const base = get().base
  if (saveBlocker() || !input || !base) return null
  return { ...input, baseHash: base.hash }
}

// ---- changes on disk -------------------------------------------------------------------------------

/** Fetch the file on disk and what changed since ours, then show the banner. */
export async function showNotice(reason: DiskNotice['reason'], message?: string, known?: Loaded): Promise<void> {
  const base = get().base
  if (!base) return
  try {
    const disk = known ?? (await client().call('config.load', {}))
    if (disk.hash === base.hash && reason !== 'conflict') return
    let diff: ConfigDiff | null = null
    try {
      // validate compares a candidate with the disk, i.e. disk -> ours; we show ours -> disk.
      const v = await client().call('config.validate', { text: base.text })
      if (v.diff) diff = { ...v.diff, changes: invertChanges(v.diff.changes), unified: invertUnified(v.diff.unified, 'config.toml (as loaded)', 'config.toml (on disk now)') }
    } catch {
      diff = null
    }
    if (get().base?.hash !== base.hash) return
    set({ notice: { reason, disk, diff, kept: false, ...(message ? { message } : {}) } })
    // The review compared the draft with the old file; compare it with the one on disk now.
    if (isDirty()) {
      set({ seq: get().seq + 1 })
      scheduleValidate()
    }
  } catch (e) {
    toast.error('config.toml changed on disk', messageOf(e))
  }
}

export function keepEditing(): void {
  const n = get().notice
  if (n) set({ notice: { ...n, kept: true } })
}

export async function loadNewFile(): Promise<void> {
  await loadConfig()
  void loadBackups()
}

export function onChangedOnDisk(ev: { hash: string }): void {
  const base = get().base
  if (!base || ev.hash === base.hash || ev.hash === get().notice?.disk.hash) return
  void showNotice('changed')
}

/** After any Save & Restart (ours or another door's): pick up the new file or flag the conflict. */
export async function onRunFinished(report: { backup: string | null; errorCode?: string }): Promise<void> {
  void loadBackups()
  const base = get().base
  if (!base) return
  let disk: Loaded
  try {
    disk = await client().call('config.load', {})
  } catch {
    return
  }
  if (disk.hash === base.hash) return
  const s = get()
  const mine = s.mode === 'form' ? deepEqual(s.value, disk.value) : s.text === disk.text
  if (mine || !isDirty(s)) adopt(disk)
  else await showNotice(report.errorCode === 'conflict' ? 'conflict' : 'run', undefined, disk)
}

// ---- history ---------------------------------------------------------------------------------------

export async function loadBackups(): Promise<void> {
  try {
    set({ backups: await client().call('config.backups', {}), backupsError: null })
  } catch (e) {
    set({ backupsError: messageOf(e) })
  }
}

export async function toggleBackupDiff(name: string): Promise<void> {
  const cur = get().backupDiffs
  if (cur[name]) {
    const next = { ...cur }
    delete next[name]
    set({ backupDiffs: next })
    return
  }
  set({ backupDiffs: { ...cur, [name]: { loading: true } } })
  try {
    const result = await client().call('config.diff', { backup: name })
    set({ backupDiffs: { ...get().backupDiffs, [name]: { loading: false, result } } })
  } catch (e) {
    set({ backupDiffs: { ...get().backupDiffs, [name]: { loading: false, error: messageOf(e) } } })
  }
}

export async function restoreBackup(name: string): Promise<void> {
  const base = get().base
  if (!base) return
  let summary: string
  try {
    const d = await client().call('config.diff', { backup: name })
    if (!d.valid) {
      toast.error('This backup cannot be restored', `It does not pass the current schema: ${d.errors.map((e) => `${e.path ?? ''} ${e.message}`).join('; ')}`)
      return
    }
    summary = d.diff.summary
  } catch (e) {
    toast.error('Cannot read the backup', messageOf(e))
    return
  }
  const r = await confirmAction({
    title: `Restore ${name}?`,
    message: `${summary ? `${summary}. ` : ''}The current config.toml is backed up first, then replaced by this backup.${isDirty() ? ' Your unsaved edits are discarded.' : ''} Services are not signalled.`,
    confirmLabel: 'Restore',
    danger: true,
  })
  if (!r.ok) return
  set({ busy: 'restore' })
  try {
    const res = await client().call('config.restore', { backup: name, baseHash: base.hash })
    toast.success(`Restored ${res.restoredFrom}`, `The replaced content is kept as ${res.backup}. Services were not signalled: use Save & Restart or send a reload to apply it.`)
    set({ busy: null })
    await afterWrite()
  } catch (e) {
    onWriteError('Restore failed', e)
  } finally {
    set({ busy: null })
  }
}

/** Loads the file (or checks it is still current) and follows disk changes and Save & Restart runs. */
export function useConfigFeed(): void {
  useEffect(() => {
    const c = client()
    const offs = [
      c.on('config.changedOnDisk', (ev) => onChangedOnDisk(ev)),
      c.on('workflow.finished', (r) => void onRunFinished(r)),
    ]
    void refreshIfStale()
    void loadBackups()
    return () => offs.forEach((off) => off())
  }, [])
}
