/**
 * The file changed under the editor: the watcher saw it, a save was refused as a conflict, or another
 * Save & Restart wrote it. Nothing is silently lost: a clean editor takes the new file, a dirty one
 * shows the banner with what changed on disk, and the trader chooses.
 */
import { messageOf } from '../../api/call-error'
import { toast } from '../../store/toasts'
import { loadBackups } from './backups'
import { adopt, client, get, isDirty, loadConfig, set, useConfig, type ConfigDiff, type DiskNotice, type Loaded } from './config-store'
import { invertChanges, invertUnified } from './diff-text'
import { scheduleValidate } from './draft'
import { deepEqual } from './pointer'

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


/**
 * The server compared a draft with a newer file than ours: someone changed it and the watcher has not
 * told us yet (or we were away). Say so before the trader presses Save. Returns the unsubscribe.
 */
export function followNewerVerdicts(): () => void {
  return useConfig.subscribe((s, prev) => {
    if (!s.validation || s.validation === prev.validation) return
    const { baseHash } = s.validation.result
    if (s.base && baseHash && baseHash !== s.base.hash && !s.notice) void showNotice('changed')
  })
}
