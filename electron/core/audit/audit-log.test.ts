import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AuditRecordT } from '../api/contract/audit'
import { isCoreError } from '../errors'
import { AuditLog, type AuditEntry } from './audit-log'
import { readLinesBackward, readLinesForward } from './line-reader'

let dir: string
let file: string
const logs: AuditLog[] = []
const newLog = (opts: Partial<ConstructorParameters<typeof AuditLog>[0]> = {}) => {
  const l = new AuditLog({ path: file, ...opts })
  logs.push(l)
  return l
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stackdeck-audit-'))
  file = join(dir, 'state', 'audit.jsonl')
})
afterEach(async () => {
  for (const l of logs.splice(0)) await l.close()
  await rm(dir, { recursive: true, force: true })
})

const entry = (over: Partial<AuditEntry> = {}): AuditEntry => ({
  who: 'alice',
  door: 'http',
  action: 'stack.pause',
  outcome: 'ok',
  ...over,
})

async function fileLines(): Promise<string[]> {
  const text = await readFile(file, 'utf8')
  return text.split('\n').filter((l) => l !== '')
}

describe('AuditLog append', () => {
  it('writes one JSON line per record with at and an increasing seq', async () => {
    const log = newLog()
    const a = await log.append(entry({ target: 'service:scanner', reason: 'lunch', detail: { n: 1 } }))
    const b = await log.append(entry({ action: 'config.save', outcome: 'failed', configDiffHash: 'abc' }))
    expect(a.seq).toBe(1)
    expect(b.seq).toBe(2)
    expect(new Date(a.at).toISOString()).toBe(a.at)
    const lines = await fileLines()
    expect(lines).toHaveLength(2)
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      seq: 1,
      at: a.at,
      who: 'alice',
      door: 'http',
      action: 'stack.pause',
      target: 'service:scanner',
      reason: 'lunch',
      outcome: 'ok',
      detail: { n: 1 },
    })
    expect(JSON.parse(lines[1] ?? '')).toMatchObject({
      seq: 2,
      action: 'config.save',
      outcome: 'failed',
      configDiffHash: 'abc',
    })
  })

  it('continues the seq of an existing file after a restart', async () => {
    const first = newLog()
    await first.append(entry())
    await first.append(entry())
    await first.close()
    const second = newLog()
    expect((await second.append(entry())).seq).toBe(3)
    expect(second.info().lastSeq).toBe(3)
  })

  it('rejects entries without who/action or with an unknown door or outcome', async () => {
    const log = newLog()
    for (const bad of [
      entry({ who: '' }),
      entry({ action: '' }),
      entry({ door: 'mail' as never }),
      entry({ outcome: 'meh' as never }),
    ]) {
      const err: unknown = await log.append(bad).catch((e: unknown) => e)
      expect(isCoreError(err) && err.code).toBe('invalid_input')
    }
    expect((await log.append(entry())).seq).toBe(1)
  })

  it('never interleaves 1,000 concurrent appends', async () => {
    const log = newLog()
    const reason = 'x'.repeat(300)
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        log.append(entry({ who: `user-${i}`, reason, detail: { i, pad: 'é€😀'.repeat(20) } })),
      ),
    )
    const lines = await fileLines()
    expect(lines).toHaveLength(1000)
    const parsed = lines.map((l) => JSON.parse(l) as AuditRecordT)
    const seqs = parsed.map((r) => r.seq)
    expect(new Set(seqs).size).toBe(1000)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    // Every caller got back exactly the record that is on disk.
    const bySeq = new Map(parsed.map((r) => [r.seq, r]))
    for (const r of results) expect(bySeq.get(r.seq)).toEqual(r)
    expect(new Set(parsed.map((r) => r.who)).size).toBe(1000)
  })

  it('reports durable records to onAppend', async () => {
    const seen: number[] = []
    const log = newLog({ onAppend: (r) => seen.push(r.seq) })
    await log.append(entry())
    await log.append(entry())
    expect(seen).toEqual([1, 2])
  })

  it('replaces an oversized detail with a preview and keeps the record', async () => {
    const log = newLog({ maxLineBytes: 2048 })
    const r = await log.append(entry({ detail: { blob: 'z'.repeat(10_000) } }))
    const [line] = await fileLines()
    expect(Buffer.byteLength(line ?? '')).toBeLessThanOrEqual(2048)
    expect(JSON.parse(line ?? '')).toMatchObject({
      seq: r.seq,
      action: 'stack.pause',
      detail: { truncated: true },
    })
  })

  it('reopens the file after a failed write', async () => {
    const log = newLog()
    await log.append(entry())
    // Pull the descriptor out from under it, as a vanished disk or a closed fd would.
    await (log as unknown as { fd: { close(): Promise<void> } }).fd.close()
    const err: unknown = await log.append(entry({ who: 'lost' })).catch((e: unknown) => e)
    expect(isCoreError(err) && err.code).toBe('io_error')
    const again = await log.append(entry({ who: 'bob' }))
    expect(again.seq).toBe(2)
    const parsed = (await fileLines()).map((l) => JSON.parse(l) as AuditRecordT)
    expect(parsed.map((r) => r.who)).toEqual(['alice', 'bob'])
  })

  it('writes appends queued before close, then refuses appends and queries', async () => {
    const log = newLog()
    const pending = [log.append(entry({ who: 'first' })), log.append(entry({ who: 'second' }))]
    await log.close()
    await expect(Promise.all(pending)).resolves.toHaveLength(2)
    expect((await fileLines()).map((l) => (JSON.parse(l) as AuditRecordT).who)).toEqual(['first', 'second'])
    await expect(log.append(entry())).rejects.toThrow(/closed/)
    await expect(log.query({})).rejects.toThrow(/closed/)
  })
})

describe('AuditLog torn lines', () => {
  const line = (seq: number, action = 'stack.pause') =>
    JSON.stringify({
      seq,
      at: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
      who: 'w',
      door: 'ipc',
      action,
      outcome: 'ok',
    })

  it('skips a torn trailing line and starts the next record on a fresh line', async () => {
    const { mkdir } = await import('node:fs/promises')
    await mkdir(join(dir, 'state'), { recursive: true })
    await writeFile(file, `${line(1)}\n${line(2)}\n${line(3)}\n{"seq":4,"at":"2025-01-01T00:0`)
    const log = newLog()
    const page = await log.query({})
    expect(page.records.map((r) => r.seq)).toEqual([1, 2, 3])
    const r = await log.append(entry())
    expect(r.seq).toBe(4)
    expect(log.info().repairedTornLines).toBe(1)
    const text = await readFile(file, 'utf8')
    expect(text.endsWith('\n')).toBe(true)
    // The fragment stays (it is evidence) but on a line of its own.
    expect(text.split('\n')).toContain('{"seq":4,"at":"2025-01-01T00:0')
    expect((await log.query({})).records.map((x) => x.seq)).toEqual([1, 2, 3, 4])
  })

  it('keeps a complete record that only lost its newline', async () => {
    const { mkdir } = await import('node:fs/promises')
    await mkdir(join(dir, 'state'), { recursive: true })
    await writeFile(file, `${line(1)}\n${line(2)}`)
    const log = newLog()
    expect((await log.append(entry())).seq).toBe(3)
    expect((await log.query({})).records.map((x) => x.seq)).toEqual([1, 2, 3])
  })

  it('ignores garbage lines in the middle of the file', async () => {
    const { mkdir } = await import('node:fs/promises')
    await mkdir(join(dir, 'state'), { recursive: true })
    await writeFile(file, `${line(1)}\nnot json\n\n{"half":\n${line(2)}\n`)
    const log = newLog()
    expect((await log.query({})).records.map((x) => x.seq)).toEqual([1, 2])
    expect((await log.query({ since: 0 })).records.map((x) => x.seq)).toEqual([1, 2])
  })
})

describe('AuditLog query', () => {
  async function seeded() {
    const log = newLog()
    const plan: AuditEntry[] = [
      entry({ who: 'alice', action: 'stack.pause', target: 'stack' }),
      entry({ who: 'bob', action: 'stack.resume', door: 'ws' }),
      entry({ who: 'alice', action: 'bus.killswitch.engage', outcome: 'partial', reason: 'spike' }),
      entry({ who: 'cron', action: 'schedule.override', door: 'scheduler' }),
      entry({ who: 'bob', action: 'bus.killswitch.release', outcome: 'refused' }),
      entry({ who: 'alice', action: 'bus.killswitchy', outcome: 'ok' }),
      entry({ who: 'alice', action: 'config.save', outcome: 'failed' }),
    ]
    for (const e of plan) await log.append(e)
    return log
  }

  it('returns the newest records, oldest first, with a cursor to follow', async () => {
    const log = await seeded()
    const page = await log.query({ limit: 3 })
    expect(page.records.map((r) => r.seq)).toEqual([5, 6, 7])
    expect(page.more).toBe(true)
    expect(page.nextCursor).toBe(7)
    expect(page.lastSeq).toBe(7)
    await log.append(entry({ who: 'dave' }))
    const follow = await log.query({ since: page.nextCursor })
    expect(follow.records.map((r) => r.who)).toEqual(['dave'])
    expect(follow.nextCursor).toBe(8)
  })

  it('filters by action (exact or dot prefix), who, outcome, door', async () => {
    const log = await seeded()
    expect((await log.query({ action: 'bus.killswitch' })).records.map((r) => r.seq)).toEqual([3, 5])
    expect((await log.query({ action: 'stack.pause' })).records.map((r) => r.seq)).toEqual([1])
    expect((await log.query({ action: 'stack' })).records.map((r) => r.seq)).toEqual([1, 2])
    expect((await log.query({ who: 'bob' })).records.map((r) => r.seq)).toEqual([2, 5])
    expect((await log.query({ outcome: 'refused' })).records.map((r) => r.seq)).toEqual([5])
    expect((await log.query({ who: 'alice', action: 'bus' })).records.map((r) => r.seq)).toEqual([3, 6])
    expect((await log.query({ who: 'nobody' })).records).toEqual([])
    // Door: entry() is http unless it says otherwise.
    expect((await log.query({ door: 'ws' })).records.map((r) => r.seq)).toEqual([2])
    expect((await log.query({ door: 'scheduler' })).records.map((r) => r.seq)).toEqual([4])
    expect((await log.query({ door: 'http', who: 'bob' })).records.map((r) => r.seq)).toEqual([5])
    expect((await log.query({ door: 'ipc' })).records).toEqual([])
  })

  it('filters by time range', async () => {
    const log = newLog()
    await log.append(entry({ who: 'early' }))
    await new Promise((r) => setTimeout(r, 20))
    const mid = new Date().toISOString()
    await new Promise((r) => setTimeout(r, 20))
    await log.append(entry({ who: 'late' }))
    expect((await log.query({ from: mid })).records.map((r) => r.who)).toEqual(['late'])
    expect((await log.query({ to: mid })).records.map((r) => r.who)).toEqual(['early'])
    await expect(log.query({ from: 'yesterday' })).rejects.toThrow(/from/)
  })

  it('pages forward from a cursor with filters, the same reading backwards or forwards', async () => {
    const back = await seeded()
    const fwd = newLog({ backwardWindow: -1 })
    for (const q of [{}, { action: 'bus' }, { who: 'alice' }, { outcome: 'ok' as const }]) {
      for (let since = 0; since <= 8; since++) {
        for (const limit of [1, 2, 10]) {
          const a = await back.query({ ...q, since, limit })
          const b = await fwd.query({ ...q, since, limit })
          expect(b).toEqual(a)
        }
      }
    }
    // Walking a filter to the end visits each match once.
    const seen: number[] = []
    let cursor = 0
    for (;;) {
      const p = await fwd.query({ since: cursor, limit: 1, who: 'alice' })
      seen.push(...p.records.map((r) => r.seq))
      cursor = p.nextCursor
      if (!p.more) break
    }
    expect(seen).toEqual([1, 3, 6, 7])
    expect(cursor).toBe(7)
  })

  it('answers quickly on a 100k-line file', async () => {
    const { mkdir } = await import('node:fs/promises')
    await mkdir(join(dir, 'state'), { recursive: true })
    const t0 = Date.UTC(2025, 0, 1)
    const chunks: string[] = []
    for (let i = 1; i <= 100_000; i++) {
      const rec = {
        seq: i,
        at: new Date(t0 + i * 1000).toISOString(),
        who: i % 1000 === 0 ? 'rare' : 'bot',
        door: 'http',
        action: i % 2 ? 'stack.pause' : 'stack.resume',
        target: 'stack',
        outcome: 'ok',
        detail: { input: { reason: 'routine maintenance window' }, ms: 12 },
      }
      chunks.push(JSON.stringify(rec))
    }
    await writeFile(file, chunks.join('\n') + '\n')
    const log = newLog()
    const started = Date.now()
    const newest = await log.query({ limit: 50 })
    expect(newest.records.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 99_951 + i))
    expect((await log.query({ since: 99_990 })).records).toHaveLength(10)
    const far = await log.query({ since: 10, limit: 5 })
    expect(far.records.map((r) => r.seq)).toEqual([11, 12, 13, 14, 15])
    const rare = await log.query({ who: 'rare', limit: 500 })
    expect(rare.records).toHaveLength(100)
    const r = await log.append(entry())
    expect(r.seq).toBe(100_001)
    // Generous bound for a shared 2-core machine; a full parse per query would be far slower.
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})

describe('line readers', () => {
  it('agree with each other for any chunk size, multibyte text included, and drop an unterminated tail', async () => {
    const { mkdir } = await import('node:fs/promises')
    await mkdir(join(dir, 'state'), { recursive: true })
    const lines = ['a', 'ßé€😀 text', '', 'x'.repeat(100), '{"k":"v"}', '😀😀😀']
    await writeFile(file, lines.join('\n') + '\n')
    await appendFile(file, 'torn-tail')
    const expected = lines.filter((l) => l !== '')
    for (const chunk of [1, 2, 3, 5, 7, 64, 4096]) {
      const fwd: string[] = []
      for await (const l of readLinesForward(file, chunk)) fwd.push(l)
      const back: string[] = []
      for await (const l of readLinesBackward(file, chunk)) back.push(l)
      expect(fwd).toEqual(expected)
      expect(back).toEqual([...expected].reverse())
    }
  })

  it('yields nothing for a missing file or a file without any newline', async () => {
    const none: string[] = []
    for await (const l of readLinesBackward(join(dir, 'missing'))) none.push(l)
    await writeFile(join(dir, 'one'), 'no newline at all')
    for await (const l of readLinesBackward(join(dir, 'one'))) none.push(l)
    for await (const l of readLinesForward(join(dir, 'one'))) none.push(l)
    expect(none).toEqual([])
  })
})
