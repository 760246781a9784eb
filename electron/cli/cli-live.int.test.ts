/**
 * The real `stackdeck` CLI (out/main/cli.js, a child process) against the real built host process,
 * the private Docker engine and Redis. Every effect is checked at its source: docker inspect for
 * pause/resume, the file and its backup for save-restart plus the reload lines the containers
 * print, Redis/the host for the killswitch. Exit codes: 0 ok, 1 failed, 2 usage, 3 unreachable,
 * 4 denied, 5 partial/unconfirmed.
 */
import { createHash } from 'node:crypto'
import { createServer } from 'node:net'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OpResult } from '@core/api/contract'
import {
  hasTestDocker,
  removeFixtures,
  startFixtures,
  testDocker,
  waitForLog,
} from '../../test-support/docker-fixtures'
import { startStackdeckUnderTest } from '../../test-support/stackdeck-under-test'
import { hasTestRedis, newTestRedis } from '../../test-support/redis-fixture'
import {
  dockerStates,
  makeTokens,
  randomTag,
  redisKeysFor,
  resultErrors,
  runCli,
  TOKEN_NAMES,
  waitFor,
  type ApiHost,
  type ApiWorkspace,
  type CliRun,
} from '../../test-support/api-harness'

const enabled = hasTestDocker() && hasTestRedis()
const RUN = `cli-${randomTag()}`
const TAG = `api-${RUN}`
const tokens = makeTokens()
const AGENT_ID = `cli-agent-${RUN}`
const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex')

let ws: ApiWorkspace
let host: ApiHost
let stopSut: (() => Promise<void>) | undefined
let orch: string[] = []
let scan: string[] = []

/** The CLI with the host's URL and a token in the environment, as a script would run it. */
const cli = (args: string[], token: string = tokens.operate) =>
  runCli(args, { STACKDECK_URL: host.url, STACKDECK_TOKEN: token })

function expectExit(r: CliRun, code: number): void {
  expect(r.code, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(code)
}

function json<T>(r: CliRun): T {
  return JSON.parse(r.stdout) as T
}

async function closedPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

describe.skipIf(!enabled)('the stackdeck CLI against a live host, engine and Redis', () => {
  const all = () => [...orch, ...scan]

  beforeAll(async () => {
    const sut = await startStackdeckUnderTest({
      run: RUN,
      tag: TAG,
      tokens,
      fixtures: { orch: { count: 2 }, scan: { count: 1 } },
      agents: [AGENT_ID],
      services: (labels) => [
        {
          name: 'orch',
          selector: labels('orch'),
          reload: { signal: 'SIGUSR1', logPattern: 'Config reloaded', timeoutMs: 15_000 },
        },
        {
          name: 'scan',
          selector: labels('scan'),
          reload: { signal: 'SIGHUP', logPattern: 'Config reloaded', timeoutMs: 15_000 },
        },
        // Its container only exists during the "unconfirmed" case: it reloads, but prints another line.
        {
          name: 'quiet',
          selector: labels('quiet'),
          reload: { signal: 'SIGHUP', logPattern: 'Config reloaded', timeoutMs: 3000 },
        },
      ],
    })
    stopSut = sut.stop
    host = sut.host
    ws = sut.ws as ApiWorkspace
    orch = sut.fixtures['orch'] ?? []
    scan = sut.fixtures['scan'] ?? []
  })

  afterAll(async () => {
    await stopSut?.()
  })

  it('status: a human summary, and --json with the stack, killswitch and schedule', async () => {
    const human = await cli(['status'], tokens.read)
    expectExit(human, 0)
    expect(human.stdout).toMatch(/^stack\s+RUNNING \(3 running\)$/m)
    expect(human.stdout).toMatch(/^endpoints\s+1\/1 reachable$/m)
    expect(human.stdout).toMatch(/^killswitch\s+released/m)
    expect(human.stdout).toMatch(/^trading\s+/m)
    for (const id of all()) {
      const name = (await testDocker().getContainer(id).inspect()).Name.replace(/^\//, '')
      expect(human.stdout).toMatch(new RegExp(`^${name}\\s+(orch|scan)\\s+running\\s`, 'm'))
    }

    const machine = await cli(['status', '--json'], tokens.read)
    expectExit(machine, 0)
    const s = json<{ stack: OpResult<'stack.status'>; killswitch: unknown; schedule: unknown }>(machine)
    expect(resultErrors('stack.status', s.stack)).toEqual([])
    expect(resultErrors('bus.killswitch.get', s.killswitch)).toEqual([])
    expect(resultErrors('schedule.get', s.schedule)).toEqual([])
    expect(s.stack).toMatchObject({ state: 'running', counts: { running: 3, paused: 0 } })
    expect(s.stack.containers.map((c) => c.id).sort()).toEqual(all().sort())
  })

  it('pause and resume the whole stack, checked with docker inspect', async () => {
    const p = await cli(['pause', '--reason', `cli test ${RUN}`])
    expectExit(p, 0)
    expect(p.stdout).toMatch(/^pause stack: ok in \d+ ms \(3 done/m)
    expect(await dockerStates(all())).toEqual(['paused', 'paused', 'paused'])
    const r = await cli(['resume'])
    expectExit(r, 0)
    expect(r.stdout).toMatch(/^unpause stack: ok in \d+ ms \(3 done/m)
    expect(await dockerStates(all())).toEqual(['running', 'running', 'running'])
  })

  it('pause and resume one service with --service (--json), the others untouched', async () => {
    const p = await cli(['pause', '--service', 'scan', '--json'])
    expectExit(p, 0)
    const pr = json<OpResult<'stack.pause'>>(p)
    expect(resultErrors('stack.pause', pr)).toEqual([])
    expect(pr.containers).toEqual([expect.objectContaining({ id: scan[0], outcome: 'ok', state: 'paused' })])
    expect(await dockerStates(all())).toEqual(['running', 'running', 'paused'])
    const r = await cli(['resume', '--service', 'scan'])
    expectExit(r, 0)
    expect(r.stdout).toMatch(/^unpause service scan: ok/m)
    expect(await dockerStates(all())).toEqual(['running', 'running', 'running'])
  })

  it('save-restart --file --yes writes the file with a backup and the containers reload it', async () => {
    const before = await readFile(ws.configPath, 'utf8')
    const text = before.replace('max_open_orders = 40', 'max_open_orders = 44')
    expect(text).not.toBe(before)
    const file = join(ws.dir, 'edited.toml')
    await writeFile(file, text)
    const backupsBefore = (await readdir(ws.configDir)).filter((f) => f.includes('.bak.'))

    const r = await cli(['save-restart', '--file', file, '--yes', '--reason', `cli test ${RUN}`])
    expectExit(r, 0)
    expect(r.stdout).toMatch(/^save & restart APPLIED in \d+ ms/m)
    expect(r.stdout).toMatch(/^changes: .*max_open_orders/m)
    expect(await readFile(ws.configPath, 'utf8')).toBe(text)
    const backups = (await readdir(ws.configDir)).filter(
      (f) => f.includes('.bak.') && !backupsBefore.includes(f),
    )
    expect(backups).toHaveLength(1)
    expect(r.stdout).toContain(`backup: ${backups[0]}`)
    expect(await readFile(join(ws.configDir, backups[0] as string), 'utf8')).toBe(before)
    // Reload evidence in each container's own log: the line names the digest of the NEW file.
    const line = await Promise.all(
      all().map((id) => waitForLog(id, new RegExp(`Config reloaded sha=${md5(text)}`), 10_000)),
    )
    expect(line).toHaveLength(3)
    expect(await dockerStates(all())).toEqual(['running', 'running', 'running'])
  })

  it('save-restart exits 5 when a service reloads but never prints the expected line', async () => {
    const [quiet] = await startFixtures({
      count: 1,
      service: 'quiet',
      labels: { sdapi: RUN, role: 'quiet' },
      configDir: ws.configDir,
      env: { RELOAD_LINE: 'settings refreshed' },
    })
    try {
      await waitForLog(quiet as string, /started pid=/)
      await waitFor('the host to see the quiet container', async () => {
        const s = await host.client.get('/stack', tokens.read)
        const svc = (s.json as OpResult<'stack.list'>).services.find((x) => x.name === 'quiet')
        return svc?.containers.some((c) => c.id === quiet && c.state === 'running')
      })
      const before = await readFile(ws.configPath, 'utf8')
      const text = before.replace('max_open_orders = 44', 'max_open_orders = 45')
      const file = join(ws.dir, 'edited-2.toml')
      await writeFile(file, text)
      const r = await cli(['save-restart', '--file', file, '--yes', '--json'])
      expectExit(r, 5)
      const report = json<OpResult<'workflow.saveAndRestart'>>(r)
      expect(resultErrors('workflow.saveAndRestart', report)).toEqual([])
      expect(report.outcome).toBe('applied_unconfirmed')
      expect(report.reload.notProved).toEqual(['quiet'])
      expect(report.reload.proved.sort()).toEqual(['orch', 'scan'])
      expect(await readFile(ws.configPath, 'utf8')).toBe(text)
      // It did get the signal and did re-read the file; it just says so in other words.
      await waitForLog(quiet as string, new RegExp(`settings refreshed sha=${md5(text)}`), 5000)
    } finally {
      await removeFixtures({ sdapi: RUN, role: 'quiet' })
    }
  })

  it('killswitch engage, then release with the admin token (an operator may not release: exit 4)', async () => {
    const redis = newTestRedis()
    try {
      const e = await cli(['killswitch', 'engage', '--reason', `cli drill ${RUN}`, '--yes'], tokens.admin)
      expectExit(e, 0)
      expect(e.stdout).toMatch(
        new RegExp(`^killswitch\\s+ENGAGED by ${TOKEN_NAMES.admin} at \\S+: cli drill ${RUN}$`, 'm'),
      )
      expect(e.stdout).toMatch(new RegExp(`^acknowledged: .*${AGENT_ID}`, 'm'))
      expect(JSON.parse((await redis.get(redisKeysFor(TAG).killswitchKey)) ?? 'null')).toMatchObject({
        engaged: true,
        who: TOKEN_NAMES.admin,
      })
      expect(await dockerStates(all())).toEqual(['paused', 'paused', 'paused'])

      const denied = await cli(
        ['killswitch', 'release', '--reason', 'not mine to release', '--yes'],
        tokens.operate,
      )
      expectExit(denied, 4)
      expect(denied.stderr).toMatch(/forbidden/)

      const rel = await cli(['killswitch', 'release', '--reason', `drill over ${RUN}`, '--yes'], tokens.admin)
      expectExit(rel, 0)
      // Released but latched: trading stays off until `killswitch resume`, and the CLI says so.
      expect(rel.stdout).toMatch(
        /^killswitch\s+released, trading LATCHED OFF until `killswitch resume` \(last change by root/m,
      )
      expect(rel.stdout).toMatch(/Trading stays DISABLED until someone runs "Resume trading"/)
      // The release resumes what the killswitch paused itself (the whole stack here), and says so.
      expect(rel.stdout).toMatch(/Resumed the containers the killswitch had paused/)
      expect(JSON.parse((await redis.get(redisKeysFor(TAG).killswitchKey)) ?? 'null')).toMatchObject({
        engaged: false,
        latched: true,
      })
      const st = await cli(['killswitch'], tokens.read)
      expectExit(st, 0)
      expect(st.stdout).toMatch(/^killswitch\s+released/m)
      // Lift the latch so trading follows the schedule again: the drill leaves no trace in later tests,
      // whatever the hour in New York.
      const res = await cli(['killswitch', 'resume', '--reason', `drill done ${RUN}`, '--yes'], tokens.admin)
      expectExit(res, 0)
      expect(JSON.parse((await redis.get(redisKeysFor(TAG).killswitchKey)) ?? 'null')).toMatchObject({
        engaged: false,
        latched: false,
      })
    } finally {
      redis.disconnect()
      // What the killswitch froze, its release resumed; a stack resume after it finds nothing paused.
      expect(await dockerStates(all())).toEqual(['running', 'running', 'running'])
      expectExit(await cli(['resume', '--reason', 'after the drill']), 0)
    }
    expect(await dockerStates(all())).toEqual(['running', 'running', 'running'])
  })

  it('agents shows the sample agent on the bus', async () => {
    const a = await waitFor('the dev agent to be listed', async () => {
      const r = await cli(['agents'], tokens.read)
      return r.code === 0 &&
        new RegExp(`^${AGENT_ID}\\s+redis\\s+execution\\s+\\S+\\s+yes\\s`, 'm').test(r.stdout)
        ? r
        : undefined
    })
    expect(a.stdout).toMatch(/^\d+ agents: \d+ alive, \d+ dead, \d+ paused, \d+ unknown \(bus ready\)$/m)
    const j = await cli(['agents', '--json'], tokens.read)
    expectExit(j, 0)
    const body = json<OpResult<'bus.agents'>>(j)
    expect(resultErrors('bus.agents', body)).toEqual([])
    expect(body.agents.find((x) => x.id === AGENT_ID)).toMatchObject({ alive: true, group: 'execution' })
  })

  it('events --limit 5 --json gives the newest five bus events', async () => {
    const r = await cli(['events', '--limit', '5', '--json'], tokens.read)
    expectExit(r, 0)
    const page = json<OpResult<'bus.events'>>(r)
    expect(resultErrors('bus.events', page)).toEqual([])
    expect(page.events).toHaveLength(5)
    expect(page.events.some((e) => e.source === AGENT_ID)).toBe(true)
    const typed = await cli(['events', '--limit', '3', '--type', 'heartbeat', '--json'], tokens.read)
    expectExit(typed, 0)
    for (const e of json<OpResult<'bus.events'>>(typed).events) expect(e.channel).toMatch(/^heartbeat\./)
  })

  it('schedule shows the trading window from config.toml', async () => {
    const r = await cli(['schedule'], tokens.read)
    expectExit(r, 0)
    expect(r.stdout).toMatch(/^trading\s+(ENABLED|disabled) \(schedule: /m)
    expect(r.stdout).toMatch(/^window\s+09:30 -> 16:00:00 America\/New_York on mon,tue,wed,thu,fri$/m)
    expect(r.stdout).toMatch(/^NEXT\s+LOCAL\s+ZONE\s+UTC/m)
  })

  it('audit --limit 5 lists the latest acts, the CLI ones among them', async () => {
    const r = await cli(['audit', '--limit', '5'], tokens.read)
    expectExit(r, 0)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^SEQ\s+AT\s+WHO\s+DOOR\s+ACTION\s+TARGET\s+OUTCOME\s+REASON$/)
    const rows = lines.slice(1).filter((l) => /^\d+\s/.test(l))
    expect(rows).toHaveLength(5)
    // The last act was the resume after the drill, by the operator token over HTTP.
    expect(rows.at(-1)).toMatch(
      new RegExp(`\\s${TOKEN_NAMES.operate}\\s+http\\s+stack\\.resume\\s+stack\\s+ok\\s+after the drill$`),
    )
    // --door: the CLI's own acts came over http; none of them over the desktop's ipc.
    const byDoor = json<OpResult<'audit.query'>>(await cli(['audit', '--limit', '50', '--door', 'http', '--json'], tokens.read))
    expect(byDoor.records.length).toBeGreaterThan(0)
    expect(byDoor.records.every((x) => x.door === 'http')).toBe(true)
    expect(json<OpResult<'audit.query'>>(await cli(['audit', '--door', 'ipc', '--json'], tokens.read)).records).toEqual([])
    const j = await cli(['audit', '--limit', '5', '--action', 'bus.killswitch', '--json'], tokens.read)
    expectExit(j, 0)
    const page = json<OpResult<'audit.query'>>(j)
    expect(page.records.map((x) => `${x.action} ${x.who} ${x.outcome}`)).toEqual(
      expect.arrayContaining([
        `bus.killswitch.engage ${TOKEN_NAMES.admin} ok`,
        `bus.killswitch.release ${TOKEN_NAMES.admin} ok`,
      ]),
    )
  })

  describe('exit codes', () => {
    it('2: usage errors (unknown command, missing --file, unconfirmed destructive act, bad number)', async () => {
      for (const args of [
        ['frobnicate'],
        ['save-restart'],
        ['killswitch', 'engage', '--reason', 'x'],
        ['events', '--limit', 'lots'],
        ['pause', '--service', 'a', '--container', 'b'],
        ['status', '--bogus'],
      ]) {
        const r = await cli(args)
        expectExit(r, 2)
        expect(r.stderr).toMatch(/^stackdeck: /m)
      }
      // Nothing was engaged by the unconfirmed attempt.
      const k = await host.client.get('/risk/killswitch', tokens.read)
      expect(k.json).toMatchObject({ engaged: false })
    })

    it('3: the host cannot be reached', async () => {
      const port = await closedPort()
      const r = await runCli(['status', '--url', `http://127.0.0.1:${port}`, '--token', tokens.read])
      expectExit(r, 3)
      expect(r.stderr).toMatch(/cannot reach Stackdeck at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/)
      const j = await runCli(['status', '--json', '--url', `http://127.0.0.1:${port}`])
      expectExit(j, 3)
      expect(json<{ error: { code: string } }>(j).error.code).toBe('unreachable')
    })

    it('4: a wrong or missing token, or one without the scope', async () => {
      const wrong = await cli(['status', '--json'], tokens.wrong)
      expectExit(wrong, 4)
      expect(json<{ error: { code: string } }>(wrong).error.code).toBe('unauthorized')
      const none = await runCli(['status', '--url', host.url])
      expectExit(none, 4)
      expect(none.stderr).toMatch(/pass --token or set STACKDECK_TOKEN/)
      const weak = await cli(['pause', '--service', 'scan'], tokens.read)
      expectExit(weak, 4)
      expect(weak.stderr).toMatch(/forbidden: stack\.pause needs the operate scope/)
      expect(await dockerStates(all())).toEqual(['running', 'running', 'running'])
    })

    it('1: the host refused the act (unknown service)', async () => {
      const r = await cli(['pause', '--service', 'nosuch'])
      expectExit(r, 1)
      expect(r.stderr).toMatch(/stack\.pause failed: not_found: no service named "nosuch"/)
      expect(await dockerStates(all())).toEqual(['running', 'running', 'running'])
    })

    it('0: health needs no token; --token and --url flags override the environment', async () => {
      const h = await runCli(['health', '--url', host.url])
      expectExit(h, 0)
      expect(h.stdout).toMatch(/^ok\s+Stackdeck \d+\.\d+\.\d+, up /m)
      const i = await runCli(['info', '--url', host.url, '--token', tokens.admin], {
        STACKDECK_TOKEN: tokens.wrong,
      })
      expectExit(i, 0)
      expect(i.stdout).toMatch(new RegExp(`^you are\\s+${TOKEN_NAMES.admin}$`, 'm'))
    })
  })
})
