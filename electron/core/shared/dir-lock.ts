/**
 * An OS-level lock on a directory, held by a listening local socket rather than a lock file, so it
 * can never go stale: Node has no flock(2), and a native module would have to be rebuilt for every
 * Electron. The kernel owns the socket and closes it when the process dies, kill -9 included.
 *
 * - Linux: a socket in the abstract namespace (`\0stackdeck-<name>-<hash>`). No file exists, so
 *   there is nothing to clean up. The name is per network namespace: two containers with their own
 *   network namespaces sharing one state directory through a volume do NOT see each other's lock.
 *   Abstract names carry no permissions either: another local user could bind the name first; the
 *   refusal then names that process's pid, which says what to do.
 * - Windows: a named pipe (`\\.\pipe\stackdeck-<name>-<hash>`), released when its process exits.
 * - macOS (and any other Unix): a socket file in the directory. A dead holder leaves the file, so a
 *   starter that finds it probes it: a connection means held, ECONNREFUSED means stale. Taking over
 *   a stale file (unlink, bind) runs under an O_EXCL guard file, so two starters cannot both unlink
 *   and bind; a guard left by a process killed inside that window (a few milliseconds) is taken
 *   after GUARD_STALE_MS.
 *
 * The hash is of the directory's realpath, so two spellings of one directory (a symlink, `..`) are
 * one lock. The holder answers every connection with one JSON line saying who it is (pid, door,
 * URL, since when): the refused starter prints it. The answer holds no secret (never the token).
 */
import { createHash } from 'node:crypto'
import { closeSync, mkdirSync, openSync, realpathSync, statSync, unlinkSync } from 'node:fs'
import { createConnection, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** What the holder says about itself. `pid` and `startedAt` always; the rest as the holder knows it. */
export interface LockHolder {
  pid: number
  startedAt: string
  door?: string
  url?: string | null
  [key: string]: unknown
}

export type LockStrategy = 'abstract' | 'pipe' | 'socket-file'

export interface DirLockOptions {
  /** Default: the platform's (abstract on Linux, pipe on Windows, socket-file elsewhere). */
  strategy?: LockStrategy
  /** How long to wait for a holder to say who it is before calling it unknown. */
  probeTimeoutMs?: number
  /** Create the directory when it is missing (a state directory); otherwise a missing one is an error. */
  create?: boolean
}

export interface HeldDirLock {
  /** The socket address (or file) that is the lock. */
  readonly address: string
  readonly holder: Readonly<LockHolder>
  /** Changes what the lock answers (e.g. the URL, once the host listens). */
  update(info: Partial<LockHolder>): void
  release(): Promise<void>
}

export type DirLockResult =
  | { acquired: true; lock: HeldDirLock }
  /** `holder` is null when something holds the lock but did not say who within the probe timeout. */
  | { acquired: false; holder: LockHolder | null; address: string }

const GUARD_STALE_MS = 10_000
/** Unix socket paths are limited to 104 bytes on macOS (108 on Linux). */
const MAX_SOCKET_PATH = 100

export function defaultStrategy(platform: NodeJS.Platform = process.platform): LockStrategy {
  if (platform === 'linux') return 'abstract'
  if (platform === 'win32') return 'pipe'
  return 'socket-file'
}

/** The directory's realpath: a lock must name one directory, not one spelling of it. */
function canonicalDir(dir: string, create: boolean): string {
  if (create) mkdirSync(dir, { recursive: true })
  let real: string
  try {
    real = realpathSync(dir)
  } catch (err) {
    throw new Error(`Cannot lock ${dir}: ${(err as Error).message}`, { cause: err })
  }
  // NTFS and APFS (by default) ignore case: C:\State and c:\state are one directory.
  return process.platform === 'win32' || process.platform === 'darwin' ? real.toLowerCase() : real
}

export function lockAddress(dir: string, name: string, strategy: LockStrategy = defaultStrategy(), create = false): string {
  const real = canonicalDir(dir, create)
  const key = `stackdeck-${name}-${createHash('sha256').update(real).digest('hex').slice(0, 32)}`
  if (strategy === 'abstract') return `\0${key}`
  if (strategy === 'pipe') return `\\\\.\\pipe\\${key}`
  const inDir = join(realpathSync(dir), `.${name}.lock.sock`)
  return Buffer.byteLength(inDir) <= MAX_SOCKET_PATH ? inDir : join(tmpdir(), `${key}.sock`)
}

/** Printable form of an address (an abstract name starts with a NUL byte). */
export const printableAddress = (address: string): string => (address.startsWith('\0') ? `@${address.slice(1)}` : address)

/**
 * Takes the lock named `name` on `dir`, or says who holds it. Never throws for "held"; throws only
 * when the lock cannot be tried at all (the directory cannot be created, a socket error other than
 * "in use").
 */
export async function acquireDirLock(dir: string, name: string, holder: LockHolder, opts: DirLockOptions = {}): Promise<DirLockResult> {
  const strategy = opts.strategy ?? defaultStrategy()
  const address = lockAddress(dir, name, strategy, opts.create ?? false)
  const probeTimeoutMs = opts.probeTimeoutMs ?? 2000
  let info: LockHolder = { ...holder }
  const server = createServer((sock) => {
    sock.on('error', () => undefined)
    sock.end(`${JSON.stringify(info)}\n`)
  })
  // The lock must never keep a process alive that has nothing else to do.
  server.unref()

  for (let attempt = 0; attempt < 20; attempt++) {
    const err = await listen(server, address)
    if (!err) return { acquired: true, lock: held(server, address, strategy, () => info, (i) => (info = { ...info, ...i })) }
    if (err.code !== 'EADDRINUSE') throw new Error(`Cannot take the ${name} lock on ${dir} (${printableAddress(address)}): ${err.message}`)
    const probe = await probeHolder(address, probeTimeoutMs)
    if (probe.state === 'held') return { acquired: false, holder: probe.holder, address }
    // Nobody answers: the holder is gone. An abstract name or a pipe is free again by now (it was
    // closing as we tried); a socket file is left behind and must be taken over.
    if (strategy === 'socket-file') await takeOverStaleFile(address, probeTimeoutMs)
    else await sleep(25)
  }
  throw new Error(`Cannot take the ${name} lock on ${dir} (${printableAddress(address)}): it kept changing hands`)
}

function listen(server: Server, address: string): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      resolve(err)
    }
    const onListening = () => {
      server.off('error', onError)
      resolve(null)
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(address)
  })
}

type Probe = { state: 'held'; holder: LockHolder | null } | { state: 'free' }

/** Connects to the lock: an answer (or a connection that says nothing) means held; a refusal, free. */
export function probeHolder(address: string, timeoutMs: number): Promise<Probe> {
  return new Promise((resolve) => {
    let text = ''
    let connected = false
    const sock = createConnection(address)
    const done = (p: Probe) => {
      clearTimeout(timer)
      sock.destroy()
      resolve(p)
    }
    // A holder that is alive but stopped (SIGSTOP, a debugger) accepts in the kernel and never answers.
    const timer = setTimeout(() => done({ state: 'held', holder: parseHolder(text) }), timeoutMs)
    sock.setEncoding('utf8')
    sock.on('connect', () => (connected = true))
    sock.on('data', (d: string) => {
      text += d
      if (text.includes('\n')) done({ state: 'held', holder: parseHolder(text) })
    })
    sock.on('end', () => done({ state: 'held', holder: parseHolder(text) }))
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (connected) done({ state: 'held', holder: parseHolder(text) })
      else if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') done({ state: 'free' })
      else done({ state: 'held', holder: null })
    })
  })
}

function parseHolder(text: string): LockHolder | null {
  try {
    const v = JSON.parse(text.split('\n')[0] ?? '') as unknown
    if (v && typeof v === 'object' && typeof (v as LockHolder).pid === 'number') return v as LockHolder
  } catch {
    // Not JSON: something else holds the name; say "unknown holder" rather than guess.
  }
  return null
}

/** Removes a stale socket file, under a guard so two starters never both unlink and bind. */
async function takeOverStaleFile(path: string, probeTimeoutMs: number): Promise<void> {
  const guard = `${path}.takeover`
  let fd: number
  try {
    fd = openSync(guard, 'wx', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    // Another starter is taking over right now; or one died doing so, long ago.
    try {
      if (Date.now() - statSync(guard).mtimeMs > GUARD_STALE_MS) unlinkSync(guard)
    } catch {
      // Gone meanwhile: the other starter finished.
    }
    await sleep(50)
    return
  }
  try {
    // Inside the guard, the file can only have been rebound by a starter that held the guard before
    // us, so probe once more before unlinking.
    const again = await probeHolder(path, probeTimeoutMs)
    if (again.state === 'free') {
      try {
        unlinkSync(path)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
    }
  } finally {
    closeSync(fd)
    try {
      unlinkSync(guard)
    } catch {
      // Someone judged our guard stale and removed it: nothing left to do.
    }
  }
}

function held(server: Server, address: string, strategy: LockStrategy, info: () => LockHolder, update: (i: Partial<LockHolder>) => void): HeldDirLock {
  // Remember which socket file is ours: release must not unlink a file a later holder bound.
  const ino = strategy === 'socket-file' ? statSync(address).ino : null
  let released: Promise<void> | null = null
  return {
    address,
    get holder() {
      return info()
    },
    update,
    release() {
      released ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        if (ino !== null) {
          try {
            if (statSync(address).ino === ino) unlinkSync(address)
          } catch {
            // Already gone.
          }
        }
      })
      return released
    },
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** One line naming a holder, for refusals: `pid 4242 (headless, http://127.0.0.1:7420, since …)`. */
export function describeHolder(h: LockHolder | null): string {
  if (!h) return 'a process that did not say who it is'
  const parts = [h.door, h.url, `since ${h.startedAt}`].filter((p): p is string => typeof p === 'string' && p !== '')
  return `pid ${h.pid} (${parts.join(', ')})`
}
