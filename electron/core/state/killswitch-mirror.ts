import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { refs } from '../api/records'
import type { KillswitchMirror, StoredKillswitch } from '../bus/killswitch'

/**
 * The killswitch record as this Stackdeck last knew it, in the state dir. Redis stays the truth;
 * this copy only lets a restarted Stackdeck re-assert an engaged or latched switch when Redis lost
 * the key meanwhile (restart without persistence), so a restart can never hand trading back.
 * Written synchronously (rare, small) and renamed into place so a crash leaves old or new, never half.
 */
export function fileKillswitchMirror(path: string): KillswitchMirror {
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
      mkdirSync(dirname(path), { recursive: true })
      const tmp = `${path}.tmp`
      const fd = openSync(tmp, 'w', 0o600)
      try {
        writeSync(fd, JSON.stringify(record))
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      renameSync(tmp, path)
    },
  }
}
