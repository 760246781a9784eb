/**
 * The two writes the Config tab makes, save and restore. Both are confirmed first, both send the hash
 * of the file the trader saw (a conflict opens the on-disk notice instead of overwriting), and both
 * load the new file and the backups list afterwards.
 */
import { CallError, messageOf } from '../../api/call-error'
import { confirmAction } from '../../store/confirm'
import { toast } from '../../store/toasts'
import { loadBackups } from './backups'
import { client, get, isDirty, loadConfig, saveBlocker, set } from './config-store'
import { showNotice } from './disk-notice'
import { describeDraft, draftInput } from './draft'

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

