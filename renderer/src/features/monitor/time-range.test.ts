import { describe, expect, it } from 'vitest'
import { customRange, describeRange, historyAvailability, historyQuery, isoToLocalInput, localInputToDate, matchesStoredType, resolveRange, type HistoryStatus } from './time-range'
import { newestTransitions, transitionDetail } from './agent-timeline'

const now = new Date(2026, 11, 2, 10, 30, 15, 500) // local time

describe('resolveRange', () => {
  it('last 15 min and last hour end just after now', () => {
    const r = resolveRange('15m', now)
    expect(Date.parse(r.to) - now.getTime()).toBe(1)
    expect(now.getTime() - Date.parse(r.from)).toBe(15 * 60_000)
    expect(now.getTime() - Date.parse(resolveRange('1h', now).from)).toBe(3_600_000)
  })
  it('today starts at local midnight', () => {
    const from = new Date(resolveRange('today', now).from)
    expect([from.getFullYear(), from.getMonth(), from.getDate(), from.getHours(), from.getMinutes(), from.getSeconds()]).toEqual([2026, 11, 2, 0, 0, 0])
  })
})

describe('customRange', () => {
  it('reads datetime-local values as local time', () => {
    const r = customRange('2026-12-02T10:00', '2026-12-02T10:05:30')
    if ('error' in r) throw new Error(r.error)
    expect(new Date(r.from).getTime()).toBe(new Date(2026, 11, 2, 10, 0, 0).getTime())
    expect(new Date(r.to).getTime()).toBe(new Date(2026, 11, 2, 10, 5, 30).getTime())
  })
  it('refuses an empty, invalid or inverted range', () => {
    expect(customRange('', '2026-12-02T10:00')).toEqual({ error: 'Set a valid "from" time.' })
    expect(customRange('2026-12-02T10:00', 'nope')).toEqual({ error: 'Set a valid "to" time.' })
    expect(customRange('2026-12-02T10:00', '2026-12-02T10:00')).toEqual({ error: '"From" must be before "to".' })
  })
  it('round-trips through the input format', () => {
    expect(isoToLocalInput(now.toISOString())).toBe('2026-12-02T10:30:15')
    expect(localInputToDate('2026-12-02T10:30:15')?.getTime()).toBe(new Date(2026, 11, 2, 10, 30, 15).getTime())
    expect(localInputToDate('2026-12-02 10:30')).toBeNull()
  })
})

describe('describeRange', () => {
  it('names the range and leaves out today’s date', () => {
    const r = resolveRange('15m', now)
    expect(describeRange(r, now)).toBe('Last 15 min: 10:15:15 → 10:30:15')
    expect(describeRange({ ...r, label: 'around stack.pause' }, new Date(2026, 11, 3))).toMatch(/^around stack\.pause: 2026-12-02 10:15:15 → 2026-12-02 10:30:15$/)
  })
})

describe('historyQuery', () => {
  const r = resolveRange('1h', now)
  it('maps the type filter to a channel glob and the source as is', () => {
    expect(historyQuery(r, { type: ' data.market ', source: 'quotes-1' })).toEqual({ from: r.from, to: r.to, order: 'desc', limit: 500, channel: 'data.market*', source: 'quotes-1' })
    expect(historyQuery(r, { type: 'agent.*.ack', source: '' }, { before: 42 })).toMatchObject({ channel: 'agent.*.ack', before: 42 })
    expect(historyQuery(r, { type: '', source: '' }, { order: 'asc', after: 7, limit: 1000 })).toEqual({ from: r.from, to: r.to, order: 'asc', limit: 1000, after: 7 })
  })
  it('keeps the dot boundary the glob cannot say', () => {
    const f = { type: 'data.market', source: '' }
    expect(matchesStoredType({ channel: 'data.market.quotes', type: 'data.market' }, f)).toBe(true)
    expect(matchesStoredType({ channel: 'data.market', type: null }, f)).toBe(true)
    expect(matchesStoredType({ channel: 'data.marketing', type: 'data' }, f)).toBe(false)
    expect(matchesStoredType({ channel: 'data.marketing', type: 'data' }, { type: 'data.market*', source: '' })).toBe(true)
  })
})

describe('historyAvailability', () => {
  const base: HistoryStatus = {
    enabled: true, engine: 'pglite', state: 'writing', reason: null, since: null, written: 1, buffered: 0,
    dropped: { evicted: 0, overflow: 0 }, lagMs: 0, lastWriteAt: null, disk: { bytes: null, limit: 1, percent: null }, events: 1, oldest: null, retentionDropped: 0,
  }
  it('never shows an unknown store as readable', () => {
    expect(historyAvailability(null, null)).toMatchObject({ readable: false, state: 'loading' })
    expect(historyAvailability(null, 'socket closed')).toMatchObject({ readable: false, state: 'unknown', reason: 'socket closed' })
  })
  it('off, opening, unavailable and stopped are not readable and say why', () => {
    expect(historyAvailability({ ...base, enabled: false, state: 'off', reason: 'history is off' }, null)).toMatchObject({ readable: false, state: 'off', reason: 'history is off' })
    expect(historyAvailability({ ...base, state: 'unavailable', reason: 'ECONNREFUSED' }, null)).toMatchObject({ readable: false, reason: 'ECONNREFUSED', tone: 'bad' })
    expect(historyAvailability({ ...base, state: 'opening' }, null).readable).toBe(false)
    expect(historyAvailability({ ...base, state: 'stopped' }, null).readable).toBe(false)
  })
  it('paused is readable but says events after it are not stored yet', () => {
    const a = historyAvailability({ ...base, state: 'paused', reason: 'disk full', since: now.toISOString() }, null)
    expect(a).toMatchObject({ readable: true, state: 'paused', tone: 'warn' })
    expect(a.reason).toMatch(/^disk full \(since .*later events are not stored yet\)$/)
    expect(historyAvailability(base, null)).toEqual({ readable: true, state: 'writing', reason: null, tone: 'ok' })
  })
})

describe('agent timeline', () => {
  const t = (i: number) => ({ at: `2026-12-02T10:00:0${i}Z`, from: i ? 'alive' : null, to: i % 2 ? 'dead' : 'alive', detail: null })
  it('lists the newest first and counts what it leaves out', () => {
    const { rows, hidden } = newestTransitions([t(0), t(1), t(2), t(3)], 2)
    expect(rows.map((r) => r.at)).toEqual([t(3).at, t(2).at])
    expect(hidden).toBe(2)
  })
  it('puts anomalies first and keeps unknown fields', () => {
    expect(transitionDetail({ lastBeat: 'X', anomalies: 3, extra: { a: 1 } }, (s) => `@${s}`)).toBe('3 anomalies · last beat @X · extra={"a":1}')
    expect(transitionDetail(null, String)).toBe('')
    expect(transitionDetail('odd', String)).toBe('"odd"')
  })
})
