import { readFile, rename } from 'node:fs/promises'
import { replaceFileDurably, reportOnce } from '../shared/durable-file'

/**
 * Restart bookkeeping that must survive a Stackdeck restart, so a process that comes back mid-backoff
 * resumes the schedule instead of restarting everything at once. Times are epoch ms of the
 * supervisor's (wall) clock.
 */
export interface ContainerBackoff {
  name: string
  /** Restarts made by Stackdeck since the last reset. */
  restarts: number
  consecutiveFailures: number
  lastRestartAt: number | null
  /** No restart before this time (backoff after a failed restart). */
  nextAttemptAt: number | null
  /** A restart succeeded but has not yet proved itself (healthy for the grace period). */
  awaitingVerdict: boolean
  /**
   * Set (and written) BEFORE a restart call, cleared after it. A process that dies mid-call leaves it
   * behind; the next process keeps its hands off the container until then.
   */
  inFlightUntil: number | null
  /** The audit log already says that the restart behind `inFlightUntil` was interrupted (say it once). */
  interruptNoted: boolean
}

export interface ServiceBackoff {
  failed: boolean
  failedAt: number | null
  failedReason: string | null
  restarts: number
  containers: Record<string, ContainerBackoff>
}

interface BackoffFile {
  version: 1
  savedAt: string
  services: Record<string, ServiceBackoff>
}

export const emptyService = (): ServiceBackoff => ({ failed: false, failedAt: null, failedReason: null, restarts: 0, containers: {} })

export const emptyContainer = (name: string): ContainerBackoff => ({
  name,
  restarts: 0,
  consecutiveFailures: 0,
  lastRestartAt: null,
  nextAttemptAt: null,
  awaitingVerdict: false,
  inFlightUntil: null,
  interruptNoted: false,
})

export class BackoffStore {
  private services: Record<string, ServiceBackoff> = {}
  private writing: Promise<void> | null = null
  private queued: Promise<void> | null = null
  private readonly reportDirSync: ReturnType<typeof reportOnce>

  /** `path` null: memory only (nothing survives a restart). */
  constructor(
    readonly path: string | null,
    private readonly log: (msg: string) => void = () => undefined,
  ) {
    this.reportDirSync = reportOnce((m) => this.log(`supervise: ${m}`))
  }

  async load(): Promise<void> {
    if (this.path === null) return
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    try {
      this.services = sanitize(JSON.parse(text))
    } catch (err) {
      // Keep the unreadable file for a human; supervision itself must still start.
      const aside = `${this.path}.corrupt-${Date.now()}`
      await rename(this.path, aside).catch(() => undefined)
      this.log(`supervise: backoff state ${this.path} unreadable (${String(err)}); moved to ${aside}, starting fresh`)
      this.services = {}
    }
  }

  service(name: string): ServiceBackoff {
    let s = this.services[name]
    if (!s) {
      s = emptyService()
      this.services[name] = s
    }
    return s
  }

  peekService(name: string): ServiceBackoff | undefined {
    return this.services[name]
  }

  container(service: string, id: string, name: string): ContainerBackoff {
    const s = this.service(service)
    let c = s.containers[id]
    if (!c) {
      c = emptyContainer(name)
      s.containers[id] = c
    }
    c.name = name
    return c
  }

  peekContainer(service: string, id: string): ContainerBackoff | undefined {
    return this.services[service]?.containers[id]
  }

  /** Forget containers that no longer exist; true when something was removed. */
  prune(service: string, present: ReadonlySet<string>): boolean {
    const s = this.services[service]
    if (!s) return false
    let changed = false
    for (const id of Object.keys(s.containers)) {
      if (!present.has(id)) {
        delete s.containers[id]
        changed = true
      }
    }
    return changed
  }

  /**
   * Forget failures and counters. A restart still in flight (by an earlier process) keeps its window:
   * a reset must never license a second restart on top of one under way.
   */
  reset(service: string, now: number): void {
    const old = this.services[service]
    const fresh = emptyService()
    for (const [id, c] of Object.entries(old?.containers ?? {})) {
      if (c.inFlightUntil !== null && c.inFlightUntil > now) {
        fresh.containers[id] = { ...emptyContainer(c.name), lastRestartAt: c.lastRestartAt, inFlightUntil: c.inFlightUntil, interruptNoted: c.interruptNoted }
      }
    }
    this.services[service] = fresh
  }

  /**
   * Persist the current state. Writes never overlap: a call during a write waits for one more write
   * that includes its changes (callers arriving meanwhile share it).
   */
  save(): Promise<void> {
    if (this.path === null) return Promise.resolve()
    if (this.queued) return this.queued
    if (!this.writing) {
      this.writing = this.writeNow().finally(() => (this.writing = null))
      return this.writing
    }
    const after = this.writing.catch(() => undefined)
    this.queued = after.then(() => {
      this.queued = null
      this.writing = this.writeNow().finally(() => (this.writing = null))
      return this.writing
    })
    return this.queued
  }

  private async writeNow(): Promise<void> {
    const path = this.path as string
    const doc: BackoffFile = { version: 1, savedAt: new Date().toISOString(), services: this.services }
    this.reportDirSync(await replaceFileDurably(path, JSON.stringify(doc, null, 2)))
  }
}

const int = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0)
const time = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null)
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {})

/** Accept only the fields we know, with sane types: the file is ours but may be hand-edited or torn. */
function sanitize(raw: unknown): Record<string, ServiceBackoff> {
  const doc = obj(raw)
  if (doc['version'] !== 1) throw new Error(`unsupported version ${JSON.stringify(doc['version'])}`)
  const out: Record<string, ServiceBackoff> = {}
  for (const [name, sv] of Object.entries(obj(doc['services']))) {
    const s = obj(sv)
    const containers: Record<string, ContainerBackoff> = {}
    for (const [id, cv] of Object.entries(obj(s['containers']))) {
      const c = obj(cv)
      containers[id] = {
        name: typeof c['name'] === 'string' ? c['name'] : id.slice(0, 12),
        restarts: int(c['restarts']),
        consecutiveFailures: int(c['consecutiveFailures']),
        lastRestartAt: time(c['lastRestartAt']),
        nextAttemptAt: time(c['nextAttemptAt']),
        awaitingVerdict: c['awaitingVerdict'] === true,
        inFlightUntil: time(c['inFlightUntil']),
        interruptNoted: c['interruptNoted'] === true,
      }
    }
    out[name] = {
      failed: s['failed'] === true,
      failedAt: time(s['failedAt']),
      failedReason: typeof s['failedReason'] === 'string' ? s['failedReason'] : null,
      restarts: int(s['restarts']),
      containers,
    }
  }
  return out
}
