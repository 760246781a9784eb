/**
 * The real `stackdeck history` CLI (out/main/cli.js, a child process) against the real built host
 * with the history store on (the test PostgreSQL when there is one, else embedded PGlite) and the
 * test Redis: events published to Redis come back from `history events` (jsonl, csv, paged over
 * more than one page), `history status` says writing, a killswitch engage/release shows up in
 * `history state`, the dev agent's timeline in `history agent`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Redis } from 'ioredis'
import type { OpResult } from '@core/api/contract'
import { hasTestDocker } from '../../test-support/docker-fixtures'
import { hasTestRedis, newTestRedis } from '../../test-support/redis-fixture'
import { startStackdeckUnderTest } from '../../test-support/stackdeck-under-test'
import { makeTokens, randomTag, resultErrors, runCli, TOKEN_NAMES, waitFor, type ApiHost, type CliRun } from '../../test-support/api-harness'
import { parseCsv } from './csv-reader'

type Stored = OpResult<'history.events'>['events'][number]

const enabled = hasTestDocker() && hasTestRedis()
const RUN = `clih${randomTag()}`
const tokens = makeTokens()
const AGENT_ID = `clih-agent-${RUN}`
const SIGNALS = `strategy.${RUN}`
const TICKS = `data.market.${RUN}`
const TICK_COUNT = 1500

let host: ApiHost
let stopSut: (() => Promise<void>) | undefined
let pub: Redis

const cli = (args: string[], token: string = tokens.read) => runCli(args, { STACKDECK_URL: host.url, STACKDECK_TOKEN: token })

function expectExit(r: CliRun, code: number): void {
  expect(r.code, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(code)
}

const jsonl = (r: CliRun) => r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Stored)

/** Payloads CSV and JSONL must carry intact: commas, quotes, line breaks, unicode. */
const signals = Array.from({ length: 30 }, (_, i) => ({
  i,
  source: i % 3 === 0 ? 'scanner, "east"' : 'scanner-west',
  note: i === 5 ? 'line one\nline two, with "quotes"' : `signal ${i} ✓`,
}))

describe.skipIf(!enabled)('stackdeck history against a live host with the store on', () => {
  beforeAll(async () => {
    const sut = await startStackdeckUnderTest({
      run: RUN,
      tag: `api-${RUN}`,
      tokens,
      agents: [AGENT_ID],
      schedule: { enabled: false },
      redis: { killswitchPausesStack: false },
      store: true,
    })
    stopSut = sut.stop
    host = sut.host
    pub = newTestRedis()
    await waitFor(
      'the host bus to be ready',
      async () => ((await host.client.get('/bus/status', tokens.read)).json as { connection?: { state?: string } }).connection?.state === 'ready',
      30_000,
    )
    // The subscription is live once the bus counts one of our messages; then publish the rest.
    await waitFor('the host to receive on our channels', async () => {
      await pub.publish(`${SIGNALS}.probe`, JSON.stringify({ probe: true }))
      const st = (await host.client.get('/bus/status', tokens.read)).json as { channels?: Array<{ channel: string }> }
      return st.channels?.some((c) => c.channel === `${SIGNALS}.probe`)
    })
    for (const s of signals) await pub.publish(SIGNALS, JSON.stringify(s))
    const p = pub.pipeline()
    for (let i = 0; i < TICK_COUNT; i++) p.publish(TICKS, JSON.stringify({ i, px: 100 + i / 100 }))
    await p.exec()
  })

  afterAll(async () => {
    pub?.disconnect()
    await stopSut?.()
  })

  it('history status: writing, exit 0; --json is a valid history.status result', async () => {
    const r = await cli(['history', 'status'])
    expectExit(r, 0)
    expect(r.stdout).toMatch(/^history\s+WRITING \((pglite|postgres)\)$/m)
    expect(r.stdout).toMatch(/^lag\s+/m)
    expect(r.stdout).toMatch(/^disk\s+/m)
    const j = await cli(['history', 'status', '--json'])
    expectExit(j, 0)
    const s = JSON.parse(j.stdout) as OpResult<'history.status'>
    expect(resultErrors('history.status', s)).toEqual([])
    expect(s).toMatchObject({ enabled: true, state: 'writing', engine: process.env['STACKDECK_TEST_PG_URL'] ? 'postgres' : 'pglite' })
  })

  it('history events --format jsonl returns the published events, in order, payloads intact', async () => {
    const r = await waitFor('the signals to be stored', async () => {
      const x = await cli(['history', 'events', '--channel', SIGNALS, '--since', '15m', '--format', 'jsonl'])
      return x.code === 0 && jsonl(x).length === signals.length ? x : undefined
    })
    const events = jsonl(r)
    expect(events.map((e) => JSON.parse(e.payload) as unknown)).toEqual(signals)
    expect(events.map((e) => e.source)).toEqual(signals.map((s) => s.source))
    expect(events.every((e) => e.channel === SIGNALS)).toBe(true)
    const cursors = events.map((e) => e.cursor)
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b))
    expect(r.stderr).toBe('')

    // The same rows as CSV, read back by a strict reader.
    const csv = await cli(['history', 'events', '--channel', SIGNALS, '--format', 'csv'])
    expectExit(csv, 0)
    const records = parseCsv(csv.stdout)
    expect(records[0]).toEqual(['cursor', 'receivedAt', 'channel', 'type', 'source', 'agent', 'host', 'payload'])
    expect(records.slice(1)).toEqual(events.map((e) => [String(e.cursor), e.receivedAt, e.channel, e.type ?? '', e.source ?? '', e.agent ?? '', e.host, e.payload]))

    // Filters the host applies: source, a glob, a range that ends before them.
    const bySource = await cli(['history', 'events', '--channel', `strategy.${RUN.slice(0, 4)}*`, '--source', 'scanner, "east"', '--format', 'jsonl'])
    expectExit(bySource, 0)
    expect(jsonl(bySource).map((e) => (JSON.parse(e.payload) as { i: number }).i)).toEqual(signals.filter((s) => s.i % 3 === 0).map((s) => s.i))
    const before = await cli(['history', 'events', '--channel', SIGNALS, '--to', '1h', '--format', 'jsonl'])
    expectExit(before, 0)
    expect(before.stdout).toBe('')
  })

  it('--limit, then --after the printed cursor, then --all over several pages', async () => {
    const first = await cli(['history', 'events', '--channel', SIGNALS, '--limit', '7', '--format', 'jsonl'])
    expectExit(first, 0)
    const head = jsonl(first)
    expect(head).toHaveLength(7)
    const m = /^more events match: continue with --after (\d+), or use --all$/m.exec(first.stderr)
    expect(m?.[1]).toBe(String(head.at(-1)?.cursor))
    const rest = await cli(['history', 'events', '--channel', SIGNALS, '--after', m?.[1] ?? '0', '--all', '--format', 'jsonl'])
    expectExit(rest, 0)
    expect([...head, ...jsonl(rest)].map((e) => (JSON.parse(e.payload) as { i: number }).i)).toEqual(signals.map((s) => s.i))

    const ticks = await waitFor('the ticks to be stored', async () => {
      const x = await cli(['history', 'events', '--channel', TICKS, '--all', '--format', 'jsonl'])
      return x.code === 0 && jsonl(x).length === TICK_COUNT ? x : undefined
    }, 30_000)
    expect(jsonl(ticks).map((e) => (JSON.parse(e.payload) as { i: number }).i)).toEqual(Array.from({ length: TICK_COUNT }, (_, i) => i))
    expect(ticks.stderr).toBe('')

    const table = await cli(['history', 'events', '--channel', TICKS, '--order', 'desc', '--limit', '2'])
    expectExit(table, 0)
    expect(table.stdout).toMatch(/^CURSOR\s+RECEIVED\s+CHANNEL\s+SOURCE\s+AGENT\s+PAYLOAD$/m)
    expect(table.stdout).toMatch(new RegExp(`^\\d+\\s+\\S+Z\\s+data\\.market\\.${RUN}\\s+\\{"i":${TICK_COUNT - 1},`, 'm'))
    expect(table.stdout).toMatch(/^\(more events match: continue with --before \d+, or use --all\)$/m)
  })

  it('history counts --since 1h adds up to what was published', async () => {
    const r = await cli(['history', 'counts', '--since', '1h', '--channel', `*.${RUN}`, '--json'])
    expectExit(r, 0)
    const body = JSON.parse(r.stdout) as OpResult<'history.counts'>
    expect(resultErrors('history.counts', body)).toEqual([])
    const by = (ch: string) => body.counts.filter((c) => c.channel === ch).reduce((a, c) => a + c.count, 0)
    expect(by(SIGNALS)).toBe(signals.length)
    expect(by(TICKS)).toBe(TICK_COUNT)
    const human = await cli(['history', 'counts', '--since', '1h', '--channel', SIGNALS])
    expectExit(human, 0)
    expect(human.stdout).toMatch(/^30 events on 1 channel in \d+ minutes? /)
  })

  it("history agent shows the dev agent's status timeline, ending in the status the bus shows now", async () => {
    // The status is what the agent reports (or paused/dead/unknown), so compare with the live view.
    const r = await waitFor('the agent transition to be stored', async () => {
      const [x, live] = await Promise.all([cli(['history', 'agent', AGENT_ID, '--since', '1h', '--format', 'jsonl']), cli(['agents', '--json'])])
      if (x.code !== 0 || live.code !== 0 || x.stdout.trim() === '') return undefined
      const now = (JSON.parse(live.stdout) as OpResult<'bus.agents'>).agents.find((a) => a.id === AGENT_ID)?.status
      const ts = x.stdout.trim().split('\n').map((l) => JSON.parse(l) as { to: string; from: string | null })
      return now !== undefined && ts.at(-1)?.to === now ? ts : undefined
    })
    expect(r[0]?.from).toBeNull()
    const human = await cli(['history', 'agent', AGENT_ID])
    expectExit(human, 0)
    expect(human.stdout).toMatch(new RegExp(`^${AGENT_ID}: \\d+ status changes?$`, 'm'))
    expect(human.stdout).toMatch(/^AT\s+FROM\s+TO\s+DETAIL$/m)
  })

  it('history state --kind killswitch records an engage and a release with who and why', async () => {
    expectExit(await cli(['killswitch', 'engage', '--reason', `drill ${RUN}`, '--yes'], tokens.admin), 0)
    expectExit(await cli(['killswitch', 'release', '--reason', `over ${RUN}`, '--yes'], tokens.admin), 0)
    const r = await waitFor('the killswitch records to be stored', async () => {
      const x = await cli(['history', 'state', '--kind', 'killswitch', '--since', '1h', '--json'])
      if (x.code !== 0) return undefined
      const body = JSON.parse(x.stdout) as OpResult<'history.state'>
      return body.records.filter((rec) => rec.why?.endsWith(RUN)).length >= 2 ? body : undefined
    })
    expect(resultErrors('history.state', r)).toEqual([])
    const mine = r.records.filter((rec) => rec.why?.endsWith(RUN))
    expect(mine.map((rec) => [rec.kind, rec.who, rec.why])).toEqual([
      ['killswitch', TOKEN_NAMES.admin, `drill ${RUN}`],
      ['killswitch', TOKEN_NAMES.admin, `over ${RUN}`],
    ])
    const human = await cli(['history', 'state', '--kind', 'killswitch'])
    expectExit(human, 0)
    expect(human.stdout).toMatch(new RegExp(`^\\S+Z\\s+killswitch\\s+${TOKEN_NAMES.admin}\\s+drill ${RUN}\\s`, 'm'))
  })

  it('usage and auth errors: exit 2 naming the flag, exit 4 with a wrong token', async () => {
    const bad = await cli(['history', 'events', '--from', 'last week'])
    expectExit(bad, 2)
    expect(bad.stderr).toMatch(/^stackdeck: --from: "last week" is not a time/)
    const denied = await cli(['history', 'status'], tokens.wrong)
    expectExit(denied, 4)
    expect(denied.stderr).toMatch(/unauthorized/)
  })
})
