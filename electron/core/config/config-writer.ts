/**
 * The durable write protocol for config.toml (design doc §4). A save either fully replaces the file
 * or leaves it exactly as it was, the previous content always survives as a backup, and an edit
 * made by another program while we save is never silently lost:
 *
 *  1. under an in-process lock per file, open the live file and read it THROUGH THAT FD; a hash
 *     other than the one the edit was based on is a conflict (someone else saved): nothing is
 *     written. The fd pins the inode we checked ("X") for the rest of the save;
 *  2. back up exactly the bytes we just hashed to `<file>.bak.YYYYMMDD_HHMMSS[.n]` (UTC): written
 *     to a temp file, fsynced, then hard-linked to its final name, so a backup is never torn and
 *     never overwrites another (link fails with EEXIST; we take the next `.n`);
 *  3. write the new bytes to a temp file in the same directory (O_EXCL, unique name), give it the
 *     original's owner and mode, fsync it;
 *  4. the check-and-rename window. POSIX has no compare-and-swap rename, so we narrow the window
 *     and watch the inode we are about to replace:
 *       a. hard-link X to a side name (`.<file>.stackdeck-old-<pid>-<hex>`), so X outlives the
 *          rename together with anything written into it;
 *       b. re-read X through the fd: changed bytes are a conflict (the outside edit stays live);
 *       c. stat the path: another inode there (an editor that saves by rename) is a conflict;
 *       d. rename(2) the temp file over the path, fsync the directory;
 *       e. re-read X: if its bytes changed after (b), an in-place edit landed in the window
 *          between (b) and (d). X is still reachable through the side link, so it becomes a
 *          backup (`outsideEditKept` in the result, plus a warning) instead of vanishing. A
 *          writer still writing into X keeps writing into that backup.
 *  5. only then delete backups beyond the newest N (never the ones this save reports).
 *
 * What remains (documented in the README, config writes): an editor that replaces the file BY
 * RENAME in the microseconds between (c) and (d) loses its edit. No stat can tell afterwards
 * which inode our rename displaced (Linux's renameat2(RENAME_EXCHANGE) could; Node does not
 * expose it), so on Linux we read the directory's inotify queue, which is in kernel order: a
 * rename onto the name between our side link (a) and our own rename means exactly that, and the
 * save reports `outsideEditLost` with a warning. Lost, but never silently. (b)-(d) run without
 * yielding to keep that window microseconds wide. And a program that opened X before (d)
 * WITHOUT truncating it and writes only after (e) writes into an unlinked inode. In-place
 * writers that truncate on open (most editors, `>`, fs.writeFile) are always detected in (b) or
 * kept in (e).
 *
 * Any failure before the rename removes our temp files and leaves the original untouched; errors
 * name the file and the errno. A process killed mid-save leaves at most temp files matching
 * `.<file>.stackdeck-(tmp|bak|old)-<pid>-<12 hex>`; `cleanUpLeftovers` (run when the config
 * service starts, and before every save) removes them, and only them.
 *
 * Docker: rename() gives the file a new inode. A container that bind-mounts the FILE itself
 * (`-v ./config.toml:/config/config.toml`) keeps seeing the old inode forever, so services must
 * mount the config DIRECTORY (`-v ./config:/config`), where the new file is visible at once.
 * The same holds for hard links to config.toml: they keep pointing at the old content.
 */
import { createHash, randomBytes } from 'node:crypto'
import { constants as fsc, readSync, renameSync, statSync, watch, type FSWatcher, type Stats } from 'node:fs'
import { copyFile, link, lstat, open, readdir, readFile, realpath, stat, unlink, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { CoreError, isCoreError } from '../errors'
import { fsyncDirectory, type DirSync } from '../shared/durable-file'
import { backupName, backupStamp, listBackups, parseBackupName, pruneBackups } from '../shared/backup-files'

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
  /**
   * Tests only: runs synchronously between the last check (4c) and rename(2), the one moment no
   * check can cover, so a test can put an outside edit exactly there instead of hoping to hit it.
   */
  beforeRenameForTests?: () => void
}

export interface WriteResult {
  /** Name (not path) of the backup of the previous content. */
  backup: string
  hash: string
  pruned: string[]
  /** Non-fatal problems after the rename (e.g. directory fsync unsupported). */
  warnings: string[]
  /**
   * Name of a backup holding an edit another program made to the file while this save replaced
   * it (in-place, in the last moments before the rename), or null when there was none. The saved
   * file is live; the outside edit is not lost, and the warnings say so too.
   */
  outsideEditKept: string | null
  /**
   * True when another program replaced the file BY RENAME in the microseconds between the last
   * check and our rename: its content was overwritten and is gone. Seen through the directory's
   * inotify event order (Linux only); the warnings say so too. See the module comment.
   */
  outsideEditLost: boolean
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

type TempKind = 'tmp' | 'bak' | 'old'

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const tempPrefix = (target: string) => `.${basename(target)}.stackdeck-`
const tempName = (target: string, kind: TempKind) => `${tempPrefix(target)}${kind}-${process.pid}-${randomBytes(6).toString('hex')}`
/**
 * Exactly the names `tempName` makes, for this one config file: the state files written through
 * shared/durable-file (journal, backoff store…) use another shape (`<file>.<pid>.<hex>.tmp`) and
 * are never matched.
 */
const tempPattern = (target: string) => new RegExp(`^${escapeRe(tempPrefix(target))}(tmp|bak|old)-(\\d{1,10})-([0-9a-f]{12})$`)

function conflict(target: string, expected: string, found: string): CoreError {
  return new CoreError(
    'conflict',
    `${target} changed on disk since it was loaded (expected sha256 ${expected.slice(0, 12)}, found ${found.slice(0, 12)}); reload it and apply your edit again`,
    { path: target },
  )
}

/** An outside edit caught inside the check-and-rename window: nothing written, the edit stays live. */
function conflictWhileSaving(target: string, what: string): CoreError {
  return new CoreError(
    'conflict',
    `${target} was changed by another program while saving (${what}); nothing was written and that edit is on disk: reload it and apply your edit again`,
    { path: target },
  )
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Filesystems without hard links answer link() with one of these. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK'])

/** The whole content of an open file from offset 0, whatever its position or size is now. */
async function readWhole(fh: FileHandle): Promise<Buffer> {
  const chunks: Buffer[] = []
  let pos = 0
  for (;;) {
    const buf = Buffer.allocUnsafe(64 * 1024)
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos)
    if (bytesRead === 0) return Buffer.concat(chunks)
    chunks.push(buf.subarray(0, bytesRead))
    pos += bytesRead
  }
}

function readWholeSync(fd: number): Buffer {
  const chunks: Buffer[] = []
  let pos = 0
  for (;;) {
    const buf = Buffer.allocUnsafe(64 * 1024)
    const n = readSync(fd, buf, 0, buf.length, pos)
    if (n === 0) return Buffer.concat(chunks)
    chunks.push(buf.subarray(0, n))
    pos += n
  }
}

const sameInode = (a: { ino: number; dev: number }, b: { ino: number; dev: number }) =>
  // Some platforms (old Windows filesystems) report ino 0 for everything: no identity to compare.
  a.ino === 0 || b.ino === 0 || (a.ino === b.ino && a.dev === b.dev)

/** Writes `bytes` to a new, exclusive temp file with the original's mode (and owner), fsynced. */
async function writeTemp(dir: string, target: string, kind: 'tmp' | 'bak', bytes: Uint8Array, orig: Stats, strictOwner: boolean): Promise<string> {
  const name = join(dir, tempName(target, kind))
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

/**
 * Gives the complete file `from` a backup name: hard-linked (atomic, and the inode is shared, so a
 * writer still writing into it keeps writing into the backup), or copied where links are not
 * supported. Never overwrites a backup: EEXIST moves on to the next `.n`. Returns the name.
 */
async function linkAsBackup(dir: string, target: string, from: string, now: Date): Promise<string> {
  const stamp = backupStamp(now)
  // Start past the highest `.n` already used in this second, never in a gap: retention may have
  // pruned the plain name, and a new backup there would sort as the oldest of its second, so the
  // next prune would count it among the old ones.
  let first = 0
  for (const n of await readdir(dir).catch(() => [] as string[])) {
    const p = parseBackupName(target, n)
    if (p && backupStamp(p.time) === stamp) first = Math.max(first, p.seq + 1)
  }
  for (let seq = first; seq < first + 100_000; seq++) {
    const name = backupName(target, stamp, seq)
    try {
      await link(from, join(dir, name))
      return name
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST') continue
      if (code !== undefined && NO_LINKS.has(code)) {
        // No hard links on this filesystem: still exclusive, just not atomic against a crash.
        try {
          await copyFile(from, join(dir, name), fsc.COPYFILE_EXCL)
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
}

async function writeBackup(dir: string, target: string, bytes: Uint8Array, orig: Stats, now: Date): Promise<string> {
  const tmp = await writeTemp(dir, target, 'bak', bytes, orig, false)
  try {
    return await linkAsBackup(dir, target, tmp, now)
  } finally {
    await unlink(tmp).catch(() => undefined)
  }
}

/**
 * Records the directory's events in kernel order (one inotify queue per directory), so that after
 * our rename we can tell whether a rename onto the file name came between our side link (4a) and
 * our own rename: that is a rename-replace in the window, which no stat can see any more. Linux
 * only: elsewhere the event order is not a promise. Best effort: no watcher, no verdict.
 */
/**
 * Directories where our own rename produced no event in time (network mounts, some Docker Desktop
 * shares): inotify says nothing there, so waiting for it again would only add latency to every
 * save (Save & Restart writes while the stack is frozen).
 */
const silentDirs = new Set<string>()

function windowWitness(dir: string, target: string) {
  if (process.platform !== 'linux' || silentDirs.has(dir)) return null
  const events: Array<{ type: string; name: string }> = []
  let notify: (() => void) | null = null
  let fsw: FSWatcher
  try {
    fsw = watch(dir, { persistent: false }, (type, name) => {
      events.push({ type, name: typeof name === 'string' ? name : '' })
      notify?.()
    })
    fsw.on('error', () => undefined)
  } catch {
    return null
  }
  const file = basename(target)
  return {
    /** true: a rename onto the file came between `side` appearing and `tmp` leaving; null: unknown. */
    async replacedBetween(side: string, tmp: string, timeoutMs = 100): Promise<boolean | null> {
      const deadline = Date.now() + timeoutMs
      while (!events.some((e) => e.name === tmp)) {
        const left = deadline - Date.now()
        if (left <= 0) {
          if (!events.some((e) => e.name === side)) silentDirs.add(dir)
          return null
        }
        await new Promise<void>((r) => {
          const t = setTimeout(r, left)
          notify = () => {
            clearTimeout(t)
            r()
          }
        })
      }
      const from = events.findIndex((e) => e.name === side)
      const to = events.findIndex((e) => e.name === tmp)
      if (from < 0) return null
      return events.slice(from + 1, to).some((e) => e.type === 'rename' && e.name === file)
    },
    close: () => fsw.close(),
  }
}

// ---- leftovers of killed saves ---------------------------------------------------------------------

/** A temp file younger than this whose pid is alive (and not us) may still be in use: left alone. */
export const LEFTOVER_SAFE_AGE_MS = 10 * 60_000

export interface LeftoverReport {
  /** Names removed, each with the reason it was safe to. */
  removed: Array<{ name: string; why: string }>
  /** Side links of a killed save that held an outside edit found nowhere else: kept as backups. */
  kept: Array<{ name: string; backup: string }>
  /** Our pattern, but possibly still in use or not removable. */
  skipped: Array<{ name: string; why: string }>
}

/**
 * Removes what killed saves of `target` left in its directory, and nothing else. Only names made by
 * `tempName` for this very file qualify, only regular files, and only when the writer cannot still
 * be using them: its pid is gone, or is ours (the caller holds the file's lock, so no save of ours
 * is in flight), or the file is older than LEFTOVER_SAFE_AGE_MS (a pid reused by an unrelated
 * process, e.g. after a container restart). A `tmp` is an unfinished new version and a `bak` an
 * unfinished copy of a file that was never replaced: both are redundant. An `old` side link (step
 * 4a) is redundant when the inode has another name or its bytes equal the live file or a backup;
 * otherwise it holds an outside edit that landed as the save died, and it becomes a backup.
 * Must run under withConfigLock(target).
 */
async function removeStaleTemps(target: string, now: Date): Promise<LeftoverReport> {
  const dir = dirname(target)
  const re = tempPattern(target)
  const report: LeftoverReport = { removed: [], kept: [], skipped: [] }
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return report
  }
  let known: Set<string> | null = null
  for (const name of names) {
    const m = re.exec(name)
    if (!m) continue
    const kind = m[1] as TempKind
    const pid = Number(m[2])
    const path = join(dir, name)
    try {
      const st = await lstat(path)
      if (!st.isFile()) {
        report.skipped.push({ name, why: 'not a regular file' })
        continue
      }
      // ctime, not mtime: an `old` link keeps the config's own (possibly ancient) mtime.
      const age = now.getTime() - Math.max(st.mtimeMs, st.ctimeMs)
      let why: string
      if (pid === process.pid) why = `left by an earlier process with our pid ${pid}`
      else if (!processAlive(pid)) why = `pid ${pid} is gone`
      else if (age > LEFTOVER_SAFE_AGE_MS) why = `older than ${LEFTOVER_SAFE_AGE_MS / 60_000} min (pid ${pid} is alive but cannot still be saving)`
      else {
        report.skipped.push({ name, why: `pid ${pid} is alive: may still be saving` })
        continue
      }
      if (kind === 'old' && st.nlink < 2) {
        known ??= await knownHashes(target)
        const hash = sha256(await readFile(path))
        if (!known.has(hash)) {
          const backup = await linkAsBackup(dir, target, path, now)
          await unlink(path)
          known.add(hash)
          report.kept.push({ name, backup })
          continue
        }
        why += '; its content is the live file or a backup'
      } else if (kind === 'old') {
        why += '; the inode has another name'
      }
      await unlink(path)
      report.removed.push({ name, why })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
      report.skipped.push({ name, why: `cannot remove: ${errText(err)}` })
    }
  }
  if (report.removed.length + report.kept.length > 0) await fsyncDirectory(dir).catch(() => undefined)
  return report
}

/** Hashes of the live file and of every backup: content that is safe elsewhere. */
async function knownHashes(target: string): Promise<Set<string>> {
  const out = new Set<string>()
  const live = await currentFileHash(target).catch(() => null)
  if (live) out.add(live)
  for (const b of await listBackups(target).catch(() => [])) {
    try {
      out.add(sha256(await readFile(join(dirname(target), b.name))))
    } catch {
      // Pruned meanwhile: not a place the content is safe in.
    }
  }
  return out
}

/** Start-up clean-up of this file's own leftovers (see removeStaleTemps); never throws for a missing file. */
export async function cleanUpLeftovers(path: string, clock: () => Date = () => new Date()): Promise<LeftoverReport & { path: string }> {
  let target: string
  try {
    target = await realpath(path)
  } catch {
    target = path
  }
  return withConfigLock(target, async () => ({ path: target, ...(await removeStaleTemps(target, clock())) }))
}

// ---- the save --------------------------------------------------------------------------------------

/** Takes the per-file lock and returns its release; for a save that spans several calls (StagedWrite). */
async function acquireConfigLock(key: string): Promise<() => void> {
  // Resolves with the release function once every earlier holder has let go.
  return new Promise<() => void>((outer) => {
    void withConfigLock(key, () => new Promise<void>((inner) => outer(() => inner())))
  })
}

/**
 * A save split where Save & Restart needs it: everything slow happens in `stage()` (the hash check,
 * the backup, the fsynced temp file), before the stack is paused; `commit()` is the check-and-rename
 * window alone (4a-4d plus the directory fsync), the only part that must happen while containers
 * are frozen; `finish()` runs the after-checks (4e, the rename witness, pruning) once they are
 * running again. Until `commit()`, `abandon()` leaves the original exactly as it was and removes
 * the backup made for it. Crash safety is the protocol's: before the rename the old file is live
 * (plus a spare backup and temp files that start-up clean-up removes); after it, the new one.
 *
 * mode 'in-place' (settings config.singleFileMounts = write-in-place): for stacks whose containers
 * bind-mount the FILE, the new bytes are written into the same inode (truncate, write, fsync) so
 * those containers see them. NOT crash-atomic: a crash mid-write leaves a torn file; the backup,
 * made first and named in the journal, is the way back. An outside edit is still refused as a
 * conflict up to the write itself.
 */
export class StagedWrite {
  private committed = false
  private closed = false
  private side: string | null = null
  private witness: ReturnType<typeof windowWitness> = null
  private renamed: { tmp: string; side: string } | undefined
  private readonly warnings: string[] = []

  private constructor(
    readonly target: string,
    private readonly dir: string,
    private readonly live: FileHandle,
    private readonly orig: Stats,
    private readonly baseHash: string,
    private readonly bytes: Buffer,
    /** Name (not path) of the backup of the previous content. */
    readonly backup: string,
    private tmp: string | null,
    readonly mode: 'atomic' | 'in-place',
    private readonly opts: WriteOptions,
    private readonly release: () => void,
  ) {}

  get hash(): string {
    return sha256(this.bytes)
  }

  /** The live file may differ from the original: set once the rename (or the in-place write) began. */
  get touched(): boolean {
    return this.committed
  }

  static async stage(path: string, newText: string, baseHash: string, opts: WriteOptions & { mode?: 'atomic' | 'in-place' }): Promise<StagedWrite> {
    const target = await resolveConfigPath(path)
    const dir = dirname(target)
    const clock = opts.clock ?? (() => new Date())
    const release = await acquireConfigLock(target)
    let live: FileHandle | null = null
    let backup: string | null = null
    let step = 'read'
    try {
      await removeStaleTemps(target, clock())
      live = await open(target, opts.mode === 'in-place' ? 'r+' : 'r')
      const orig = await live.stat()
      const current = await readWhole(live)
      // The backup is made from these very bytes: it is exactly what we hashed.
      const currentHash = sha256(current)
      if (currentHash !== baseHash) throw conflict(target, baseHash, currentHash)
      const bytes = Buffer.from(newText, 'utf8')
      step = 'back up'
      backup = await writeBackup(dir, target, current, orig, clock())
      // Unsupported here (see shared/durable-file): said once in the save's warnings, not refused.
      const backupSync = await fsyncDirectory(dir)
      step = 'write'
      const tmp = opts.mode === 'in-place' ? null : await writeTemp(dir, target, 'tmp', bytes, orig, true)
      const staged = new StagedWrite(target, dir, live, orig, baseHash, bytes, backup, tmp, opts.mode ?? 'atomic', opts, release)
      staged.warn(backupSync)
      return staged
    } catch (err) {
      if (backup) await unlink(join(dir, backup)).catch(() => undefined)
      await live?.close().catch(() => undefined)
      release()
      throw ioError(target, step, err)
    }
  }

  /** The check-and-rename window (4a-4d) and the directory fsync. Throws conflict / io_error; the original is then intact. */
  async commit(): Promise<void> {
    if (this.committed || this.closed) throw new Error('StagedWrite: commit() called twice or after abandon()')
    if (this.mode === 'in-place') return this.commitInPlace()
    const { dir, target, live, orig, baseHash } = this
    const tmp = this.tmp as string
    try {
      // 4a. Pin X under a side name: after the rename it is the only way back to its bytes.
      const sideName = join(dir, tempName(target, 'old'))
      this.witness = windowWitness(dir, target)
      try {
        await link(target, sideName)
        this.side = sideName
        if (!sameInode(await lstat(sideName), orig)) throw conflictWhileSaving(target, 'it was replaced by another file')
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        // Linux answers link() with ENOENT while another program renames over the name (the
        // old dentry is gone for an instant) or when it was deleted: either way an outside edit.
        if (code === 'ENOENT') throw conflictWhileSaving(target, 'it was replaced or removed by another file')
        if (isCoreError(err) || code === undefined || !NO_LINKS.has(code)) throw err
        // No hard links here: the open fd still pins X, we just cannot give it a name later
        // without copying (4e copies instead).
      }
      // 4b-4d run synchronously, in one tick: each await would hand the next syscall to the
      // thread pool and back, ~0.1 ms in which a rename-replace by another program goes
      // unseen (measured: 6 lost of 480 racing renames with awaits here, 1 of 720 without).
      // Blocking the loop for one small read, a stat and a rename is the cheaper cost.
      // 4b. The bytes we checked are still the bytes of X.
      const again = sha256(readWholeSync(live.fd))
      if (again !== baseHash) throw conflictWhileSaving(target, `sha256 now ${again.slice(0, 12)}`)
      // 4c. ...and X is still the file at the path. Last check: nothing but rename(2) after it.
      if (!sameInode(statSync(target), orig)) throw conflictWhileSaving(target, 'it was replaced by another file')
      this.opts.beforeRenameForTests?.()
      renameSync(tmp, target)
      this.renamed = { tmp: basename(tmp), side: basename(sideName) }
      this.tmp = null
    } catch (err) {
      await this.abandon()
      throw ioError(target, 'replace', err)
    }
    this.committed = true
    try {
      this.warn(await fsyncDirectory(dir))
    } catch (err) {
      // Past the rename the new file is live and nothing can undo that: a failure of the directory
      // fsync is reported with the save, never thrown as if the save had not happened.
      this.warnings.push(`directory fsync failed after replacing ${target}: ${errText(err)}`)
    }
  }

  /** A directory fsync the filesystem cannot do: one warning per save, however often it was tried. */
  private warn(outcome: DirSync): void {
    if (!outcome.synced && !this.warnings.includes(outcome.warning)) this.warnings.push(outcome.warning)
  }

  private async commitInPlace(): Promise<void> {
    const { target, live, orig, baseHash, bytes } = this
    try {
      // The same checks as 4b/4c: an outside edit up to this instant is a conflict, never overwritten.
      const again = sha256(readWholeSync(live.fd))
      if (again !== baseHash) throw conflictWhileSaving(target, `sha256 now ${again.slice(0, 12)}`)
      if (!sameInode(statSync(target), orig)) throw conflictWhileSaving(target, 'it was replaced by another file')
    } catch (err) {
      await this.abandon()
      throw ioError(target, 'replace', err)
    }
    this.committed = true
    try {
      // From here the file is torn until the write returns: the backup is the way back.
      await live.truncate(0)
      await live.write(bytes, 0, bytes.length, 0)
      await live.sync()
    } catch (err) {
      throw new CoreError(
        'io_error',
        `Writing ${target} in place failed part-way (${errText(err)}): the file may be incomplete; restore backup ${this.backup}`,
        { path: target, cause: err },
      )
    }
  }

  /** Before commit: removes what stage() made (temp file, backup) and releases the file. */
  async abandon(): Promise<void> {
    if (this.closed) return
    if (!this.committed) {
      if (this.tmp) await unlink(this.tmp).catch(() => undefined)
      this.tmp = null
      // The backup is a copy of a file that is still in place unchanged: drop it with the attempt.
      await unlink(join(this.dir, this.backup)).catch(() => undefined)
    }
    await this.close()
  }

  /** After commit: the after-checks (4e, the rename witness) and pruning; releases the file. */
  async finish(): Promise<WriteResult> {
    if (!this.committed) throw new Error('StagedWrite: finish() before commit()')
    const { dir, target, live, orig, baseHash, warnings } = this
    const clock = this.opts.clock ?? (() => new Date())
    let outsideEditKept: string | null = null
    let outsideEditLost = false
    try {
      if (this.mode === 'atomic') {
        // 4e. Did an in-place edit land in X between 4b and the rename? Then X holds it: keep it.
        try {
          const after = await readWhole(live)
          if (sha256(after) !== baseHash) {
            outsideEditKept = this.side
              ? await linkAsBackup(dir, target, this.side, clock())
              : await writeBackup(dir, target, after, orig, clock())
            await live.sync().catch(() => undefined)
            await fsyncDirectory(dir).catch(() => undefined)
            warnings.push(
              `another program wrote ${target} while it was being replaced; its edit (sha256 ${sha256(after).slice(0, 12)}) is kept in backup ${outsideEditKept}: compare it with the saved file`,
            )
          }
        } catch (err) {
          // The save itself is done; say that the window check could not be completed rather than fail it.
          warnings.push(`could not check ${target} for an edit made during the save: ${errText(err)}; the replaced file is ${this.side ?? 'gone'}`)
          this.side = null // keep the side link: it may hold that edit, and the next clean-up will judge it
        }
        // A rename-replace between 4c and 4d: no stat sees it, the directory's event order does.
        if (this.witness && this.renamed) {
          const verdict = await this.witness.replacedBetween(this.renamed.side, this.renamed.tmp).catch(() => null)
          if (verdict) {
            outsideEditLost = true
            warnings.push(
              `another program replaced ${target} by rename in the instant before this save's own rename; that edit was overwritten and cannot be recovered (POSIX has no compare-and-swap rename): check with whoever edits this file`,
            )
          }
        }
      } else {
        warnings.push(`${target} was rewritten in place (settings config.singleFileMounts = write-in-place): not crash-atomic; backup ${this.backup}`)
      }
      let pruned: string[] = []
      try {
        pruned = await pruneBackups(target, this.opts.keepBackups, [this.backup, ...(outsideEditKept ? [outsideEditKept] : [])])
      } catch (err) {
        warnings.push(`could not prune old backups: ${errText(err)}`)
      }
      return { backup: this.backup, hash: this.hash, pruned, warnings, outsideEditKept, outsideEditLost }
    } finally {
      await this.close()
    }
  }

  private async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.witness?.close()
    await this.live.close().catch(() => undefined)
    if (this.side) await unlink(this.side).catch(() => undefined)
    this.release()
  }
}

/**
 * Back up the current file and atomically replace it with `newText`, if and only if the file still
 * hashes to `baseHash`. Throws conflict / not_found / io_error; the original is intact on any throw.
 * An outside edit that lands in the check-and-rename window is kept in a backup and reported as
 * `outsideEditKept` (see the module comment for the one case that cannot be caught).
 */
export async function backupAndWrite(path: string, newText: string, baseHash: string, opts: WriteOptions): Promise<WriteResult> {
  const staged = await StagedWrite.stage(path, newText, baseHash, opts)
  await staged.commit()
  return staged.finish()
}
