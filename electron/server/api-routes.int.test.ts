/**
 * Every REST route of the control API, derived from the contract, against the REAL built host
 * process, the private Docker engine (fixture containers) and the private Redis: the happy path
 * (result checked against the contract with ajv, side effects checked at the source: docker
 * inspect, the file on disk, Redis, container logs), then bad input, missing/wrong token, wrong
 * scope, foreign Host and Origin for each route, and the rate limit on a host of its own.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { operations, type OperationName, type OpResult } from '@core/api/contract'
import {
  containerLogs,
  hasTestDocker,
  removeFixtures,
  startFixtures,
  testDocker,
  waitForLog,
} from '../../test-support/docker-fixtures'
import { hasTestRedis, newTestRedis } from '../../test-support/redis-fixture'
import {
  createApiWorkspace,
  dockerState,
  dockerStates,
  ensureBuilt,
  errorOf,
  hostSettings,
  inputAccepted,
  makeTokens,
  randomTag,
  redisKeysFor,
  resultErrors,
  sha256,
  startApiHost,
  startDevAgent,
  STACK_TRACE_RE,
  TOKEN_NAMES,
  waitFor,
  type ApiHost,
  type ApiResponse,
  type ApiWorkspace,
  type DevAgent,
} from '../../test-support/api-harness'
import { buildRouteTable, type Route } from './routes'

const enabled = hasTestDocker() && hasTestRedis()
const RUN = `routes-${randomTag()}`
const TAG = `api-${RUN}`
const tokens = makeTokens()
const routes = [...buildRouteTable().values()]
const routeOf = (op: OperationName): Route => {
  const r = routes.find((x) => x.op === op)
  if (!r) throw new Error(`no REST route for ${op}`)
  return r
}
const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex')

/** What issue 8 promises, method and path exactly. */
const ISSUE_8_ROUTES = [
  'GET /health',
  'GET /status',
  'POST /stack/pause',
  'POST /stack/resume',
  'GET /config',
  'POST /config/validate',
  'POST /save-and-restart',
  'GET /schedule',
  'GET /agents',
  'GET /bus/events',
  'POST /risk/killswitch',
  'GET /regime/state',
  'GET /audit',
]

let ws: ApiWorkspace
let host: ApiHost
let agent: DevAgent
let orch: string[] = []
let scan: string[] = []
const AGENT_ID = `dev-${RUN}`

function pathWithQuery(route: Route, input: Record<string, unknown>): string {
  if (route.method !== 'GET') return route.path
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(input)) q.set(k, String(v))
  const s = q.toString()
  return s ? `${route.path}?${s}` : route.path
}

/** One call of `op` through its REST route (query string for GET, JSON body for POST). */
function callRoute(
  op: OperationName,
  input: Record<string, unknown>,
  token?: string,
  headers?: Record<string, string>,
): Promise<ApiResponse> {
  const route = routeOf(op)
  return route.method === 'GET'
    ? host.client.get(pathWithQuery(route, input), token, headers)
    : host.client.post(route.path, input, token, headers)
}

/** A 200 whose body validates against the op's result schema; anything else fails with the body shown. */
async function ok<N extends OperationName>(
  op: N,
  input: Record<string, unknown>,
  token: string | undefined,
): Promise<OpResult<N>> {
  const r = await callRoute(op, input, token)
  expect(r.status, `${op}: ${r.text.slice(0, 800)}`).toBe(200)
  expect(resultErrors(op, r.json), `${op} result violates the contract`).toEqual([])
  return r.json as OpResult<N>
}

const readToken = () => tokens.read
const operateToken = () => tokens.operate
const adminToken = () => tokens.admin

async function startedAt(id: string): Promise<string> {
  return (await testDocker().getContainer(id).inspect()).State.StartedAt
}

function countLines(text: string, re: RegExp): number {
  return text.split('\n').filter((l) => re.test(l)).length
}

async function resumeAll(): Promise<void> {
  await host.client.post('/stack/resume', { reason: 'test cleanup' }, tokens.operate)
  await waitFor('every fixture to run', async () =>
    (await dockerStates([...orch, ...scan])).every((s) => s === 'running'),
  )
}

async function releaseIfEngaged(): Promise<void> {
  const k = await host.client.get('/risk/killswitch', tokens.read)
  if ((k.json as { engaged?: boolean } | undefined)?.engaged) {
    await host.client.post(
      '/risk/killswitch/release',
      { reason: 'test cleanup', confirm: true },
      tokens.admin,
    )
  }
}

describe.skipIf(!enabled)('control API routes against the real host, engine and Redis', () => {
  const edited = async (fn: (t: string) => string) => fn(await readFile(ws.configPath, 'utf8'))

  beforeAll(async () => {
    ensureBuilt()
    ws = await createApiWorkspace()
    const labels = (role: string) => ({ sdapi: RUN, role })
    ;[orch, scan] = await Promise.all([
      startFixtures({
        count: 2,
        service: 'orch',
        labels: labels('orch'),
        configDir: ws.configDir,
        redis: true,
        env: (i) => ({ AGENT_ID: `orch-${RUN}-${i}` }),
      }),
      startFixtures({
        count: 1,
        service: 'scan',
        labels: labels('scan'),
        configDir: ws.configDir,
        redis: true,
        env: { AGENT_ID: `scan-${RUN}` },
      }),
    ])
    await Promise.all([...orch, ...scan].map((id) => waitForLog(id, /started pid=/)))

    // An interrupted Save & Restart, as a crash would leave it: a journal naming a container this
    // "run" froze, and that container still paused. workflow.recover must find and resume it.
    const frozen = orch[1] as string
    await testDocker().getContainer(frozen).pause()
    const name = (await testDocker().getContainer(frozen).inspect()).Name.replace(/^\//, '')
    const ref = { id: frozen, name, service: 'orch', endpoint: 'test' }
    const text = await readFile(ws.configPath, 'utf8')
    await writeFile(
      join(ws.stateDir, 'save-restart.journal.json'),
      JSON.stringify({
        version: 1,
        runId: `interrupted-${RUN}`,
        who: 'crashed-run',
        door: 'http',
        startedAt: new Date().toISOString(),
        phase: 'paused',
        configPath: ws.configPath,
        baseHash: sha256(text),
        newHash: sha256(`${text}\n# new`),
        backup: null,
        targets: [ref],
        paused: [ref],
      }),
    )

    agent = await startDevAgent(AGENT_ID)
    host = await startApiHost(
      hostSettings({
        workspace: ws,
        tokens,
        tag: TAG,
        services: [
          {
            name: 'orch',
            selector: labels('orch'),
            reload: { signal: 'SIGUSR1', logPattern: 'Config reloaded', timeoutMs: 15_000 },
          },
          {
            name: 'scan',
            selector: labels('scan'),
            reload: { signal: 'SIGHUP', logPattern: 'Config reloaded', timeoutMs: 15_000 },
            supervise: { desired: 1, autoHeal: false, intervalMs: 1000 },
          },
        ],
        // Every private route is tried with a wrong token below, all from 127.0.0.1: lift the
        // failed-auth lockout here (auth-throttle.int.test.ts tests it on a host of its own).
        api: { authFailuresPerMinute: 100_000 },
      }),
      tokens,
    )
  })

  afterAll(async () => {
    await agent?.stop()
    await host?.dispose()
    if (enabled) await removeFixtures({ sdapi: RUN })
    await ws?.cleanup()
    const redis = newTestRedis()
    try {
      const k = redisKeysFor(TAG)
      await redis.del(k.tradingKey, k.killswitchKey)
    } finally {
      redis.disconnect()
    }
  })

  describe('the route table', () => {
    it('is derived from the contract and has every route issue 8 lists', async () => {
      const keys = routes.map((r) => `${r.method} ${r.path}`)
      expect(keys).toEqual(expect.arrayContaining(ISSUE_8_ROUTES))
      // Each route is one contract operation with an http field, nothing else.
      for (const r of routes) {
        const http = (operations[r.op] as { http?: { method: string; path: string } }).http
        expect(http).toEqual({ method: r.method, path: r.path })
        expect(r.scope).toBe(operations[r.op].scope)
      }
      const withHttp = Object.entries(operations)
        .filter(([, d]) => (d as { http?: unknown }).http)
        .map(([n]) => n)
      expect(routes.map((r) => r.op).sort()).toEqual(withHttp.sort())
      // The document the host serves lists the same routes.
      const doc = await host.client.get('/openapi.json')
      expect(doc.status).toBe(200)
      const paths = (doc.json as { paths: Record<string, Record<string, unknown>> }).paths
      for (const r of routes)
        expect(paths[r.path]?.[r.method.toLowerCase()], `${r.method} ${r.path} in openapi.json`).toBeDefined()
    })

    it('GET /health needs no token and reports status, uptime, version, Docker and Redis reachability', async () => {
      const r = await host.client.get('/health')
      expect(r.status).toBe(200)
      expect(resultErrors('app.health', r.json)).toEqual([])
      const h = r.json as OpResult<'app.health'>
      expect(h).toMatchObject({ status: 'ok', docker: { ok: true }, redis: { ok: true } })
      expect(h.version).toMatch(/^\d+\.\d+\.\d+/)
      expect(h.uptimeS).toBeGreaterThan(0)
    })

    it('GET /openapi.json and GET /docs need no token', async () => {
      const doc = await host.client.get('/openapi.json')
      expect(doc.status).toBe(200)
      expect((doc.json as { openapi: string }).openapi).toBe('3.1.0')
      const page = await host.client.get('/docs')
      expect(page.status).toBe(200)
      expect(page.headers['content-type']).toMatch(/text\/html/)
      for (const r of routes) expect(page.text).toContain(r.path)
    })
  })

  // ---- happy paths: one per route, in an order where each leaves the stack as it found it ------------

  const happy: Array<[OperationName, () => Promise<void>]> = [
    [
      'workflow.status',
      async () => {
        const s = await ok('workflow.status', {}, readToken())
        expect(s.running).toBeNull()
        expect(s.recovery?.runId).toBe(`interrupted-${RUN}`)
        expect(s.recovery?.stillPaused.map((c) => c.id)).toEqual([orch[1]])
      },
    ],
    [
      'workflow.recover',
      async () => {
        expect(await dockerState(orch[1] as string)).toBe('paused')
        const r = await ok('workflow.recover', { action: 'resume' }, operateToken())
        expect(r.dismissed).toBe(false)
        expect(r.resumed).toEqual([expect.objectContaining({ id: orch[1], outcome: 'ok' })])
        expect(await dockerState(orch[1] as string)).toBe('running')
        expect((await ok('workflow.status', {}, readToken())).recovery).toBeNull()
      },
    ],
    [
      'app.health',
      async () => {
        const h = await ok('app.health', {}, undefined)
        expect(h.status).toBe('ok')
      },
    ],
    [
      'app.info',
      async () => {
        const i = await ok('app.info', {}, readToken())
        expect(i.who).toBe(TOKEN_NAMES.read)
        expect(i.pid).toBe(host.proc.pid)
      },
    ],
    [
      'settings.get',
      async () => {
        const s = await ok('settings.get', {}, readToken())
        const text = JSON.stringify(s)
        for (const t of ['read', 'operate', 'admin'] as const) {
          expect(text).not.toContain(tokens[t])
          expect(text).not.toContain(sha256(tokens[t]))
        }
        expect(s.source).toBe(host.settingsPath)
      },
    ],
    [
      'stack.list',
      async () => {
        const s = await ok('stack.list', {}, readToken())
        const ids = (name: string) =>
          s.services
            .find((x) => x.name === name)
            ?.containers.map((c) => c.id)
            .sort()
        expect(ids('orch')).toEqual([...orch].sort())
        expect(ids('scan')).toEqual([...scan])
        expect(s.endpoints).toEqual([expect.objectContaining({ id: 'test', reachable: true })])
      },
    ],
    [
      'stack.status',
      async () => {
        const s = await ok('stack.status', {}, readToken())
        expect(s.state).toBe('running')
        expect(s.counts.running).toBe(3)
        expect(s.counts.paused).toBe(0)
      },
    ],
    [
      'stack.pause',
      async () => {
        const r = await ok('stack.pause', { reason: `route test ${RUN}` }, operateToken())
        expect(r.ok).toBe(true)
        expect(r.totals.ok).toBe(3)
        expect(await dockerStates([...orch, ...scan])).toEqual(['paused', 'paused', 'paused'])
        const back = await ok('stack.resume', {}, operateToken())
        expect(back.totals.ok).toBe(3)
        expect(await dockerStates([...orch, ...scan])).toEqual(['running', 'running', 'running'])
      },
    ],
    [
      'stack.resume',
      async () => {
        await ok('stack.pause', { target: { service: 'scan' } }, operateToken())
        expect(await dockerStates([...orch, ...scan])).toEqual(['running', 'running', 'paused'])
        const r = await ok(
          'stack.resume',
          { target: { service: 'scan' }, reason: 'route test' },
          operateToken(),
        )
        expect(r.containers).toEqual([
          expect.objectContaining({ id: scan[0], outcome: 'ok', state: 'running' }),
        ])
        expect(await dockerState(scan[0] as string)).toBe('running')
      },
    ],
    [
      'stack.signal',
      async () => {
        const before = await Promise.all(
          orch.map(async (id) => countLines(await containerLogs(id), /Config reloaded/)),
        )
        const r = await ok('stack.signal', { target: { service: 'orch' }, signal: 'SIGUSR1' }, operateToken())
        expect(r.totals.ok).toBe(2)
        expect(r.signal).toBe('SIGUSR1')
        // The signal really reached each process: its trap printed one more reload line.
        await Promise.all(
          orch.map((id, i) => waitForLog(id, /Config reloaded/, 10_000, { after: before[i] })),
        )
      },
    ],
    [
      'stack.configViews',
      async () => {
        const r = await ok('stack.configViews', { readFiles: true }, readToken())
        expect(r.singleFileMounts).toBe('refuse')
        expect(r.hostSha256).toBe(sha256(await readFile(ws.configPath, 'utf8')))
        const ids = r.containers.map((c) => c.id).sort()
        expect(ids).toEqual([...orch, ...scan].sort())
        for (const c of r.containers) {
          expect(c.view.kind, c.name).toBe('directory')
          expect(c.view.containerPath).toBe('/config/config.toml')
          expect(c.refusal).toBeNull()
          expect(c.file?.matchesHost, c.fileError ?? '').toBe(true)
        }
      },
    ],
    [
      'stack.restart',
      async () => {
        const t0 = await startedAt(scan[0] as string)
        const r = await ok(
          'stack.restart',
          { target: { service: 'scan' }, reason: 'route test' },
          operateToken(),
        )
        expect(r.totals.ok).toBe(1)
        expect(await startedAt(scan[0] as string)).not.toBe(t0)
        expect(await dockerState(scan[0] as string)).toBe('running')
      },
    ],
    [
      'config.load',
      async () => {
        const c = await ok('config.load', {}, readToken())
        const text = await readFile(ws.configPath, 'utf8')
        expect(c.text).toBe(text)
        expect(c.hash).toBe(sha256(text))
        expect(c.valid).toBe(true)
        expect(c.path).toBe(ws.configPath)
      },
    ],
    [
      'config.validate',
      async () => {
        const text = await edited((t) => t.replace('max_open_orders = 40', 'max_open_orders = 41'))
        const v = await ok('config.validate', { text }, readToken())
        expect(v.ok).toBe(true)
        expect(v.diff?.changes).toEqual([
          expect.objectContaining({ pointer: '/risk/max_open_orders', before: 40, after: 41 }),
        ])
        const bad = await ok(
          'config.validate',
          { text: text.replace('max_open_orders = 41', 'max_open_orders = "many"') },
          readToken(),
        )
        expect(bad.ok).toBe(false)
        expect(bad.errorKind).toBe('schema')
        expect(bad.errors[0]?.path).toBe('/risk/max_open_orders')
      },
    ],
    [
      'config.save',
      async () => {
        const before = await readFile(ws.configPath, 'utf8')
        const text = before.replace('max_open_orders = 40', 'max_open_orders = 42')
        expect(text).not.toBe(before)
        const r = await ok('config.save', { text, baseHash: sha256(before) }, operateToken())
        expect(await readFile(ws.configPath, 'utf8')).toBe(text)
        expect(r.hash).toBe(sha256(text))
        expect(await readFile(join(ws.configDir, r.backup), 'utf8')).toBe(before)
      },
    ],
    [
      'config.backups',
      async () => {
        const b = await ok('config.backups', {}, readToken())
        const onDisk = (await readdir(ws.configDir)).filter((f) => f.startsWith('config.toml.bak.'))
        expect(b.backups.map((x) => x.name).sort()).toEqual(onDisk.sort())
        expect(b.backups.length).toBeGreaterThan(0)
      },
    ],
    [
      'config.diff',
      async () => {
        const newest = (await ok('config.backups', {}, readToken())).backups[0]
        expect(newest).toBeDefined()
        const d = await ok('config.diff', { backup: newest?.name }, readToken())
        expect(d.valid).toBe(true)
        expect(d.diff.changes).toEqual([
          expect.objectContaining({ pointer: '/risk/max_open_orders', before: 42, after: 40 }),
        ])
      },
    ],
    [
      'config.restore',
      async () => {
        const newest = (await ok('config.backups', {}, readToken())).backups[0]
        const current = await readFile(ws.configPath, 'utf8')
        const wanted = await readFile(join(ws.configDir, newest?.name as string), 'utf8')
        const r = await ok(
          'config.restore',
          { backup: newest?.name, baseHash: sha256(current) },
          operateToken(),
        )
        expect(r.restoredFrom).toBe(newest?.name)
        expect(await readFile(ws.configPath, 'utf8')).toBe(wanted)
        expect(await readFile(join(ws.configDir, r.backup), 'utf8')).toBe(current)
      },
    ],
    [
      'workflow.saveAndRestart',
      async () => {
        const before = await readFile(ws.configPath, 'utf8')
        const text = before.replace('log_level = "info"', 'log_level = "debug"')
        expect(text).not.toBe(before)
        const reloadsBefore = await Promise.all(
          [...orch, ...scan].map(async (id) => countLines(await containerLogs(id), /Config reloaded/)),
        )
        const r = await ok(
          'workflow.saveAndRestart',
          { text, baseHash: sha256(before), reason: `route test ${RUN}` },
          operateToken(),
        )
        expect(r.outcome, r.message).toBe('applied')
        expect(r.who).toBe(TOKEN_NAMES.operate)
        expect(r.door).toBe('http')
        // log_level is x-apply hot, and workflow.applyMode defaults to auto: applied without pausing.
        expect(r.mode).toBe('hot')
        expect(r.freezeWindowMs).toBe(0)
        expect(r.steps.map((s) => `${s.step}:${s.status}`)).toEqual([
          'validate:ok',
          'pause:skipped',
          'write:ok',
          'unpause:skipped',
          'reload:ok',
          'verify:ok',
        ])
        expect(r.containers?.every((c) => c.file?.matches === true && c.file.via === 'archive')).toBe(true)
        expect(r.reload.proved.sort()).toEqual(['orch', 'scan'])
        expect(await readFile(ws.configPath, 'utf8')).toBe(text)
        expect(await readFile(join(ws.configDir, r.backup as string), 'utf8')).toBe(before)
        // Every container re-read the NEW file through its bind mount: its reload line carries the new digest.
        await Promise.all(
          [...orch, ...scan].map((id, i) =>
            waitForLog(id, new RegExp(`Config reloaded sha=${md5(text)}`), 10_000, { after: 0 }).then(
              async () => {
                expect(countLines(await containerLogs(id), /Config reloaded/)).toBeGreaterThan(
                  reloadsBefore[i] as number,
                )
              },
            ),
          ),
        )
        expect(await dockerStates([...orch, ...scan])).toEqual(['running', 'running', 'running'])
      },
    ],
    [
      'workflow.history',
      async () => {
        const h = await ok('workflow.history', { limit: 5 }, readToken())
        expect(h.runs[0]).toMatchObject({
          outcome: 'applied',
          who: TOKEN_NAMES.operate,
          reason: `route test ${RUN}`,
        })
      },
    ],
    [
      'schedule.get',
      async () => {
        const s = await ok('schedule.get', {}, readToken())
        expect(s.configured).toBe(true)
        expect(s.rules).toMatchObject({ start: '09:30', stop: '16:00:00', timezone: 'America/New_York' })
        expect(s.upcoming.length).toBeGreaterThan(0)
        expect(s.flag).not.toBeNull()
      },
    ],
    [
      'schedule.preview',
      async () => {
        const p = await ok(
          'schedule.preview',
          {
            rules: {
              start: '09:30',
              stop: '16:00',
              timezone: 'UTC',
              days: ['mon', 'tue', 'wed', 'thu', 'fri'],
            },
            now: '2026-03-02T12:00:00Z',
            n: 3,
          },
          readToken(),
        )
        if (!p.ok) throw new Error(`preview refused: ${JSON.stringify(p.errors)}`)
        expect(p.enabled).toBe(true)
        expect(p.transitions.map((t) => `${t.kind} ${t.at}`)).toEqual([
          'stop 2026-03-02T16:00:00.000Z',
          'start 2026-03-03T09:30:00.000Z',
          'stop 2026-03-03T16:00:00.000Z',
        ])
      },
    ],
    [
      'schedule.override',
      async () => {
        const redis = newTestRedis()
        try {
          const key = redisKeysFor(TAG).tradingKey
          const on = await ok(
            'schedule.override',
            { value: true, until: 'cleared', reason: 'route test' },
            operateToken(),
          )
          expect(on.state).toMatchObject({ source: 'override', enabled: true })
          expect(on.state.override).toMatchObject({ value: true, who: TOKEN_NAMES.operate })
          expect(JSON.parse((await redis.get(key)) ?? 'null')).toMatchObject({ value: true })
          const off = await ok('schedule.override', { value: null }, operateToken())
          expect(off.state.source).toBe('schedule')
          expect(off.state.override).toBeNull()
          expect(JSON.parse((await redis.get(key)) ?? 'null')).toMatchObject({ value: off.state.enabled })
        } finally {
          redis.disconnect()
        }
      },
    ],
    [
      'bus.status',
      async () => {
        const s = await ok('bus.status', {}, readToken())
        expect(s.connection.state).toBe('ready')
        expect(s.totals.messages).toBeGreaterThan(0)
        expect(s.killswitch.engaged).toBe(false)
      },
    ],
    [
      'bus.agents',
      async () => {
        const want = [`orch-${RUN}-0`, `orch-${RUN}-1`, `scan-${RUN}`, AGENT_ID]
        const a = await waitFor('all four agents alive', async () => {
          const r = await ok('bus.agents', {}, readToken())
          return want.every((id) => r.agents.find((x) => x.id === id)?.alive) ? r : undefined
        })
        expect(a.totals.total).toBe(a.agents.length)
        expect(a.totals.alive).toBeGreaterThanOrEqual(4)
        expect(a.connection).toBe('ready')
      },
    ],
    [
      'bus.events',
      async () => {
        const e = await ok('bus.events', { since: 0, limit: 5, type: 'heartbeat' }, readToken())
        expect(e.events.length).toBe(5)
        for (const ev of e.events) expect(ev.channel).toMatch(/^heartbeat\./)
        const ids = e.events.map((x) => x.id)
        expect([...ids].sort((a, b) => a - b)).toEqual(ids)
        // Paging on: the next page starts after the cursor.
        const next = await ok('bus.events', { since: e.nextCursor, limit: 5, type: 'heartbeat' }, readToken())
        for (const ev of next.events) expect(ev.id).toBeGreaterThan(e.nextCursor)
      },
    ],
    [
      'bus.regime',
      async () => {
        const redis = newTestRedis()
        try {
          const regime = `calm-${RUN}`
          await redis.publish(
            'quant.regime.state',
            JSON.stringify({ regime, confidence: 0.75, at: new Date().toISOString() }),
          )
          const v = await waitFor('the regime to arrive', async () => {
            const r = await ok('bus.regime', {}, readToken())
            return r.regime === regime ? r : undefined
          })
          expect(v).toMatchObject({ confidence: 0.75, source: 'live' })
        } finally {
          redis.disconnect()
        }
      },
    ],
    [
      'bus.command',
      async () => {
        const c = await ok(
          'bus.command',
          { agentId: AGENT_ID, type: 'tune', params: { rate: 1 } },
          operateToken(),
        )
        expect(c).toMatchObject({ agentId: AGENT_ID, type: 'tune', state: 'acked', who: TOKEN_NAMES.operate })
        expect(agent.output()).toContain(c.commandId)
      },
    ],
    [
      'bus.commands',
      async () => {
        const c = await ok('bus.commands', { agentId: AGENT_ID, limit: 10 }, readToken())
        expect(c.commands[0]).toMatchObject({ agentId: AGENT_ID, type: 'tune', state: 'acked' })
      },
    ],
    [
      'bus.killswitch.get',
      async () => {
        const k = await ok('bus.killswitch.get', {}, readToken())
        expect(k.engaged).toBe(false)
      },
    ],
    [
      'bus.killswitch.engage',
      async () => {
        const redis = newTestRedis()
        try {
          const r = await ok(
            'bus.killswitch.engage',
            { reason: `route test ${RUN}`, confirm: true },
            operateToken(),
          )
          expect(r.state).toMatchObject({ engaged: true, who: TOKEN_NAMES.operate, stored: true })
          expect(r.actions).toMatchObject({
            store: { status: 'ok' },
            trading: { status: 'ok' },
            announce: { status: 'ok' },
            stackPause: { status: 'ok' },
            audit: { status: 'ok' },
          })
          // The execution agent acknowledged; the state is in Redis; trading is off; the stack is frozen.
          expect(r.state.lastRound?.acked.map((a) => a.agentId)).toContain(AGENT_ID)
          expect(JSON.parse((await redis.get(redisKeysFor(TAG).killswitchKey)) ?? 'null')).toMatchObject({
            engaged: true,
          })
          expect(JSON.parse((await redis.get(redisKeysFor(TAG).tradingKey)) ?? 'null')).toMatchObject({
            value: false,
          })
          expect(await dockerStates([...orch, ...scan])).toEqual(['paused', 'paused', 'paused'])
        } finally {
          redis.disconnect()
          await releaseIfEngaged()
          await resumeAll()
        }
      },
    ],
    [
      'bus.killswitch.release',
      async () => {
        await ok('bus.killswitch.engage', { reason: 'to be released', confirm: true }, operateToken())
        try {
          const r = await ok(
            'bus.killswitch.release',
            { reason: `route test ${RUN}`, confirm: true },
            adminToken(),
          )
          expect(r.state).toMatchObject({ engaged: false, who: TOKEN_NAMES.admin, stored: true })
          expect((await ok('bus.killswitch.get', {}, readToken())).engaged).toBe(false)
        } finally {
          await releaseIfEngaged()
          await resumeAll()
        }
      },
    ],
    [
      'state.get',
      async () => {
        const st = await ok('state.get', {}, readToken())
        // Redis and the engine are up in this suite: both facts are known, with a version and a time.
        expect(st.bus).toMatchObject({ known: true, value: { state: 'ready' } })
        expect(st.killswitch).toMatchObject({ known: true })
        expect(st.engines.length).toBeGreaterThan(0)
        for (const e of st.engines) expect(e.fact).toMatchObject({ known: true, value: { reachable: true } })
        expect(Number.isFinite(Date.parse(st.at))).toBe(true)
      },
    ],
    [
      'trading.resume',
      async () => {
        // Engage and release: trading stays latched off until the resume lifts the latch.
        await ok('bus.killswitch.engage', { reason: 'to be resumed', confirm: true }, operateToken())
        try {
          await ok('bus.killswitch.release', { reason: `resume test ${RUN}`, confirm: true }, adminToken())
          expect(await ok('bus.killswitch.get', {}, readToken())).toMatchObject({ engaged: false, latched: true })
          const r = await ok('trading.resume', { reason: `route test ${RUN}`, confirm: true }, adminToken())
          expect(r.state.killswitch).toMatchObject({ known: true })
          expect(await ok('bus.killswitch.get', {}, readToken())).toMatchObject({ engaged: false, latched: false })
          // A second resume has nothing to lift: a conflict, not a silent success.
          const again = await callRoute('trading.resume', { reason: 'again', confirm: true }, adminToken())
          expect(again.status).toBe(409)
        } finally {
          await releaseIfEngaged()
          await resumeAll()
        }
      },
    ],
    [
      'supervise.status',
      async () => {
        const s = await waitFor('the supervisor to check scan', async () => {
          const r = await ok('supervise.status', {}, readToken())
          return r.services.find((x) => x.service === 'scan' && x.lastCheckAt !== null) ? r : undefined
        })
        expect(s.services.find((x) => x.service === 'scan')).toMatchObject({
          desired: 1,
          actual: 1,
          autoHeal: false,
        })
      },
    ],
    [
      'supervise.reset',
      async () => {
        const r = await ok('supervise.reset', { service: 'scan' }, operateToken())
        expect(r).toMatchObject({ service: 'scan', restarts: 0, consecutiveFailures: 0 })
      },
    ],
    [
      'supervise.restart',
      async () => {
        const t0 = await startedAt(scan[0] as string)
        const r = await ok('supervise.restart', { service: 'scan', reason: 'route test' }, operateToken())
        expect(r.containers).toEqual([expect.objectContaining({ id: scan[0], outcome: 'ok' })])
        expect(await startedAt(scan[0] as string)).not.toBe(t0)
        await waitFor('scan to run again', async () => (await dockerState(scan[0] as string)) === 'running')
      },
    ],
    [
      'audit.query',
      async () => {
        const a = await ok('audit.query', { action: 'stack.pause', limit: 50 }, readToken())
        expect(a.records.length).toBeGreaterThan(0)
        for (const r of a.records) expect(r.action).toBe('stack.pause')
        expect(a.records).toContainEqual(
          expect.objectContaining({
            who: TOKEN_NAMES.operate,
            door: 'http',
            reason: `route test ${RUN}`,
            outcome: 'ok',
            target: 'stack',
          }),
        )
        const ks = await ok('audit.query', { action: 'bus.killswitch', limit: 10 }, readToken())
        expect(ks.records.map((r) => r.action)).toEqual(
          expect.arrayContaining(['bus.killswitch.engage', 'bus.killswitch.release']),
        )
      },
    ],
  ]

  it('has a happy-path case for every route', () => {
    expect(happy.map(([op]) => op).sort()).toEqual(routes.map((r) => r.op).sort())
  })

  describe('happy path: right scope, valid input -> 200 and a result that matches the contract', () => {
    for (const [op, run] of happy) {
      const r = routeOf(op)
      it(`${r.method} ${r.path} (${op})`, run)
    }
  })

  // ---- refusals, for every route ---------------------------------------------------------------------

  /**
   * A schema-valid input for each POST route and the one field we then break: the 400 must name
   * exactly that field. Everything sent here is refused before any handler runs.
   */
  const HASH = 'a'.repeat(64)
  const BAD_POST: Partial<
    Record<OperationName, { valid: Record<string, unknown>; field: string; bad: unknown }>
  > = {
    'stack.pause': { valid: { target: { service: 'orch' }, reason: 'x' }, field: 'reason', bad: 42 },
    'stack.resume': { valid: { target: { service: 'orch' } }, field: 'target', bad: 'orch' },
    'stack.restart': { valid: { target: { service: 'scan' } }, field: 'target', bad: ['scan'] },
    'stack.signal': {
      valid: { target: { service: 'orch' }, signal: 'SIGUSR1' },
      field: 'signal',
      bad: 'SIGSTOP',
    },
    'workflow.saveAndRestart': {
      valid: { text: 'a = 1', baseHash: HASH },
      field: 'baseHash',
      bad: 'not-a-hash',
    },
    'workflow.recover': { valid: { action: 'dismiss' }, field: 'action', bad: 'explode' },
    'bus.killswitch.engage': { valid: { reason: 'r', confirm: true }, field: 'confirm', bad: false },
    'bus.killswitch.release': { valid: { reason: 'r', confirm: true }, field: 'reason', bad: '   ' },
    'trading.resume': { valid: { reason: 'r', confirm: true }, field: 'confirm', bad: false },
    'bus.command': {
      valid: { agentId: AGENT_ID, type: 'pause' },
      field: 'agentId',
      bad: 'no spaces allowed',
    },
    'config.validate': { valid: { text: 'a = 1' }, field: 'text', bad: 5 },
    'config.save': { valid: { text: 'a = 1', baseHash: HASH }, field: 'baseHash', bad: HASH.toUpperCase() },
    'config.diff': {
      valid: { backup: 'config.toml.bak.20250101_000000' },
      field: 'backup',
      bad: '../../etc/passwd',
    },
    'config.restore': {
      valid: { backup: 'config.toml.bak.20250101_000000', baseHash: HASH },
      field: 'backup',
      bad: '/etc/config.toml.bak.20250101_000000',
    },
    'schedule.preview': { valid: { rules: { start: '09:30', stop: '16:00' } }, field: 'n', bad: 0 },
    'schedule.override': { valid: { value: true }, field: 'value', bad: 'on' },
    'supervise.reset': { valid: { service: 'scan' }, field: 'service', bad: '' },
    'supervise.restart': { valid: { service: 'scan' }, field: 'reason', bad: 'x'.repeat(501) },
  }

  /** The bad request for a route: a broken field (POST), limit=0 (GET with a limit) or an unknown query parameter. */
  function badRequest(r: Route): {
    send: (token?: string, headers?: Record<string, string>) => Promise<ApiResponse>
    field: string
  } {
    if (r.method === 'POST') {
      const spec = BAD_POST[r.op]
      if (!spec) throw new Error(`no bad-input case for ${r.op}`)
      const body = { ...spec.valid, [spec.field]: spec.bad }
      // The case must really be "valid except this field", or the test proves nothing.
      expect(inputAccepted(r.op, spec.valid), `${r.op} base input`).toBe(true)
      expect(inputAccepted(r.op, body), `${r.op} broken input`).toBe(false)
      return { field: `/${spec.field}`, send: (t, h) => host.client.post(r.path, body, t, h) }
    }
    const props = (operations[r.op].input as { properties?: Record<string, unknown> }).properties ?? {}
    if ('limit' in props)
      return { field: '/limit', send: (t, h) => host.client.get(`${r.path}?limit=0`, t, h) }
    return { field: '/bogus', send: (t, h) => host.client.get(`${r.path}?bogus=1`, t, h) }
  }

  function expectError(res: ApiResponse, status: number, code: string): void {
    expect(res.status, res.text.slice(0, 500)).toBe(status)
    expect(errorOf(res)?.code).toBe(code)
    expect(typeof errorOf(res)?.message).toBe('string')
    expect(res.text).not.toMatch(STACK_TRACE_RE)
  }

  const tokenFor = (r: Route) => tokens[r.scope]

  describe('bad input -> 400 naming the field', () => {
    for (const r of routes) {
      it(`${r.method} ${r.path}`, async () => {
        const bad = badRequest(r)
        const res = await bad.send(r.public ? undefined : tokenFor(r))
        expectError(res, 400, 'invalid_input')
        expect(errorOf(res)?.path).toBe(bad.field)
        expect(errorOf(res)?.message).toContain(bad.field)
        if (r.method === 'GET' && bad.field === '/limit') {
          // And an unknown query parameter is named too.
          const unknown = await host.client.get(`${r.path}?bogus=1`, tokenFor(r))
          expectError(unknown, 400, 'invalid_input')
          expect(errorOf(unknown)?.path).toBe('/bogus')
        }
      })
    }
  })

  describe('no token -> 401, wrong token -> 401 (the public /health answers without one)', () => {
    for (const r of routes) {
      it(`${r.method} ${r.path}`, async () => {
        const bad = badRequest(r)
        const none = await bad.send()
        if (r.public) {
          expect(r.path).toBe('/health')
          expectError(none, 400, 'invalid_input')
          expect((await host.client.get(r.path)).status).toBe(200)
          return
        }
        expectError(none, 401, 'unauthorized')
        expectError(await bad.send(tokens.wrong), 401, 'unauthorized')
        // A malformed Authorization header is no better than none.
        expectError(await bad.send(undefined, { authorization: tokenFor(r) }), 401, 'unauthorized')
      })
    }
  })

  describe('wrong scope -> 403', () => {
    const below: Record<'operate' | 'admin', Array<'read' | 'operate'>> = {
      operate: ['read'],
      admin: ['read', 'operate'],
    }
    for (const r of routes.filter((x) => x.scope !== 'read')) {
      it(`${r.method} ${r.path} (needs ${r.scope})`, async () => {
        for (const weaker of below[r.scope as 'operate' | 'admin']) {
          const res = await badRequest(r).send(tokens[weaker])
          expectError(res, 403, 'forbidden')
          expect(errorOf(res)?.message).toContain(r.scope)
        }
      })
    }
    it('every read route answers the read token (no hidden scope)', async () => {
      for (const r of routes.filter((x) => x.scope === 'read' && x.method === 'GET')) {
        const res = await host.client.get(r.path, tokens.read)
        expect(res.status, `${r.path}: ${res.text.slice(0, 300)}`).toBe(200)
      }
    })
  })

  describe('foreign Host -> 421, foreign Origin -> 403', () => {
    for (const r of routes) {
      it(`${r.method} ${r.path}`, async () => {
        const bad = badRequest(r)
        const token = r.public ? undefined : tokenFor(r)
        expectError(await bad.send(token, { host: `evil.example:${host.port}` }), 421, 'forbidden')
        expectError(await bad.send(token, { host: `127.0.0.1:${host.port + 1}` }), 421, 'forbidden')
        expectError(await bad.send(token, { origin: 'https://evil.example' }), 403, 'forbidden')
        expectError(
          await bad.send(token, { origin: `http://127.0.0.1.evil.example:${host.port}` }),
          403,
          'forbidden',
        )
        // Its own origin passes the guard (and then meets the 400 of the bad input).
        expectError(await bad.send(token, { origin: `http://127.0.0.1:${host.port}` }), 400, 'invalid_input')
      })
    }
    it('guards the public documents too', async () => {
      for (const p of ['/openapi.json', '/docs', '/health']) {
        expect((await host.client.get(p, undefined, { host: `evil.example:${host.port}` })).status).toBe(421)
        expect((await host.client.get(p, undefined, { origin: 'https://evil.example' })).status).toBe(403)
      }
    })
  })

  describe('rate limit -> 429 (a host of its own, so nothing else is throttled)', () => {
    let ws2: ApiWorkspace
    let limited: ApiHost
    beforeAll(async () => {
      ws2 = await createApiWorkspace()
      limited = await startApiHost(
        hostSettings({
          workspace: ws2,
          tokens,
          tag: `${TAG}-rl`,
          services: [],
          api: { rateLimitPerMinute: 5 },
          schedule: { enabled: false },
        }),
        tokens,
      )
    })
    afterAll(async () => {
      await limited?.dispose()
      await ws2?.cleanup()
    })

    it('answers 429 with rate_limited once a token spends its budget, per token', async () => {
      const statuses: number[] = []
      let refused: ApiResponse | undefined
      for (let i = 0; i < 8; i++) {
        const r = await limited.client.get('/status', tokens.read)
        statuses.push(r.status)
        if (r.status === 429) refused ??= r
      }
      // A budget of 5 per minute: 5 pass (a 6th at most if a refill landed), then refusals.
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200])
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2)
      expect(statuses.every((s) => s === 200 || s === 429)).toBe(true)
      expect(refused && errorOf(refused)?.code).toBe('rate_limited')
      expect(typeof (refused && errorOf(refused)?.message)).toBe('string')
      // Buckets are per token, and the public health check is not metered.
      expect((await limited.client.get('/status', tokens.operate)).status).toBe(200)
      expect((await limited.client.get('/health')).status).toBe(200)
    })
  })
})
