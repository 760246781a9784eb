/**
 * The settings file as the services domain writes it: read with its hash, then replaced only by
 * the durable protocol, the same as config.toml's (docs/architecture.md §4 "Config writes"):
 *  1. conflict check: the file's bytes must hash to what Stackdeck last read or wrote; otherwise
 *     someone edited it by hand meanwhile and the write is refused (CoreError 'conflict'), so the
 *     outside edit is never lost;
 *  2. backup: the current bytes are copied to `<file>.bak.YYYYMMDD_HHMMSS` (UTC; `.1`, `.2`… within
 *     one second), created exclusively so an earlier backup is never overwritten, and fsynced;
 *  3. the check again, right before the rename, to narrow the window an outside edit could slip in;
 *  4. temp file, fsync, rename, fsync the directory (core/shared/durable-file.ts);
 *  5. retention: all but the SETTINGS_BACKUPS_KEPT newest backups are deleted (best effort).
 * Backup names and retention are shared with config.toml's (core/shared/backup-files.ts).
 */
import { createHash } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { CoreError } from '../errors'
import { backupName, backupStamp, pruneBackups } from '../shared/backup-files'
import { fsyncDirectory, replaceFileDurably } from '../shared/durable-file'

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex')
/**
 * Settings backups kept beside the file; older ones are deleted after each write. The settings
 * change rarely (a service added or edited), so this is weeks of history, never an unbounded pile.
 */
export const SETTINGS_BACKUPS_KEPT = 20

export interface SettingsSnapshot {
  /** The parsed JSON document as written (no defaults filled in). */
  raw: Record<string, unknown>
  hash: string
}

export class SettingsFile {
  /** The hash of the bytes Stackdeck last read or wrote; null until the first read. */
  private known: string | null

  constructor(
    readonly path: string,
    knownHash: string | null = null,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.known = knownHash
  }

  /**
   * The document on disk. The first read (when loading did not pass a hash) sets what later writes
   * are checked against; later reads are checked themselves, so an outside edit is reported
   * before any change is built on top of it.
   */
  async read(): Promise<SettingsSnapshot> {
    const bytes = await this.bytes()
    const hash = sha256(bytes)
    this.known ??= hash
    this.checkUnchanged(hash)
    let raw: unknown
    try {
      raw = JSON.parse(bytes.toString('utf8'))
    } catch (err) {
      throw new CoreError('parse_error', `${this.path}: ${(err as Error).message}`)
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new CoreError('schema_error', `${this.path}: the settings must be a JSON object`, { path: '/' })
    }
    return { raw: raw as Record<string, unknown>, hash }
  }

  /** Write `raw` with the protocol above; returns the backup's file name. */
  async write(raw: Record<string, unknown>): Promise<{ backup: string; hash: string }> {
    const before = await this.bytes()
    this.checkUnchanged(sha256(before))
    const backup = await this.backup(before)
    const text = `${JSON.stringify(raw, null, 2)}\n`
    this.checkUnchanged(sha256(await this.bytes()))
    try {
      await replaceFileDurably(this.path, text)
    } catch (err) {
      throw new CoreError('io_error', `${this.path}: cannot write the settings (${(err as Error).message}); the old file is in place`, { cause: err })
    }
    this.known = sha256(text)
    // Retention after the write, never before it: the backup this write reports is protected.
    await pruneBackups(this.path, SETTINGS_BACKUPS_KEPT, [backup])
    return { backup, hash: this.known }
  }

  private async bytes(): Promise<Buffer> {
    try {
      return await readFile(this.path)
    } catch (err) {
      throw new CoreError('io_error', `${this.path}: cannot read the settings (${(err as Error).message})`, { cause: err })
    }
  }

  private checkUnchanged(hash: string): void {
    if (this.known !== null && hash !== this.known) {
      throw new CoreError(
        'conflict',
        `${this.path} changed on disk since Stackdeck read it (an outside edit); nothing was written, the edit is kept. Restart Stackdeck to load it, then repeat the change.`,
      )
    }
  }

  private async backup(bytes: Buffer): Promise<string> {
    const dir = dirname(this.path)
    const stamp = backupStamp(this.now())
    for (let seq = 0; seq < 1000; seq++) {
      const name = backupName(this.path, stamp, seq)
      let fh
      try {
        fh = await open(join(dir, name), 'wx', 0o600) // exclusive: never overwrite an earlier backup
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue
        throw new CoreError('io_error', `cannot create the settings backup ${name}: ${(err as Error).message}`, { cause: err })
      }
      try {
        await fh.writeFile(bytes)
        await fh.sync()
      } finally {
        await fh.close()
      }
      await fsyncDirectory(dir)
      return name
    }
    throw new CoreError('io_error', `more than 1000 settings backups within one second in ${dir}`)
  }
}
