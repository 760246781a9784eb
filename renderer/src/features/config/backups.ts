/** The backups list beside the editor, and each backup's diff against the file, opened on demand. */
import { messageOf } from '../../api/call-error'
import { client, get, set } from './config-store'

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

