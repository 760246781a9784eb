/**
 * The settings file as the services domain writes it: read with its hash, then replaced only by
 * the durable protocol, the same as config.toml's (docs/architecture.md §4 "Config writes"):
 *  1. conflict check: the file's bytes must hash to what Stackdeck last read or wrote; otherwise
 *     someone edited it by hand meanwhile and the write is refused (CoreError 'conflict'), so the
 *     outside edit is never lost;
 *  2. backup: the current bytes are copied to `<file>.bak.YYYYMMDD_HHMMSS` (UTC; `.1`, `.2`… within
 *     one second), created exclusively so an earlier backup is never overwritten, and fsynced;
 *  3. the check again, right before the rename, to narrow the window an outside edit could slip in;
 *  4. temp file, fsync, rename, fsync the directory (core/shared/durable-file.ts).
 */
import { createHash } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { CoreError } from '../errors'
import { fsyncDirectory, replaceFileDurably } from '../shared/durable-file'

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex')
const pad = (n: number) => String(n).padStart(2, '0')

/** UTC, so backup names sort in time order across DST changes. */
export function backupStamp(d: Date): string {
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}_${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
}

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
      const name = `${basename(this.path)}.bak.${stamp}${seq > 0 ? `.${seq}` : ''}`
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
