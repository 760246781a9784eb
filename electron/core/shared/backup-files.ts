/**
 * Backup files beside a file Stackdeck writes (config.toml, the settings file): naming, listing,
 * retention. One home, so both kinds of backup are named, sorted and pruned the same way.
 *
 * Names are `<file>.bak.YYYYMMDD_HHMMSS` in UTC. UTC because names must sort in time order across
 * DST changes (a local 01:30 happens twice in autumn) and across machines in other zones; the UI
 * shows the time converted to local. Two backups in the same second get `.1`, `.2`, ... suffixes;
 * an existing backup is never overwritten (creation is exclusive, see config-writer).
 */
import { readdir, stat, unlink } from 'node:fs/promises'
import { basename, join } from 'node:path'

export interface BackupInfo {
  name: string
  /** Time parsed from the name (UTC, ISO 8601). */
  time: string
  /** Same-second counter: 0 for the plain name, n for `.n`. */
  seq: number
  size: number
  mtime: string
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

export function backupStamp(d: Date): string {
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}_${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
}

/** Candidate names in the order they are tried: the plain stamp, then `.1`, `.2`, ... */
export function backupName(configFile: string, stamp: string, seq: number): string {
  return `${basename(configFile)}.bak.${stamp}${seq > 0 ? `.${seq}` : ''}`
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

export function backupPattern(configFile: string): RegExp {
  return new RegExp(`^${escapeRe(basename(configFile))}\\.bak\\.(\\d{4})(\\d{2})(\\d{2})_(\\d{2})(\\d{2})(\\d{2})(?:\\.(\\d+))?$`)
}

export function parseBackupName(configFile: string, name: string): { time: Date; seq: number } | null {
  const m = backupPattern(configFile).exec(name)
  if (!m) return null
  const [, y, mo, d, h, mi, s, seq] = m
  const time = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)))
  if (Number.isNaN(time.getTime())) return null
  return { time, seq: seq === undefined ? 0 : Number(seq) }
}

/** Newest first: by the time in the name, then by the same-second counter. */
export function compareBackups(a: { time: string; seq: number }, b: { time: string; seq: number }): number {
  return a.time === b.time ? b.seq - a.seq : a.time < b.time ? 1 : -1
}

export async function listBackups(configFile: string): Promise<BackupInfo[]> {
  const dir = join(configFile, '..')
  const names = await readdir(dir)
  const out: BackupInfo[] = []
  for (const name of names) {
    const parsed = parseBackupName(configFile, name)
    if (!parsed) continue
    try {
      const st = await stat(join(dir, name))
      if (!st.isFile()) continue
      out.push({ name, time: parsed.time.toISOString(), seq: parsed.seq, size: st.size, mtime: st.mtime.toISOString() })
    } catch {
      // Removed while listing (retention of a concurrent save): skip it.
    }
  }
  return out.sort(compareBackups)
}

/**
 * Deletes all but the `keep` newest backups; returns the names deleted. Best effort per file.
 * `protect`: names a save is about to report (its backup, an outside edit it kept) are never
 * deleted, even when keep = 1 would otherwise drop one of them.
 */
export async function pruneBackups(configFile: string, keep: number, protect: readonly string[] = []): Promise<string[]> {
  const all = await listBackups(configFile)
  const dir = join(configFile, '..')
  const removed: string[] = []
  for (const b of all.slice(Math.max(1, keep))) {
    if (protect.includes(b.name)) continue
    try {
      await unlink(join(dir, b.name))
      removed.push(b.name)
    } catch {
      // Already gone or not ours to delete: the next save tries again.
    }
  }
  return removed
}

/** A backup name given by a client must be one of ours: no paths, right prefix and shape. */
export function isBackupName(configFile: string, name: string): boolean {
  return !/[/\\]/.test(name) && parseBackupName(configFile, name) !== null
}
