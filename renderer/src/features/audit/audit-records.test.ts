import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  actionOptions,
  filtersToQuery,
  hasFilters,
  isoToLocalInput,
  localInputToIso,
  mergeRecords,
  NO_FILTERS,
  fetchOlder,
  prettyDetail,
  shortHash,
  type AuditPage,
  type AuditQuery,
  type AuditRecord,
} from './audit-records'

const rec = (seq: number, atMs: number, extra: Partial<AuditRecord> = {}): AuditRecord => ({
  seq,
  at: new Date(atMs).toISOString(),
  who: 'admin',
  door: 'ws',
  action: 'stack.pause',
  outcome: 'ok',
  ...extra,
})

const matches = (r: AuditRecord, q: AuditQuery) =>
  (!q.action || r.action === q.action || r.action.startsWith(`${q.action}.`)) &&
  (!q.who || r.who === q.who) &&
  (!q.outcome || r.outcome === q.outcome) &&
  (!q.door || r.door === q.door) &&
  (!q.to || Date.parse(r.at) <= Date.parse(q.to))

/**
 * Stand-in for AuditLog.query as the contract describes it. Without `since`: the newest `limit`
 * matches in file order, `more` when older matches exist. With `since`: matches after it, oldest
 * first, `nextCursor` = the last one returned when cut short, else the newest seq read.
 */
function server(log: AuditRecord[], calls: AuditQuery[] = []) {
  return async (q: AuditQuery): Promise<AuditPage> => {
    calls.push(q)
    const limit = q.limit ?? 100
    const lastSeq = log[log.length - 1]?.seq ?? 0
    const hits = log.filter((r) => matches(r, q))
    if (q.since === undefined) {
      const records = hits.slice(-limit)
      return { records, more: hits.length > limit, nextCursor: lastSeq, lastSeq }
    }
    const after = hits.filter((r) => r.seq > (q.since as number))
    const records = after.slice(0, limit)
    const more = after.length > limit
    return { records, more, nextCursor: more ? (records[records.length - 1] as AuditRecord).seq : Math.max(q.since, lastSeq), lastSeq }
  }
}

describe('fetchOlder', () => {
  it('pages back through the whole log exactly once, whatever the filters, gaps and timestamps', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom('stack.pause', 'stack.resume', 'config.save'), fc.integer({ min: -2, max: 2 })), { maxLength: 150 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom('', 'stack', 'config.save', 'stack.resume'),
        async (steps, pageSize, action) => {
          // Seq gaps (a repaired line) and a clock that repeats or steps back must not matter.
          let seq = 0
          let t = Date.UTC(2026, 0, 5, 9)
          const log = steps.map(([gap, a, dt]) => rec((seq += gap), (t += dt), { action: a }))
          const filters = { ...NO_FILTERS, action }
          const query = server(log)
          const want = log.filter((r) => matches(r, filtersToQuery(filters))).map((r) => r.seq).reverse()

          const first = await query({ ...filtersToQuery(filters), limit: pageSize })
          let held = [...first.records].reverse()
          let more = first.more
          for (let guard = 0; more && guard < 500; guard++) {
            const oldest = held[held.length - 1] as AuditRecord
            const page = await fetchOlder(query, oldest.seq, filters, pageSize)
            expect(page.records.every((r) => r.seq < oldest.seq)).toBe(true)
            if (page.more) expect(page.records).toHaveLength(pageSize)
            held = mergeRecords(held, page.records)
            more = page.more
          }
          expect(held.map((r) => r.seq)).toEqual(want)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('sends the door filter to the server, and only when it is set', () => {
    expect(filtersToQuery({ ...NO_FILTERS, door: 'scheduler' })).toEqual({ door: 'scheduler' })
    expect(filtersToQuery(NO_FILTERS)).toEqual({})
    expect(hasFilters({ ...NO_FILTERS, door: 'http' })).toBe(true)
  })

  it('needs one exact query without filters', async () => {
    const log = Array.from({ length: 1000 }, (_, i) => rec(i + 1, i))
    const calls: AuditQuery[] = []
    const page = await fetchOlder(server(log, calls), 901, NO_FILTERS, 100)
    expect(page.records.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 801 + i))
    expect(page.more).toBe(true)
    expect(calls).toEqual([{ since: 800, limit: 100 }])
  })

  it('keeps the filters on every query and reports the start of the log', async () => {
    const log = Array.from({ length: 50 }, (_, i) => rec(i + 1, i, { who: i % 10 === 0 ? 'ops' : 'admin' }))
    const calls: AuditQuery[] = []
    const page = await fetchOlder(server(log, calls), 45, { ...NO_FILTERS, who: 'ops' }, 10)
    expect(page.records.map((r) => r.seq)).toEqual([1, 11, 21, 31, 41])
    expect(page.more).toBe(false)
    expect(calls.every((q) => q.who === 'ops')).toBe(true)
  })
})

describe('mergeRecords', () => {
  it('keeps one row per seq, newest first', () => {
    const merged = mergeRecords([rec(3, 3), rec(1, 1)], [rec(2, 2), rec(3, 3, { reason: 'again' })])
    expect(merged.map((r) => r.seq)).toEqual([3, 2, 1])
    expect(merged[0]?.reason).toBe('again')
  })
})

describe('actionOptions', () => {
  it('lists seen actions with their dot prefixes as "all" groups, sorted', () => {
    expect(actionOptions(['stack.resume', 'bus.killswitch.engage', 'stack.pause'])).toEqual([
      { value: 'bus', label: 'bus.* (all)' },
      { value: 'bus.killswitch', label: 'bus.killswitch.* (all)' },
      { value: 'bus.killswitch.engage', label: 'bus.killswitch.engage' },
      { value: 'stack', label: 'stack.* (all)' },
      { value: 'stack.pause', label: 'stack.pause' },
      { value: 'stack.resume', label: 'stack.resume' },
    ])
  })

  it('keeps the selected action even when no record of it was seen', () => {
    expect(actionOptions([], 'config.save')).toEqual([{ value: 'config.save', label: 'config.save' }])
  })
})

describe('formatting', () => {
  it('shortens a config hash, dropping an algorithm prefix', () => {
    expect(shortHash('sha256:0123456789abcdef')).toBe('0123456789')
    expect(shortHash('fedcba9876543210')).toBe('fedcba9876')
    expect(shortHash(undefined)).toBe('')
  })

  it('round-trips the date inputs, a "to" without seconds covering its whole minute', () => {
    const from = localInputToIso('2026-03-02T09:30')
    expect(new Date(from).getSeconds()).toBe(0)
    expect(isoToLocalInput(from)).toBe('2026-03-02T09:30')
    const to = localInputToIso('2026-03-02T09:30', true)
    expect(new Date(to).getSeconds()).toBe(59)
    expect(new Date(to).getMilliseconds()).toBe(999)
    expect(isoToLocalInput(to)).toBe('2026-03-02T09:30')
    expect(isoToLocalInput(localInputToIso('2026-03-02T09:30:15', true))).toBe('2026-03-02T09:30:15')
    expect(localInputToIso('')).toBe('')
    expect(localInputToIso('not a date')).toBe('')
  })

  it('pretty-prints detail JSON', () => {
    expect(prettyDetail({ a: 1, b: [true] })).toBe('{\n  "a": 1,\n  "b": [\n    true\n  ]\n}')
    expect(prettyDetail(undefined)).toBe('(no detail)')
  })
})
