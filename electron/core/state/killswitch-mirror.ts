import { readFileSync } from 'node:fs'
import { refs } from '../api/records'
import type { KillswitchMirror, StoredKillswitch } from '../bus/killswitch'
import { replaceFileDurablySync, reportOnce } from '../shared/durable-file'

/**
 * The killswitch record as this Stackdeck last knew it, in the state dir. Redis stays the truth;
 * this copy only lets a restarted Stackdeck re-assert an engaged or latched switch when Redis lost
 * the key meanwhile (restart without persistence), so a restart can never hand trading back.
 * Written synchronously (rare, small) and durably (temp file, fsync, rename, fsync the directory), so
 * a crash leaves old or new, never half.
 */
export function fileKillswitchMirror(path: string, log?: (line: string) => void): KillswitchMirror {
  const report = reportOnce(log)
  return {
    load(): StoredKillswitch | null {
      let raw: string
      try {
        raw = readFileSync(path, 'utf8')
      } catch {
        return null
      }
      const v = JSON.parse(raw) as Partial<StoredKillswitch>
      if (typeof v.engaged !== 'boolean' || typeof v.version !== 'number') return null
      const str = (x: unknown) => (typeof x === 'string' ? x : null)
      return {
        engaged: v.engaged,
        latched: typeof v.latched === 'boolean' ? v.latched || v.engaged : v.engaged,
        reason: str(v.reason),
        who: str(v.who),
        at: str(v.at),
        version: v.version,
        frozen: refs(v.frozen),
        leftAlone: refs(v.leftAlone),
      }
    },
    save(record: StoredKillswitch): void {
      report(replaceFileDurablySync(path, JSON.stringify(record)))
    },
  }
}
