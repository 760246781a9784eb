import { mkdir, open, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import { CoreError } from '../errors'
import {
  AUDIT_DOORS,
  AUDIT_OUTCOMES,
  type AuditPageT,
  type AuditQueryT,
  type AuditRecordT,
} from '../api/contract/audit'
import { lastByte, readLinesBackward, readLinesForward } from './line-reader'

/**
 * The audit log: one JSON object per line in an append-only file.
 *
 * Durability: `append` resolves only after the line is written with O_APPEND and fsynced, so a
 * caller that was told "done" can rely on the record surviving a crash or power loss. Writes go
 * through one serial writer; appends that arrive while a write is in flight are committed
 * together (one write, one fsync), which keeps lines whole and bursts cheap.
 *
 * Crash tolerance: a crash mid-write can leave an unterminated last line. On open we end it with
 * a newline so later records start on a line of their own; readers skip lines that are not
 * records. Nothing is ever truncated: this is evidence.
 *
 * One writer process per file: seq is unique within a process and continues from the file's
 * last record on open.
 */

export type AuditEntry = Omit<AuditRecordT, 'seq' | 'at'>

export interface AuditSink {
  append(entry: AuditEntry): Promise<AuditRecordT>
}

export interface AuditLogOptions {
  path: string
  /** Called once a record is durable; the composition root forwards it as `audit.appended`. */
  onAppend?: (record: AuditRecordT) => void
  /** Longest line written; a larger `detail` is replaced by a preview. */
  maxLineBytes?: number
  /** A cursor at most this far behind the newest record is served by reading backwards. */
  backwardWindow?: number
}

export interface AuditLogInfo {
  path: string
  lastSeq: number
  /** Unterminated lines found (and closed off) when the file was opened. */
  repairedTornLines: number
}

const MAX_LIMIT = 500
const DEFAULT_LIMIT = 100
const FIELD_MAX = { who: 200, action: 200, target: 1000, reason: 2000, configDiffHash: 200 } as const
const DOORS: ReadonlySet<string> = new Set(AUDIT_DOORS)
const OUTCOMES: ReadonlySet<string> = new Set(AUDIT_OUTCOMES)

interface Pending {
  entry: AuditEntry
  resolve: (r: AuditRecordT) => void
  reject: (e: unknown) => void
}

const clip = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}\u2026`)

function checkEntry(e: AuditEntry): AuditEntry {
  if (typeof e.who !== 'string' || e.who === '')
    throw new CoreError('invalid_input', 'audit: who is required', { path: '/who' })
  if (typeof e.action !== 'string' || e.action === '')
    throw new CoreError('invalid_input', 'audit: action is required', { path: '/action' })
  if (!DOORS.has(e.door))
    throw new CoreError('invalid_input', `audit: unknown door ${String(e.door)}`, { path: '/door' })
  if (!OUTCOMES.has(e.outcome))
    throw new CoreError('invalid_input', `audit: unknown outcome ${String(e.outcome)}`, { path: '/outcome' })
  // Fixed key order keeps the file readable with grep and diff.
  const ordered: AuditEntry = {
    who: clip(e.who, FIELD_MAX.who),
    door: e.door,
    action: clip(e.action, FIELD_MAX.action),
  } as AuditEntry
  if (typeof e.target === 'string') ordered.target = clip(e.target, FIELD_MAX.target)
  if (typeof e.reason === 'string') ordered.reason = clip(e.reason, FIELD_MAX.reason)
  ordered.outcome = e.outcome
  if (e.detail !== undefined) ordered.detail = e.detail
  if (typeof e.configDiffHash === 'string')
    ordered.configDiffHash = clip(e.configDiffHash, FIELD_MAX.configDiffHash)
  return ordered
}

function serialize(record: AuditRecordT, maxBytes: number): string {
  let line: string
  try {
    line = JSON.stringify(record)
  } catch {
    // A detail that cannot be serialized (cycle, BigInt) must not cost us the record itself.
    line = JSON.stringify({ ...record, detail: { unserializable: true } })
  }
  if (Buffer.byteLength(line) <= maxBytes) return line
  const detailText = JSON.stringify(record.detail) ?? ''
  return JSON.stringify({
    ...record,
    detail: { truncated: true, bytes: Buffer.byteLength(detailText), preview: detailText.slice(0, 1000) },
  })
}

function parseRecord(line: string): AuditRecordT | null {
  if (!line.startsWith('{')) return null
  try {
    const v = JSON.parse(line) as Partial<AuditRecordT> | null
    if (!v || typeof v.seq !== 'number' || typeof v.at !== 'string' || typeof v.action !== 'string')
      return null
    return v as AuditRecordT
  } catch {
    return null
  }
}

function timeBound(value: string | undefined, name: string): number | null {
  if (value === undefined) return null
  const t = Date.parse(value)
  if (Number.isNaN(t))
    throw new CoreError('invalid_input', `audit.query: ${name} is not a date-time`, { path: `/${name}` })
  return t
}

function matcher(q: AuditQueryT): { line: (l: string) => boolean; record: (r: AuditRecordT) => boolean } {
  const from = timeBound(q.from, 'from')
  const to = timeBound(q.to, 'to')
  const { action, who, outcome, door } = q
  return {
    // Cheap substring pre-filter so a filtered scan does not JSON.parse every line.
    line: (l) =>
      (action === undefined || l.includes(action)) &&
      (who === undefined || l.includes(JSON.stringify(who).slice(1, -1))),
    record: (r) => {
      if (action !== undefined && r.action !== action && !r.action.startsWith(`${action}.`)) return false
      if (who !== undefined && r.who !== who) return false
      if (outcome !== undefined && r.outcome !== outcome) return false
      if (door !== undefined && r.door !== door) return false
      if (from !== null || to !== null) {
        const t = Date.parse(r.at)
        if (from !== null && !(t >= from)) return false
        if (to !== null && !(t <= to)) return false
      }
      return true
    },
  }
}

export class AuditLog implements AuditSink {
  readonly path: string
  private readonly onAppend: ((r: AuditRecordT) => void) | undefined
  private readonly maxLineBytes: number
  private readonly backwardWindow: number
  private fd: FileHandle | null = null
  private opening: Promise<void> | null = null
  private lastSeq = 0
  private repaired = 0
  private queue: Pending[] = []
  private draining: Promise<void> | null = null
  private closed = false

  constructor(opts: AuditLogOptions) {
    this.path = opts.path
    this.onAppend = opts.onAppend
    this.maxLineBytes = opts.maxLineBytes ?? 64 * 1024
    this.backwardWindow = opts.backwardWindow ?? 5_000
  }

  /** Opens the file (repairing a torn tail) and learns the last seq. Called lazily; idempotent. */
  open(): Promise<void> {
    if (this.closed) return Promise.reject(new CoreError('unavailable', 'audit log is closed'))
    return this.openFile()
  }

  // The writer uses this directly: appends queued before close() are still written.
  private openFile(): Promise<void> {
    if (this.fd) return Promise.resolve()
    this.opening ??= this.doOpen().finally(() => {
      this.opening = null
    })
    return this.opening
  }

  private async doOpen(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true })
    const fd = await open(this.path, 'a', 0o600)
    try {
      const last = await lastByte(this.path)
      if (last !== null && last !== 0x0a) {
        await fd.write('\n')
        await fd.sync()
        this.repaired++
      }
      for await (const line of readLinesBackward(this.path)) {
        const r = parseRecord(line)
        if (!r) continue
        // Never go backwards, even if the file was swapped under us.
        this.lastSeq = Math.max(this.lastSeq, r.seq)
        break
      }
    } catch (err) {
      await fd.close().catch(() => undefined)
      throw err
    }
    this.fd = fd
  }

  info(): AuditLogInfo {
    return { path: this.path, lastSeq: this.lastSeq, repairedTornLines: this.repaired }
  }

  async append(entry: AuditEntry): Promise<AuditRecordT> {
    if (this.closed) throw new CoreError('unavailable', 'audit log is closed')
    const checked = checkEntry(entry)
    return new Promise<AuditRecordT>((resolve, reject) => {
      this.queue.push({ entry: checked, resolve, reject })
      this.kick()
    })
  }

  private kick(): void {
    if (this.draining) return
    this.draining = this.drain().finally(() => {
      this.draining = null
      // An append may have queued between the loop's last check and here.
      if (this.queue.length > 0) this.kick()
    })
  }

  /** The single writer: takes everything queued, writes it as one buffer, fsyncs, resolves. */
  private async drain(): Promise<void> {
    // Let appends made in the same tick join the first batch.
    await Promise.resolve()
    while (this.queue.length > 0) {
      const batch = this.queue
      this.queue = []
      try {
        await this.openFile()
        const fd = this.fd
        if (!fd) throw new Error('audit log did not open')
        const at = new Date().toISOString()
        const records = batch.map((p, i) => ({ seq: this.lastSeq + 1 + i, at, ...p.entry }))
        const text = records.map((r) => serialize(r, this.maxLineBytes) + '\n').join('')
        const buf = Buffer.from(text, 'utf8')
        let done = 0
        while (done < buf.length) {
          const { bytesWritten } = await fd.write(buf, done, buf.length - done)
          done += bytesWritten
        }
        await fd.sync()
        this.lastSeq += records.length
        batch.forEach((p, i) => {
          const r = records[i] as AuditRecordT
          p.resolve(r)
          try {
            this.onAppend?.(r)
          } catch {
            // A failing listener must not turn a durable record into a reported failure.
          }
        })
      } catch (err) {
        // Drop the descriptor: the next append reopens, closing off any half-written line.
        const fd = this.fd
        this.fd = null
        await fd?.close().catch(() => undefined)
        const e = new CoreError('io_error', `audit log write failed: ${(err as Error).message}`, {
          cause: err,
        })
        for (const p of batch) p.reject(e)
      }
    }
  }

  async query(q: AuditQueryT = {}): Promise<AuditPageT> {
    const limit = Math.min(Math.max(Math.trunc(q.limit ?? DEFAULT_LIMIT), 1), MAX_LIMIT)
    const match = matcher(q)
    await this.open()
    const since = q.since
    if (since === undefined) return this.newest(limit, match)
    if (this.lastSeq - since <= this.backwardWindow) return this.afterBackward(since, limit, match)
    return this.afterForward(since, limit, match)
  }

  private async newest(limit: number, match: ReturnType<typeof matcher>): Promise<AuditPageT> {
    const found: AuditRecordT[] = []
    let newestSeen: number | null = null
    let more = false
    for await (const line of readLinesBackward(this.path)) {
      if (newestSeen !== null && !match.line(line)) continue
      const r = parseRecord(line)
      if (!r) continue
      newestSeen ??= r.seq
      if (!match.record(r)) continue
      if (found.length === limit) {
        more = true
        break
      }
      found.push(r)
    }
    found.reverse()
    const lastSeq = Math.max(newestSeen ?? 0, this.lastSeq)
    return { records: found, nextCursor: newestSeen ?? 0, more, lastSeq }
  }

  private async afterBackward(
    since: number,
    limit: number,
    match: ReturnType<typeof matcher>,
  ): Promise<AuditPageT> {
    const found: AuditRecordT[] = []
    let newestSeen: number | null = null
    for await (const line of readLinesBackward(this.path)) {
      const r = parseRecord(line)
      if (!r) continue
      newestSeen ??= r.seq
      if (r.seq <= since) break
      if (match.record(r)) found.push(r)
    }
    found.reverse()
    const more = found.length > limit
    const records = more ? found.slice(0, limit) : found
    const nextCursor = more
      ? (records[records.length - 1] as AuditRecordT).seq
      : Math.max(since, newestSeen ?? since)
    return { records, nextCursor, more, lastSeq: Math.max(newestSeen ?? 0, this.lastSeq) }
  }

  private async afterForward(
    since: number,
    limit: number,
    match: ReturnType<typeof matcher>,
  ): Promise<AuditPageT> {
    const records: AuditRecordT[] = []
    let lastRead = since
    let more = false
    for await (const line of readLinesForward(this.path)) {
      const r = parseRecord(line)
      if (!r || r.seq <= since) continue
      if (match.record(r)) {
        if (records.length === limit) {
          more = true
          break
        }
        records.push(r)
      }
      lastRead = Math.max(lastRead, r.seq)
    }
    const nextCursor = more ? (records[records.length - 1] as AuditRecordT).seq : lastRead
    return { records, nextCursor, more, lastSeq: Math.max(lastRead, this.lastSeq) }
  }

  /** Waits for queued appends, then closes the file. Later appends are refused. */
  async close(): Promise<void> {
    this.closed = true
    while (this.draining) await this.draining
    await this.opening?.catch(() => undefined)
    const fd = this.fd
    this.fd = null
    await fd?.close()
  }
}
