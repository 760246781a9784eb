import { describe, expect, it } from 'vitest'
import { fakeHostClient, fakeIo, type CapturedOutput as Captured, type FakeAnswers as Answers } from '../../test-support/cli-fakes'
import type { OpInput, OpResult } from '../core/api/contract'
import { parseCommandLine, helpText } from './args'
import { parseCsv } from './csv-reader'
import { CliError } from './exit-codes'
import { history, eventsPlan, pageEvents, type EventsPlan } from './history'
import { HISTORY_ALL_CAP } from './history-args'
import * as hf from './history-format'

type Ev = OpResult<'history.events'>['events'][number]
type Q = OpInput<'history.events'>

const NOW = Date.now()

function ev(cursor: number, over: Partial<Ev> = {}): Ev {
  return {
    cursor,
    receivedAt: new Date(NOW - 60_000 + cursor).toISOString(),
    channel: 'strategy.alpha',
    type: 'strategy',
    source: 'scanner-1',
    agent: null,
    payload: JSON.stringify({ n: cursor }),
    host: 'test-host',
    ...over,
  }
}

/** history.events over a list, as the store answers it (limit+1 decides `next`). */
function store(events: Ev[], seen: Q[] = []) {
  return async (q: Q): Promise<OpResult<'history.events'>> => {
    seen.push(q)
    const desc = q.order === 'desc'
    let list = events.filter((e) => (q.after === undefined || e.cursor > q.after) && (q.before === undefined || e.cursor < q.before))
    // Globs as the store reads them: * any run.
    if (q.channel) {
      const re = new RegExp(`^${q.channel.split('*').map((p) => p.replace(/[.?+^$|()[\]{}\\]/g, '\\$&')).join('.*')}$`)
      list = list.filter((e) => re.test(e.channel))
    }
    list = [...list].sort((a, b) => (desc ? b.cursor - a.cursor : a.cursor - b.cursor))
    const limit = q.limit ?? 100
    const page = list.slice(0, limit)
    return { events: page, next: list.length > limit ? (page.at(-1)?.cursor ?? null) : null }
  }
}

const many = (n: number) => Array.from({ length: n }, (_, i) => ev(i + 1))

function plan(args: string[]): EventsPlan {
  return eventsPlan(parseCommandLine(['history', 'events', ...args], {}).values, NOW)
}

function usage(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(CliError)
    expect((err as CliError).exit).toBe(2)
    return (err as CliError).message
  }
  throw new Error('no usage error')
}

describe('history command line', () => {
  it('picks the subcommand and its own options; globals anywhere', () => {
    const p = parseCommandLine(['--url', 'https://h:1', 'history', '--since', '1h', 'events', '--channel', 'a.*', '--json'], {})
    expect(p.command?.name).toBe('history')
    expect(p.subcommand?.name).toBe('events')
    expect(p.values).toMatchObject({ since: '1h', channel: 'a.*' })
    expect(p.global).toMatchObject({ url: 'https://h:1', json: true })
    expect(parseCommandLine(['history', 'agent', 'agent-7'], {}).positionals).toEqual(['agent-7'])
  })

  it('--format json is --json; csv/jsonl are not; a bad format or a conflict is a usage error', () => {
    expect(parseCommandLine(['history', 'events', '--format', 'json'], {}).global.json).toBe(true)
    expect(parseCommandLine(['history', 'events', '--format=csv'], {}).global.json).toBe(false)
    expect(usage(() => parseCommandLine(['history', 'events', '--format', 'xml'], {}))).toMatch(/^--format is one of table, json, jsonl, csv, got "xml"/)
    expect(usage(() => parseCommandLine(['history', 'events', '--format', 'csv', '--json'], {}))).toMatch(/--json is --format json/)
  })

  it('usage errors: no subcommand, an unknown one, an option of another subcommand, a missing agent id', () => {
    expect(usage(() => parseCommandLine(['history'], {}))).toMatch(/^history needs a subcommand: status, events, agent, state, counts/)
    expect(usage(() => parseCommandLine(['history', 'evnts'], {}))).toMatch(/unknown subcommand "evnts"/)
    expect(usage(() => parseCommandLine(['history', 'status', '--since', '1h'], {}))).toMatch(/Unknown option '--since'[\s\S]*usage: stackdeck history status/)
    expect(usage(() => parseCommandLine(['history', 'agent'], {}))).toMatch(/history agent: expected 1 argument\(s\), got 0/)
  })

  it('help for the family lists each subcommand; each subcommand has its own', () => {
    const family = parseCommandLine(['history', '--help'], {})
    const text = helpText(family.command, family.subcommand)
    for (const s of ['status', 'events', 'agent', 'state', 'counts']) expect(text).toMatch(new RegExp(`^  ${s}\\s+\\S`, 'm'))
    const ev = parseCommandLine(['history', 'events', '--help'], {})
    const evText = helpText(ev.command, ev.subcommand)
    expect(evText).toMatch(/^usage: stackdeck history events /)
    for (const o of ['--from', '--to', '--since', '--channel', '--type', '--source', '--agent', '--limit', '--all', '--format'])
      expect(evText).toContain(`  ${o} `)
    const st = parseCommandLine(['history', 'state', '-h'], {})
    expect(helpText(st.command, st.subcommand)).toMatch(/--kind K\s+only killswitch, trading, regime, workflow, supervise/)
    // The top-level help names the family.
    expect(helpText(null)).toMatch(/^ {2}history\s+The history store/m)
  })
})

describe('eventsPlan', () => {
  it('filters, a time range, and 100 events by default', () => {
    const p = plan(['--since', '15m', '--channel', 'strategy.*', '--type', 'strat?gy', '--source', 's', '--agent', 'a'])
    expect(p).toEqual({
      query: { from: new Date(NOW - 900_000).toISOString(), channel: 'strategy.*', type: 'strat?gy', source: 's', agent: 'a' },
      want: 100,
      all: false,
    })
  })

  it('--all is the cap; --limit N any number up to it', () => {
    expect(plan(['--all'])).toMatchObject({ want: HISTORY_ALL_CAP, all: true })
    expect(plan(['--limit', '2500'])).toMatchObject({ want: 2500, all: false })
  })

  it('--before or --order desc pages newest first', () => {
    expect(plan(['--before', '50']).query).toEqual({ order: 'desc', before: 50 })
    expect(plan(['--order', 'desc']).query).toEqual({ order: 'desc' })
    expect(plan(['--after', '7']).query).toEqual({ after: 7 })
  })

  it('usage errors name the flag', () => {
    expect(usage(() => plan(['--limit', '0']))).toMatch(/^--limit is 1 to 100000/)
    expect(usage(() => plan(['--limit', String(HISTORY_ALL_CAP + 1)]))).toMatch(/^--limit is 1 to/)
    expect(usage(() => plan(['--limit', '5', '--all']))).toBe('give --limit or --all, not both')
    expect(usage(() => plan(['--after', '1', '--before', '9']))).toBe('give --after or --before, not both')
    expect(usage(() => plan(['--after', '1', '--order', 'desc']))).toMatch(/^--after pages oldest first/)
    expect(usage(() => plan(['--before', '1', '--order', 'asc']))).toMatch(/^--before pages newest first/)
    expect(usage(() => plan(['--order', 'newest']))).toMatch(/^--order is asc or desc/)
    expect(usage(() => plan(['--after=x']))).toMatch(/^--after takes a whole number/)
    expect(usage(() => plan(['--from', 'tuesday']))).toMatch(/^--from: "tuesday" is not a time/)
    expect(usage(() => plan(['--to', '2026-13-01']))).toMatch(/^--to: /)
    expect(usage(() => plan(['--since', '1 hour']))).toMatch(/^--since: /)
    expect(usage(() => plan(['--channel', 'x'.repeat(201)]))).toMatch(/^--channel is longer than 200/)
  })
})

describe('pageEvents', () => {
  it('pages by cursor to the end, every event once, in order', async () => {
    const seen: Q[] = []
    const got: Ev[] = []
    const r = await pageEvents(store(many(2345), seen), { query: { channel: 'strategy.alpha' }, want: HISTORY_ALL_CAP, all: true }, (p) => got.push(...p))
    expect(r).toEqual({ count: 2345, next: null, capped: false })
    expect(got.map((e) => e.cursor)).toEqual(many(2345).map((e) => e.cursor))
    expect(seen.map((q) => [q.after, q.limit])).toEqual([
      [undefined, 1000],
      [1000, 1000],
      [2000, 1000],
    ])
    expect(seen.every((q) => q.channel === 'strategy.alpha')).toBe(true)
  })

  it('--limit stops there and says where to continue', async () => {
    const seen: Q[] = []
    const got: Ev[] = []
    const r = await pageEvents(store(many(50), seen), { query: { after: 10 }, want: 25, all: false }, (p) => got.push(...p), 10)
    expect(r).toEqual({ count: 25, next: 35, capped: false })
    expect(got.map((e) => e.cursor)).toEqual(Array.from({ length: 25 }, (_, i) => i + 11))
    expect(seen.map((q) => q.limit)).toEqual([10, 10, 5])
  })

  it('an exact fit is not capped; one more is', async () => {
    expect(await pageEvents(store(many(30)), { query: {}, want: 30, all: true }, () => undefined, 10)).toEqual({ count: 30, next: null, capped: false })
    expect(await pageEvents(store(many(31)), { query: {}, want: 30, all: true }, () => undefined, 10)).toEqual({ count: 30, next: 30, capped: true })
  })

  it('descending pages with before', async () => {
    const got: Ev[] = []
    const r = await pageEvents(store(many(25)), { query: { order: 'desc', before: 21 }, want: 100, all: false }, (p) => got.push(...p), 7)
    expect(r.next).toBeNull()
    expect(got.map((e) => e.cursor)).toEqual(Array.from({ length: 20 }, (_, i) => 20 - i))
  })

  it('a host whose cursor does not move is an error, not a loop; one answering too much is trimmed', async () => {
    const stuck = async () => ({ events: [ev(1)], next: 1 })
    await expect(pageEvents(stuck, { query: {}, want: 100, all: true }, () => undefined, 1)).rejects.toThrow(/cursor did not advance/)
    const greedy = async () => ({ events: many(10), next: 10 })
    const got: Ev[] = []
    expect(await pageEvents(greedy, { query: {}, want: 4, all: false }, (p) => got.push(...p))).toEqual({ count: 4, next: 4, capped: false })
    expect(got).toHaveLength(4)
  })
})

async function runHistory(args: string[], answers: Answers) {
  const calls: Array<[string, unknown]> = []
  const client = fakeHostClient(answers, calls)
  const c: Captured = { out: '', err: '' }
  const parsed = parseCommandLine(['history', ...args], {})
  const res = await history({ client, parsed, io: fakeIo(c) })
  return { res, calls, out: c.out, err: c.err }
}

const STATUS: hf.HistoryStatusT = {
  enabled: true,
  engine: 'pglite',
  state: 'writing',
  reason: null,
  since: null,
  written: 1234,
  buffered: 3,
  dropped: { evicted: 0, overflow: 0 },
  lagMs: 180,
  lastWriteAt: '2026-12-02T08:00:00.000Z',
  disk: { bytes: 12.3 * 1024 * 1024, limit: 2 * 1024 ** 3, percent: 0.6 },
  events: 1234,
  oldest: '2026-12-01T08:00:00.000Z',
  retentionDropped: 0,
}

describe('history subcommands (fake host)', () => {
  it('status: a summary; exit 0 writing, 5 paused/unavailable/opening, 1 off', async () => {
    const w = await runHistory(['status'], { 'history.status': () => STATUS })
    expect(w.res.exit).toBe(0)
    expect(w.res.text).toMatch(/^history\s+WRITING \(pglite\)$/m)
    expect(w.res.text).toMatch(/^lag\s+180 ms \(3 buffered, not stored yet\)$/m)
    expect(w.res.text).toMatch(/^dropped\s+0 \(0 evicted/m)
    expect(w.res.text).toMatch(/^disk\s+12\.3 MiB of 2\.0 GiB \(0\.6 %\)$/m)
    expect(w.res.text).toMatch(/^stored\s+1,234 events, oldest 2026-12-01T08:00:00\.000Z$/m)
    const paused = { ...STATUS, state: 'paused' as const, reason: 'connection refused', since: '2026-12-02T07:59:00.000Z', dropped: { evicted: 2, overflow: 5 } }
    const p = await runHistory(['status'], { 'history.status': () => paused })
    expect(p.res.exit).toBe(5)
    expect(p.res.text).toMatch(/^history\s+PAUSED \(pglite\): connection refused$/m)
    expect(p.res.text).toMatch(/^since\s+2026-12-02T07:59:00\.000Z$/m)
    expect(p.res.text).toMatch(/^dropped\s+7 {2}NOT STORED \(2 evicted/m)
    for (const state of ['unavailable', 'opening', 'stopped'] as const)
      expect(hf.historyStatusExit({ state, enabled: true })).toBe(5)
    expect(hf.historyStatusExit({ state: 'off', enabled: false })).toBe(1)
  })

  it('events --all --format csv streams every page with one header, and reads back', async () => {
    const hostile = ev(2, { payload: '{"note":"a, \\"b\\"\\nc"}', source: 'src,"x"', agent: 'line\nbreak' })
    const list = [ev(1), hostile, ...many(2500).slice(2)]
    const r = await runHistory(['events', '--all', '--format', 'csv'], { 'history.events': store(list) })
    expect(r.res).toMatchObject({ streamed: true, exit: 0 })
    expect(r.err).toBe('')
    const records = parseCsv(r.out)
    expect(records[0]).toEqual(['cursor', 'receivedAt', 'channel', 'type', 'source', 'agent', 'host', 'payload'])
    expect(records).toHaveLength(2501)
    expect(records[2]).toEqual(['2', hostile.receivedAt, 'strategy.alpha', 'strategy', 'src,"x"', 'line\nbreak', 'test-host', hostile.payload])
    expect(r.calls.map(([, q]) => (q as Q).after)).toEqual([undefined, 1000, 2000])
  })

  it('events --format jsonl: one stored event per line; nothing matching prints nothing', async () => {
    const r = await runHistory(['events', '--format', 'jsonl', '--limit', '3'], { 'history.events': store(many(10)) })
    const lines = r.out.trimEnd().split('\n')
    expect(lines.map((l) => (JSON.parse(l) as Ev).cursor)).toEqual([1, 2, 3])
    expect(r.err).toMatch(/^more events match: continue with --after 3, or use --all$/m)
    const none = await runHistory(['events', '--format', 'jsonl'], { 'history.events': store([]) })
    expect(none.out).toBe('')
    const csv = await runHistory(['events', '--format', 'csv'], { 'history.events': store([]) })
    expect(csv.out).toBe('cursor,receivedAt,channel,type,source,agent,host,payload\n')
  })

  it('events --all stops at the cap, says so, and exits 5', async () => {
    const r = await runHistory(['events', '--all', '--format', 'jsonl'], { 'history.events': store(many(HISTORY_ALL_CAP + 5)) })
    expect(r.res.exit).toBe(5)
    expect(r.out.trimEnd().split('\n')).toHaveLength(HISTORY_ALL_CAP)
    expect(r.err).toMatch(new RegExp(`stopped at the --all cap of 100,000 events; more match: continue with --after ${HISTORY_ALL_CAP}`))
    const j = await runHistory(['events', '--all', '--json'], { 'history.events': store(many(HISTORY_ALL_CAP + 1)) })
    expect(j.res.exit).toBe(5)
    expect(j.res.json).toMatchObject({ next: HISTORY_ALL_CAP, capped: true })
  }, 60_000)

  it('events as a table, with the cursor to continue from', async () => {
    const r = await runHistory(['events', '--limit', '2', '--channel', 'strategy.*'], { 'history.events': store(many(5)) })
    const lines = r.res.text.split('\n')
    expect(lines[0]).toMatch(/^CURSOR\s+RECEIVED\s+CHANNEL\s+SOURCE\s+AGENT\s+PAYLOAD$/)
    expect(lines[1]).toMatch(/^1\s+\S+Z\s+strategy\.alpha\s+scanner-1\s+\{"n":1\}$/)
    expect(lines.at(-1)).toBe('(more events match: continue with --after 2, or use --all)')
    expect(r.calls[0]).toEqual(['history.events', { channel: 'strategy.*', limit: 2 }])
    const none = await runHistory(['events'], { 'history.events': store([]) })
    expect(none.res.text).toBe('no stored events match')
  })

  it('agent, state and counts pass the range and filters, and format their rows', async () => {
    const a = await runHistory(['agent', 'exec-1', '--since', '1h', '--format', 'csv'], {
      'history.agent': () => ({ transitions: [{ at: '2026-12-02T07:00:00.000Z', from: null, to: 'alive', detail: { beats: 1 } }] }),
    })
    expect(a.calls[0]?.[1]).toEqual({ agent: 'exec-1', from: expect.stringMatching(/Z$/) as unknown })
    expect(parseCsv(a.res.text)).toEqual([['at', 'from', 'to', 'detail'], ['2026-12-02T07:00:00.000Z', '', 'alive', '{"beats":1}']])

    const rec = { at: '2026-12-02T07:30:00.000Z', kind: 'killswitch' as const, who: 'admin', why: 'flash, crash', detail: { engaged: true }, host: 'h' }
    const s = await runHistory(['state', '--kind', 'killswitch', '--limit', '5'], { 'history.state': () => ({ records: [rec] }) })
    expect(s.calls[0]?.[1]).toEqual({ kind: 'killswitch', limit: 5 })
    expect(s.res.text).toMatch(/^2026-12-02T07:30:00\.000Z\s+killswitch\s+admin\s+flash, crash\s+\{"engaged":true\}$/m)
    await expect(runHistory(['state', '--kind', 'moon'], {})).rejects.toThrow(/--kind is one of killswitch, trading, regime, workflow, supervise/)

    const c = await runHistory(['counts', '--channel', 'strategy.*'], {
      'history.counts': () => ({ counts: [{ minute: '2026-12-02T07:59:00.000Z', channel: 'strategy.alpha', count: 7 }] }),
    })
    const input = c.calls[0]?.[1] as { from: string; to: string; channel: string }
    expect(Date.parse(input.to) - Date.parse(input.from)).toBe(3_600_000)
    expect(input.channel).toBe('strategy.*')
    expect(c.res.text).toMatch(/^7 events on 1 channel in 1 minute/)
    expect(c.res.text).toMatch(/^2026-12-02T07:59:00\.000Z\s+strategy\.alpha\s+7$/m)
  })

  it("a host's unavailable answer keeps its message and exit code, and points at history status", async () => {
    const refuse = () => {
      throw new CliError(1, 'history.events failed: unavailable: history is still opening; try again in a few seconds', {
        code: 'unavailable',
        message: 'history is still opening; try again in a few seconds',
      })
    }
    const err = await runHistory(['events'], { 'history.events': refuse }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CliError)
    expect((err as CliError).exit).toBe(1)
    expect((err as CliError).message).toBe(
      'history.events failed: unavailable: history is still opening; try again in a few seconds (see `stackdeck history status`)',
    )
    expect((err as CliError).error.code).toBe('unavailable')
  })
})
