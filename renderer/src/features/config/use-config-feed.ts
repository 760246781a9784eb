/** The Config tab's subscriptions: the file on disk and Save & Restart runs from any door. */
import { useEffect } from 'react'
import { loadBackups } from './backups'
import { client } from './config-store'
import { followNewerVerdicts, onChangedOnDisk, onRunFinished, refreshIfStale } from './disk-notice'

/** Loads the file (or checks it is still current) and follows disk changes and Save & Restart runs. */
export function useConfigFeed(): void {
  useEffect(() => {
    const c = client()
    const offs = [
      c.on('config.changedOnDisk', (ev) => onChangedOnDisk(ev)),
      c.on('workflow.finished', (r) => void onRunFinished(r)),
      followNewerVerdicts(),
    ]
    void refreshIfStale()
    void loadBackups()
    return () => offs.forEach((off) => off())
  }, [])
}
