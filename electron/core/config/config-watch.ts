/**
 * Notices when config.toml changes on disk under us (an editor, git pull, another Stackdeck).
 *
 * We watch the DIRECTORY, not the file: every durable save (ours or an editor's) renames a new
 * inode into place, and a watch on the old inode would go silent after the first one. Events are
 * debounced, then the content is hashed: only a hash different from the last known one is
 * reported, which also filters our own saves (the service tells us the new hash, and holds checks
 * while it writes). An optional slow poll covers filesystems where inotify says nothing (network
 * mounts, some Docker Desktop shares).
 */
import { watch, type FSWatcher } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { sha256 } from './config-writer'

export interface ConfigChangeEvent {
  hash: string
  text: string
  previousHash: string | null
}

export interface WatchOptions {
  /** Quiet time after the last event before the file is read; editors write in bursts. */
  debounceMs?: number
  /** Also re-check every N ms (0: never). */
  pollMs?: number
  /** Hash the caller already knows (e.g. from load); the first differing content is reported. */
  knownHash?: string | null
  onError?: (err: unknown) => void
}

export interface ConfigWatcher {
  /** Resolves once the initial hash is known and the watch is in place. */
  readonly ready: Promise<void>
  /** Record content we wrote ourselves so it is not reported back as an external change. */
  setKnownHash(hash: string | null): void
  /** Defer checks (e.g. while saving); call the returned function to resume. */
  hold(): () => void
  close(): void
}

export function watchConfig(path: string, onChange: (e: ConfigChangeEvent) => void, opts: WatchOptions = {}): ConfigWatcher {
  const dir = dirname(path)
  const name = basename(path)
  const debounceMs = opts.debounceMs ?? 150
  let known: string | null = opts.knownHash ?? null
  let closed = false
  let holds = 0
  let pending = false
  let running = false
  let again = false
  let timer: NodeJS.Timeout | null = null
  let poll: NodeJS.Timeout | null = null
  let retry: NodeJS.Timeout | null = null
  let fsw: FSWatcher | null = null

  const report = (err: unknown) => opts.onError?.(err)

  const schedule = () => {
    if (closed) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = null
      void check()
    }, debounceMs)
    timer.unref()
  }

  const check = async (): Promise<void> => {
    if (closed) return
    if (holds > 0) {
      pending = true
      return
    }
    if (running) {
      again = true
      return
    }
    running = true
    try {
      let bytes: Buffer
      try {
        bytes = await readFile(path)
      } catch (err) {
        // Mid-replace or deleted: the next event (or poll) will see the new file.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') report(err)
        return
      }
      const hash = sha256(bytes)
      if (holds > 0) {
        // A save started while we were reading: look again once it is done.
        pending = true
      } else if (hash !== known && !closed) {
        const previousHash = known
        known = hash
        onChange({ hash, text: bytes.toString('utf8'), previousHash })
      }
    } finally {
      running = false
      if (again) {
        again = false
        schedule()
      }
    }
  }

  const startWatch = () => {
    if (closed) return
    try {
      fsw = watch(dir, { persistent: false }, (_event, filename) => {
        // filename can be null on some platforms: then any change in the directory counts.
        if (!filename || filename.toString() === name) schedule()
      })
      fsw.on('error', (err) => {
        report(err)
        fsw?.close()
        fsw = null
        // The directory may be recreated (volume remount): try again shortly.
        retry = setTimeout(startWatch, 1000)
        retry.unref()
      })
    } catch (err) {
      report(err)
      retry = setTimeout(startWatch, 1000)
      retry.unref()
    }
  }

  const ready = (async () => {
    if (known === null) {
      try {
        known = sha256(await readFile(path))
      } catch {
        known = null
      }
    }
    startWatch()
    if (opts.pollMs && opts.pollMs > 0) {
      poll = setInterval(() => void check(), opts.pollMs)
      poll.unref()
    }
  })()

  return {
    ready,
    setKnownHash(hash) {
      known = hash
    },
    hold() {
      holds++
      let released = false
      return () => {
        if (released) return
        released = true
        holds--
        if (holds === 0 && pending) {
          pending = false
          schedule()
        }
      }
    },
    close() {
      closed = true
      for (const t of [timer, retry]) if (t) clearTimeout(t)
      if (poll) clearInterval(poll)
      fsw?.close()
      fsw = null
    },
  }
}
