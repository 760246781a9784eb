/**
 * The lock on config.toml's directory that a Save & Restart run holds from its first step to its
 * last, across processes (the same OS-level socket lock as the instance lock, shared/dir-lock.ts).
 *
 * Why per run and not for an instance's lifetime: the instance lock already gives each state
 * directory one owner. Two instances with different state directories but one config file are a
 * misconfiguration the trader may not see; a lifetime lock would stop the second at start-up, and
 * it would also tie together unrelated stacks whose config files merely share a directory (the
 * default `./config.toml` beside the settings file). What must never happen is two runs
 * interleaving their pause, write and unpause on one file, and that is what this lock forbids.
 * A second run is refused at once (409, naming the holder), never queued: nothing may wait and
 * replay later, when the trader no longer expects it.
 *
 * Why the directory and not the file: the write replaces the file by rename (a new inode each
 * save), and the backups and temp file live beside it, so the directory is what a run changes.
 */
import { dirname } from 'node:path'
import { CoreError } from '../errors'
import { acquireDirLock, describeHolder, type LockHolder } from '../shared/dir-lock'
import type { RunLock, RunLockClaim } from './ports'

export const CONFIG_RUN_LOCK_NAME = 'config-run'

export interface ConfigRunLockOptions {
  configPath: string
  /** This instance as the lock should name it: its state directory, door and URL. */
  instance: () => Partial<LockHolder>
}

export function configRunLock(o: ConfigRunLockOptions): RunLock {
  const dir = dirname(o.configPath)
  return {
    async acquire(run: RunLockClaim) {
      const holder: LockHolder = { ...o.instance(), pid: process.pid, startedAt: run.startedAt, runId: run.runId, who: run.who, runDoor: run.door }
      const r = await acquireDirLock(dir, CONFIG_RUN_LOCK_NAME, holder)
      if (r.acquired) return () => r.lock.release()
      const h = r.holder
      const by = h && typeof h['who'] === 'string' ? ` (run ${String(h['runId'])} by ${h['who']})` : ''
      const where = h && typeof h['stateDir'] === 'string' ? `, state directory ${h['stateDir']}` : ''
      throw new CoreError(
        'busy',
        `Save & Restart is already running on ${o.configPath} in another Stackdeck: ${describeHolder(h)}${where}${by}. ` +
          'This run was refused, not queued; start it again once that one has finished. ' +
          'Two Stackdecks should not share one config.toml: give one stack one owner.',
        { details: [{ path: '/configPath', message: `held by ${describeHolder(h)}` }] },
      )
    },
  }
}
