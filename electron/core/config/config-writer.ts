/**
 * The durable write protocol for config.toml (design doc §4). A save either fully replaces the file
 * or leaves it exactly as it was, and the previous content always survives as a backup:
 *
 *  1. under an in-process lock per file, re-read the file; a hash other than the one the edit was
 *     based on is a conflict (someone else saved): nothing is written;
 *  2. back the current bytes up to `<file>.bak.YYYYMMDD_HHMMSS[.n]` (UTC): written to a temp file,
 *     fsynced, then hard-linked to its final name, so a backup is never torn and never overwrites
 *     another (link fails with EEXIST; we take the next `.n`);
 *  3. write the new bytes to a temp file in the same directory (O_EXCL, unique name), give it the
 *     original's owner and mode, fsync it, check the hash once more, rename it over the file, fsync
 *     the directory;
 *  4. only then delete backups beyond the newest N.
 * Any failure removes our temp files and leaves the original untouched; errors name the file and
 * the errno. A process killed mid-save leaves at most a stale temp file, removed by the next save.
 *
 * Docker: rename() gives the file a new inode. A container that bind-mounts the FILE itself
 * (`-v ./config.toml:/config/config.toml`) keeps seeing the old inode forever, so services must
 * mount the config DIRECTORY (`-v ./config:/config`), where the new file is visible at once.
 * The same holds for hard links to config.toml: they keep pointing at the old content.
 */
import { createHash, randomBytes } from 'node:crypto'
import { constants as fsc, type Stats } from 'node:fs'
import { copyFile, link, open, readdir, readFile, realpath, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { CoreError, isCoreError } from '../errors'
import { backupName, backupStamp, pruneBackups } from './config-backups'

export interface ConfigFileState {
  /** The real file (symlinks resolved): backups and temp files live next to it. */
  path: string
  bytes: Buffer
  text: string
  /** False when the bytes are not valid UTF-8 (TOML requires UTF-8). */
  utf8: boolean
  hash: string
  mtime: Date
}

export interface WriteOptions {
  keepBackups: number
  /** Injectable for tests; backup names use its UTC time. */
  clock?: () => Date
}

export interface WriteResult {
  /** Name (not path) of the backup of the previous content. */
  backup: string
  hash: string
  pruned: string[]
  /** Non-fatal problems after the rename (e.g. directory fsync unsupported). */
  warnings: string[]
}

const errText = (err: unknown): string => (err as NodeJS.ErrnoException)?.code ?? String(err)

export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex')

const ERRNO_TEXT: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  EMFILE: 'too many open files',
  EBUSY: 'resource busy',
}

export function ioError(file: string, action: string, err: unknown): CoreError {
  if (isCoreError(err)) return err
  const code = (err as NodeJS.ErrnoException)?.code ?? 'EIO'
  const why = ERRNO_TEXT[code] ?? (err as Error)?.message ?? 'unknown error'
  return new CoreError('io_error', `Cannot ${action} ${file}: ${code} (${why})`, {
    path: file,
    details: [{ path: file, message: `${code}: ${why}` }],
    cause: err,
  })
}

export async function resolveConfigPath(path: string): Promise<string> {
  try {
    return await realpath(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CoreError('not_found', `${path} does not exist`, { path })
    }
    throw ioError(path, 'resolve', err)
  }
}

export async function readConfigFile(path: string): Promise<ConfigFileState> {
  const real = await resolveConfigPath(path)
  try {
    const [bytes, st] = await Promise.all([readFile(real), stat(real)])
    let text: string
    let utf8 = true
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    } catch {
      utf8 = false
      text = bytes.toString('utf8')
    }
    return { path: real, bytes, text, utf8, hash: sha256(bytes), mtime: st.mtime }
  } catch (err) {
    throw ioError(real, 'read', err)
  }
}

/** sha256 of the file's bytes now, or null when it does not exist. */
export async function currentFileHash(path: string): Promise<string | null> {
  try {
    return sha256(await readFile(await realpath(path)))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw ioError(path, 'read', err)
  }
}

// ---- per-file lock ---------------------------------------------------------------------------------

const locks = new Map<string, Promise<void>>()

/** Runs `fn` after every earlier call for the same key has settled: saves never interleave. */
export async function withConfigLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(key) ?? Promise.resolve()
  let release!: () => void
  const mine = new Promise<void>((r) => (release = r))
  const tail = prev.then(() => mine)
  locks.set(key, tail)
  await prev
  try {
    return await fn()
  } finally {
    release()
    if (locks.get(key) === tail) locks.delete(key)
  }
}

// ---- the protocol ----------------------------------------------------------------------------------

const tempPrefix = (target: string) => `.${basename(target)}.stackdeck-`

function conflict(target: string, expected: string, found: string): CoreError {
  return new CoreError(
    'conflict',
    `${target} changed on disk since it was loaded (expected sha256 ${expected.slice(0, 12)}, found ${found.slice(0, 12)}); reload it and apply your edit again`,
    { path: target },
  )
}

/** Temp files of saves killed mid-way (their pid is gone, or is us: we hold the lock). */
async function removeStaleTemps(dir: string, target: string): Promise<void> {
  const re = new RegExp(`^${tempPrefix(target).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:tmp|bak)-(\\d+)-[0-9a-f]+$`)
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return
  }
  for (const name of names) {
    const m = re.exec(name)
    if (!m) continue
    const pid = Number(m[1])
    if (pid !== process.pid && processAlive(pid)) continue
    await unlink(join(dir, name)).catch(() => undefined)
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function fsyncDir(dir: string): Promise<void> {
  let fh
  try {
    fh = await open(dir, 'r')
    await fh.sync()
  } catch (err) {
    // Some platforms/filesystems cannot fsync a directory (Windows, some network mounts).
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EBADF') throw err
  } finally {
    await fh?.close().catch(() => undefined)
  }
}

/** Writes `bytes` to a new, exclusive temp file with the original's mode (and owner), fsynced. */
async function writeTemp(dir: string, target: string, kind: 'tmp' | 'bak', bytes: Uint8Array, orig: Stats, strictOwner: boolean): Promise<string> {
  const name = join(dir, `${tempPrefix(target)}${kind}-${process.pid}-${randomBytes(6).toString('hex')}`)
  const fh = await open(name, 'wx', orig.mode & 0o777)
  try {
    await fh.writeFile(bytes)
    if (process.platform !== 'win32') {
      const mine = await fh.stat()
      if (mine.uid !== orig.uid || mine.gid !== orig.gid) {
        try {
          await fh.chown(orig.uid, orig.gid)
        } catch (err) {
          // A config owned by someone else and readable only by its group must not silently become
          // ours: services might lose access to it. Refuse rather than surprise.
          if (strictOwner) {
            throw new CoreError(
              'io_error',
              `Cannot keep the owner ${orig.uid}:${orig.gid} of ${target}: ${(err as NodeJS.ErrnoException).code ?? 'EPERM'} (run Stackdeck as that user, or fix the file's owner)`,
              { path: target, cause: err },
            )
          }
        }
      }
    }
    // After chown (which clears set-id bits) and regardless of umask: exactly the original mode.
    await fh.chmod(orig.mode & 0o7777)
    await fh.sync()
  } catch (err) {
    await fh.close().catch(() => undefined)
    await unlink(name).catch(() => undefined)
    throw err
  }
  await fh.close()
  return name
}

async function writeBackup(dir: string, target: string, bytes: Uint8Array, orig: Stats, now: Date): Promise<string> {
  const tmp = await writeTemp(dir, target, 'bak', bytes, orig, false)
  try {
    const stamp = backupStamp(now)
    for (let seq = 0; seq < 100_000; seq++) {
      const name = backupName(target, stamp, seq)
      try {
        await link(tmp, join(dir, name))
        return name
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'EEXIST') continue
        if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS' || code === 'EXDEV') {
          // No hard links on this filesystem: still exclusive, just not atomic against a crash.
          try {
            await copyFile(tmp, join(dir, name), fsc.COPYFILE_EXCL)
            const fh = await open(join(dir, name), 'r')
            await fh.sync().finally(() => fh.close())
            return name
          } catch (e2) {
            if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') continue
            throw e2
          }
        }
        throw err
      }
    }
    throw new CoreError('io_error', `Too many backups of ${target} within one second`, { path: target })
  } finally {
    await unlink(tmp).catch(() => undefined)
  }
}

/**
 * Back up the current file and atomically replace it with `newText`, if and only if the file still
 * hashes to `baseHash`. Throws conflict / not_found / io_error; the original is intact on any throw.
 */
export async function backupAndWrite(path: string, newText: string, baseHash: string, opts: WriteOptions): Promise<WriteResult> {
  const target = await resolveConfigPath(path)
  const dir = dirname(target)
  const clock = opts.clock ?? (() => new Date())
  return withConfigLock(target, async () => {
    await removeStaleTemps(dir, target)
    let orig: Stats
    let current: Buffer
    try {
      orig = await stat(target)
      current = await readFile(target)
    } catch (err) {
      throw ioError(target, 'read', err)
    }
    const currentHash = sha256(current)
    if (currentHash !== baseHash) throw conflict(target, baseHash, currentHash)

    const bytes = Buffer.from(newText, 'utf8')
    const warnings: string[] = []
    let backup: string | null = null
    let tmp: string | null = null
    let step = 'back up'
    try {
      backup = await writeBackup(dir, target, current, orig, clock())
      await fsyncDir(dir)
      step = 'write'
      tmp = await writeTemp(dir, target, 'tmp', bytes, orig, true)
      // Last look before the point of no return: an editor may have saved while we were writing.
      const again = sha256(await readFile(target))
      if (again !== baseHash) throw conflict(target, baseHash, again)
      step = 'replace'
      await rename(tmp, target)
      tmp = null
    } catch (err) {
      if (tmp) await unlink(tmp).catch(() => undefined)
      // The backup is a copy of a file that is still in place unchanged: drop it with the attempt.
      if (backup) await unlink(join(dir, backup)).catch(() => undefined)
      throw ioError(target, step, err)
    }
    try {
      await fsyncDir(dir)
    } catch (err) {
      warnings.push(`directory fsync failed after replacing ${target}: ${errText(err)}`)
    }
    let pruned: string[] = []
    try {
      pruned = await pruneBackups(target, opts.keepBackups)
    } catch (err) {
      warnings.push(`could not prune old backups: ${errText(err)}`)
    }
    return { backup, hash: sha256(bytes), pruned, warnings }
  })
}
