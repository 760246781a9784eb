/**
 * Durable replacement of a small file: the new bytes go to a temp file in the same directory, which
 * is fsynced, renamed over the target, and then the directory is fsynced, because rename(2) is
 * durable only once the directory entry is. A crash leaves the old file or the new one, never half.
 * Used by the run journal, the supervision backoff store, the window-pause record and the killswitch
 * mirror whole, and by the config writer (config/config-writer.ts) for its directory fsyncs, since
 * its protocol around the rename (backups, the check-and-rename window) is its own.
 *
 * ONE policy for a directory fsync that fails (`fsyncDirectory`):
 *  - the codes in DIR_FSYNC_UNSUPPORTED mean "this platform or filesystem cannot fsync a directory"
 *    (Windows answers EISDIR/EPERM; some network and FUSE mounts EINVAL/ENOTSUP; a few systems EBADF
 *    for a read-only descriptor). Nothing we do can make the rename more durable there, and refusing
 *    every save on such a mount would make Stackdeck unusable on it, so they are TOLERATED: the
 *    call resolves `{ synced: false, code, warning }` and the caller reports the warning where it
 *    reports things (a save's warnings, a log line). The config writer always tolerated exactly
 *    these; the other copies threw on them, which made a journal or backoff write fail on a
 *    filesystem where the file itself had been written and renamed fine.
 *  - any other error (EIO, ENOSPC, EACCES, ENOENT…) is a real failure of a filesystem that does
 *    support the call, and PROPAGATES: the rename may not survive a power loss and the caller must
 *    know. A caller that has already done something it cannot undo (the config writer after its
 *    rename: the new file is live) may turn that error into a warning of its own; that is its
 *    decision, said where it makes it.
 *
 * Temp files are `<file>.<pid>.<12 hex>.tmp` (unique, so two writers never share one) and removed
 * when the write fails before the rename; a process killed mid-write can leave one behind. The
 * config writer's clean-up never matches this shape (its temp files are `.<file>.stackdeck-…`).
 */
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'

/** Errno codes by which a platform or filesystem says it cannot fsync a directory (see above). */
export const DIR_FSYNC_UNSUPPORTED: ReadonlySet<string> = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EISDIR', 'EPERM', 'EBADF'])

export type DirSync = { synced: true } | { synced: false; code: string; warning: string }

const SYNCED: DirSync = { synced: true }

function tolerated(dir: string, err: unknown): DirSync {
  const code = (err as NodeJS.ErrnoException)?.code
  if (code === undefined || !DIR_FSYNC_UNSUPPORTED.has(code)) throw err
  return { synced: false, code, warning: `cannot fsync the directory ${dir} (${code}: not supported here): a rename into it may not survive a power loss` }
}

/** fsync a directory, so the entries renamed into it are durable. Policy: see the module comment. */
export async function fsyncDirectory(dir: string): Promise<DirSync> {
  let fh
  try {
    fh = await open(dir, 'r')
    await fh.sync()
    return SYNCED
  } catch (err) {
    return tolerated(dir, err)
  } finally {
    await fh?.close().catch(() => undefined)
  }
}

/** The same, synchronously (for callers that must not yield, e.g. the killswitch mirror). */
export function fsyncDirectorySync(dir: string): DirSync {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
    return SYNCED
  } catch (err) {
    return tolerated(dir, err)
  } finally {
    if (fd !== undefined) {
      try {
        closeSync(fd)
      } catch {
        // Closing a read-only directory descriptor cannot lose data.
      }
    }
  }
}

export interface DurableWriteOptions {
  /** Mode of a newly created file (default 0o600: state files are Stackdeck's own). */
  mode?: number
}

const tempFor = (path: string) => `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`

/**
 * Replaces `path` with `data` durably (temp file, fsync, rename, fsync the directory), creating
 * the parent directory when missing. Throws with the old file in place when anything before the
 * rename fails; resolves with the directory fsync's outcome (see the policy above).
 */
export async function replaceFileDurably(path: string, data: string | Uint8Array, opts: DurableWriteOptions = {}): Promise<DirSync> {
  const dir = dirname(path)
  await mkdir(dir, { recursive: true })
  const tmp = tempFor(path)
  try {
    const fh = await open(tmp, 'w', opts.mode ?? 0o600)
    try {
      await fh.writeFile(data)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined)
    throw err
  }
  return fsyncDirectory(dir)
}

/** `replaceFileDurably`, synchronously. */
export function replaceFileDurablySync(path: string, data: string | Uint8Array, opts: DurableWriteOptions = {}): DirSync {
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true })
  const tmp = tempFor(path)
  try {
    const fd = openSync(tmp, 'w', opts.mode ?? 0o600)
    try {
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
      let done = 0
      while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, path)
  } catch (err) {
    try {
      rmSync(tmp, { force: true })
    } catch {
      // The write already failed; that error is the one to report.
    }
    throw err
  }
  return fsyncDirectorySync(dir)
}

/** A reporter that passes each distinct warning on once: a store saved every few seconds must not repeat it. */
export function reportOnce(log: ((line: string) => void) | undefined): (outcome: DirSync) => void {
  const seen = new Set<string>()
  return (outcome) => {
    if (outcome.synced || !log || seen.has(outcome.warning)) return
    seen.add(outcome.warning)
    log(outcome.warning)
  }
}
