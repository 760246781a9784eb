import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Static } from 'typebox'
import type { Core } from '@core/wiring/create-core'
import { operations } from '@core/api/contract'
import type { BusEvent } from '@core/api/contract/bus'
import { AuditLog } from '@core/audit/audit-log'
import { createAuditHandlers } from '@core/audit/audit-handlers'
import type { Host } from '../server/host'
import { startStackdeckUnderTest } from '../../test-support/stackdeck-under-test'
import { sha256Hex } from '../server/tokens'
import { parseCsv } from './csv-reader'

/**
 * Runs the real CLI (`node --import tsx electron/cli/main.ts`) against a real host on a loopback
 * port. Docker and Redis are absent; the few domain operations the CLI formats are answered by
 * stand-ins that the host checks against the contract (validateResults), so their shapes are real.
 */
const ROOT = resolve(import.meta.dirname, '../..')
const MAIN = resolve(import.meta.dirname, 'main.ts')
const ADMIN = 'cli-admin-token-0123456789abcdef'
const READER = 'cli-reader-token-0123456789abcdef'
const HASH = 'c'.repeat(64)

let core: Core
let stopSut: (() => Promise<void>) | undefined
let host: Host
let dir: string
let audit: AuditLog
const received: Record<string, unknown[]> = {}
const busEvents: Array<Static<typeof BusEvent>> = []
/** What the history.events stand-in serves: 1,234 events, some with payloads that CSV must quote. */
const storedEvents = Array.from({ length: 1234 }, (_, i) => ({
  cursor: i + 1,
  receivedAt: new Date(Date.UTC(2026, 11, 2, 8, 0, 0, i)).toISOString(),
  channel: i % 2 ? 'strategy.alpha' : 'data.market.quotes',
  type: i % 2 ? 'strategy' : 'data.market',
  source: i === 7 ? 'src, "quoted"\nsecond line' : 'scanner-1',
  agent: null,
  payload: i === 7 ? '{"text":"a,b \\"c\\"\\nline two"}' : `{"n":${i}}`,
  host: 'cli-test',
}))

const has = (op: string) => Object.hasOwn(operations, op)
const record = (op: string, input: unknown) => (received[op] ??= []).push(input)
const now = () => new Date().toISOString()

function busEvent(id: number, channel: string): Static<typeof BusEvent> {
  return {
    id,
    channel,
    type: channel.split('.').slice(0, 2).join('.'),
    source: 'agent-1',
    ts: now(),
    payload: { n: id },
  }
}

function actionResult(input: { target?: { service?: string } }) {
  const broken = input.target?.service === 'broken'
  const c = {
    id: 'abc123',
    name: 'scanner-1',
    service: input.target?.service ?? 'scanner',
    endpoint: 'local',
    ms: 12,
  }
  return {
    action: 'pause' as const,
    signal: null,
    target: input.target ?? {},
    ok: !broken,
    at: now(),
    ms: 40,
    containers: [
      {
        ...c,
        outcome: broken ? ('failed' as const) : ('ok' as const),
        state: broken ? ('running' as const) : ('paused' as const),
        ...(broken ? { error: 'daemon said no' } : {}),
      },
    ],
    totals: {
      ok: broken ? 0 : 1,
      already: 0,
      skipped: 0,
      gone: 0,
      failed: broken ? 1 : 0,
      timeout: 0,
      all: 1,
    },
    unreachable: [],
    announced: true,
  }
}

function standIns(): Partial<Record<string, (input: never) => Promise<unknown>>> {
  return {
    'stack.status': async () => ({
      at: now(),
      state: 'paused',
      counts: { running: 1, paused: 1, restarting: 0, exited: 0, dead: 0, created: 0, removing: 0 },
      containers: [],
      endpoints: [
        {
          id: 'local',
          url: 'unix:///x.sock',
          reachable: true,
          watching: true,
          error: null,
          since: now(),
          containers: 2,
        },
      ],
    }),
    'stack.pause': async (input: { target?: { service?: string } }) => {
      record('stack.pause', input)
      return actionResult(input)
    },
    'bus.events': async (input: { since?: number; limit?: number; type?: string; source?: string }) => {
      // As the contract describes: type is a channel prefix at a dot boundary.
      const t = input.type
      const after = busEvents.filter(
        (e) =>
          (input.since === undefined || e.id > input.since) &&
          (t === undefined || e.channel === t || e.channel.startsWith(`${t}.`)) &&
          (input.source === undefined || e.source === input.source),
      )
      const page =
        input.since === undefined ? after.slice(-(input.limit ?? 50)) : after.slice(0, input.limit ?? 50)
      return { events: page, nextCursor: page.at(-1)?.id ?? input.since ?? 0, dropped: 0 }
    },
    // The host runs without a store; this one history operation is a stand-in, so paging goes
    // over real HTTP with results checked against the contract. The others answer "history is off".
    'history.events': async (input: { after?: number; limit?: number; channel?: string }) => {
      const limit = input.limit ?? 100
      const after = storedEvents.filter((e) => input.after === undefined || e.cursor > input.after)
      const page = after.slice(0, limit)
      return { events: page, next: after.length > limit ? (page.at(-1)?.cursor ?? null) : null }
    },
    'config.load': async () => ({
      path: '/x/config.toml',
      text: 'a = 1\n',
      value: { a: 1 },
      hash: HASH,
      mtime: now(),
      valid: true,
      errorKind: null,
      errors: [],
      schema: {},
      schemaPath: '/x/schema.json',
    }),
    'workflow.saveAndRestart': async (input: { text: string; baseHash: string; mode?: string }) => {
      record('workflow.saveAndRestart', input)
      const t = now()
      const hot = input.mode === 'hot'
      const check = (name: string, file: object) => ({
        id: `${name}-id`,
        name,
        service: 'scanner',
        endpoint: 'local',
        before: 'running' as const,
        pausedByRun: !hot,
        expected: 'running' as const,
        after: 'running',
        ok: true,
        reload: 'not_proved' as const,
        note: 'running again, no reload evidence',
        file,
      })
      return {
        runId: 'run-1',
        who: 'admin',
        door: 'http',
        startedAt: t,
        endedAt: t,
        totalMs: 812,
        outcome: 'applied_unconfirmed' as const,
        message: 'Applied; scanner did not log its reload within 10 s.',
        steps: [{ step: 'validate' as const, status: 'ok' as const, ms: 3 }],
        diff: { summary: '1 change', changes: [{ pointer: '/a', apply: 'hot' }] },
        backup: 'config.toml.bak.20250101_000000',
        newHash: 'd'.repeat(64),
        freezeWindowMs: hot ? 0 : 120,
        freezeClock: hot ? ('none' as const) : ('engine' as const),
        freezeWindowClientMs: hot ? null : 164,
        mode: hot ? ('hot' as const) : ('paused' as const),
        writeMode: 'atomic' as const,
        containers: [
          check('scanner-1', { view: 'directory', containerPath: '/config/config.toml', via: 'archive', sha256: 'd'.repeat(64), matches: true, note: 'sees the new file (archive read)' }),
          check('scanner-2', { view: 'directory', containerPath: '/cfg/config.toml', via: 'archive', sha256: 'e'.repeat(64), matches: false, note: 'reads another file at /cfg/config.toml' }),
        ],
        reload: { proved: [], notProved: ['scanner'], unverifiable: [] },
        leftPaused: [],
        pausedBefore: [],
      }
    },
    'stack.configViews': async (input: { readFiles?: boolean }) => {
      record('stack.configViews', input)
      const read = input.readFiles === true
      const mount = (source: string, destination: string, rw: boolean) => ({ type: 'bind' as const, source, destination, rw })
      const view = (kind: 'directory' | 'file' | 'none', m: ReturnType<typeof mount> | null) => ({
        kind,
        containerPath: m ? '/config/config.toml' : null,
        mount: m,
        sightings: m && kind !== 'none' ? [{ kind, containerPath: '/config/config.toml', mount: m, matchedBy: 'realpath' as const }] : [],
        volumes: [],
        sameHost: true,
        reason: null,
        notes: [],
      })
      const base = { endpoint: 'local', service: 'scanner', state: 'running', fileError: null, inside: null, insideError: null }
      const archive = (sha: string, matchesHost: boolean, provesContainerView: boolean) =>
        read ? { path: '/config/config.toml', resolvedPath: '/config/config.toml', size: 6, sha256: sha, matchesHost, provesContainerView } : null
      return {
        at: now(),
        configPath: '/srv/cfg/config.toml',
        realPath: '/srv/cfg/config.toml',
        hostSha256: HASH,
        singleFileMounts: 'refuse' as const,
        containers: [
          { ...base, id: 'dir-id', name: 'scanner-dir', view: view('directory', mount('/srv/cfg', '/config', false)), refusal: null, file: archive(HASH, true, true) },
          {
            ...base,
            id: 'file-id',
            name: 'scanner-file',
            view: view('file', mount('/srv/cfg/config.toml', '/config/config.toml', true)),
            refusal: {
              summary: 'container scanner-file (file-id) bind-mounts the single file /srv/cfg/config.toml at /config/config.toml',
              why: 'the mount is pinned to the old inode',
              fix: { replace: '- /srv/cfg/config.toml:/config/config.toml', with: '- /srv/cfg:/config:ro' },
              containerPathAfter: '/config/config.toml',
              caveats: ['recreate the container (docker compose up -d) for the new mount to take effect'],
              text: 'all of the above',
            },
            file: archive(HASH, true, false),
            inside: read ? { path: '/config/config.toml', size: 5, sha256: 'f'.repeat(64), matchesHost: false } : null,
          },
          { ...base, id: 'none-id', name: 'scanner-none', view: view('none', null), refusal: null, file: null },
        ],
      }
    },
    'bus.killswitch.engage': async (input: { reason: string }) => {
      record('bus.killswitch.engage', input)
      const ok = { status: 'ok' as const }
      return {
        state: {
          engaged: true,
          latched: true,
          reason: input.reason,
          who: 'admin',
          at: now(),
          version: 2,
          stored: true,
          lastRound: null,
        },
        actions: {
          store: ok,
          trading: { status: 'failed' as const, error: 'redis down' },
          announce: ok,
          stackPause: ok,
          audit: ok,
        },
        warnings: ['trading flag not written'],
      }
    },
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stackdeck-cli-'))
  audit = new AuditLog({ path: join(dir, 'audit.jsonl') })
  await audit.append({
    who: 'alice',
    door: 'http',
    action: 'stack.pause',
    target: 'stack',
    reason: 'lunch',
    outcome: 'ok',
  })
  await audit.append({
    who: 'bob',
    door: 'ws',
    action: 'bus.killswitch.engage',
    reason: 'spike',
    outcome: 'partial',
  })
  const extra = { ...standIns(), ...createAuditHandlers(audit) }
  const sut = await startStackdeckUnderTest({
    settings: {
      docker: { endpoints: [{ id: 'none', url: 'unix:///nonexistent/docker.sock' }] },
      redis: { url: 'redis://127.0.0.1:1' },
      // Everything the core writes stays in the temp dir.
      stateDir: join(dir, 'state'),
      config: { path: join(dir, 'config.toml') },
      api: {
        port: 0,
        rateLimitPerMinute: 10_000,
        tokens: [{ name: 'dashboard', sha256: sha256Hex(READER), scope: 'read' }],
      },
    },
    inProcess: {
      version: '9.9.9',
      env: { STACKDECK_TOKEN: ADMIN },
      validateResults: true,
      // Only rows the contract has: the dispatcher never reaches a handler for anything else.
      onCore: (c) => {
        const handlers = c.handlers as unknown as Record<string, unknown>
        for (const [op, fn] of Object.entries(extra)) if (has(op)) handlers[op] = fn
      },
    },
  })
  stopSut = sut.stop
  core = sut.core
  host = sut.host
})
afterAll(async () => {
  await stopSut?.()
  await audit.close()
  await rm(dir, { recursive: true, force: true })
})

interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

function cli(
  args: string[],
  opts: { env?: Record<string, string | undefined>; input?: string } = {},
): Promise<Ran> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    STACKDECK_URL: host.url,
    STACKDECK_TOKEN: ADMIN,
    ...opts.env,
  }
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k]
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }))
    child.stdin.end(opts.input ?? '')
  })
}

async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

describe('stackdeck CLI against a real host', () => {
  it('health: exit 0 without a token; --json parses; --strict exits 5 when degraded', async () => {
    const [plain, json, strict] = await Promise.all([
      cli(['health'], { env: { STACKDECK_TOKEN: undefined } }),
      cli(['health', '--json'], { env: { STACKDECK_TOKEN: undefined } }),
      cli(['health', '--strict']),
    ])
    expect(plain.code, plain.stderr).toBe(0)
    expect(plain.stdout).toMatch(/Stackdeck 9\.9\.9/)
    expect(plain.stdout).toMatch(/docker\s+unreachable/)
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ version: '9.9.9', status: 'degraded' })
    expect(strict.code).toBe(5)
  }, 60_000)

  it('call app.info and info: exit 0, the host knows who we are', async () => {
    const [call, info, infoJson] = await Promise.all([
      cli(['call', 'app.info']),
      cli(['info']),
      cli(['info', '--json']),
    ])
    expect(call.code, call.stderr).toBe(0)
    expect(JSON.parse(call.stdout)).toMatchObject({ who: 'admin', version: '9.9.9' })
    expect(info.code).toBe(0)
    expect(info.stdout).toMatch(/you are\s+admin/)
    expect(JSON.parse(infoJson.stdout)).toMatchObject({ who: 'admin' })
  }, 60_000)

  it('call reads input from stdin with - and reports a field error with exit 1', async () => {
    const [stdin, bad] = await Promise.all([
      cli(['call', 'app.info', '-'], { input: '{}' }),
      cli(['call', 'app.info', '{"bogus":1}']),
    ])
    expect(stdin.code, stdin.stderr).toBe(0)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/invalid_input.*\/bogus/)
  }, 60_000)

  it('wrong or missing token: exit 4, with --json an error object', async () => {
    const [wrong, missing, json] = await Promise.all([
      cli(['call', 'app.info', '--token', 'wrong-token-0123456789abcdef']),
      cli(['info'], { env: { STACKDECK_TOKEN: undefined } }),
      cli(['info', '--json'], { env: { STACKDECK_TOKEN: 'nope-nope-nope-nope' } }),
    ])
    expect(wrong.code).toBe(4)
    expect(wrong.stderr).toMatch(/unauthorized/)
    expect(missing.code).toBe(4)
    expect(missing.stderr).toMatch(/STACKDECK_TOKEN/)
    expect(json.code).toBe(4)
    expect(JSON.parse(json.stdout)).toEqual({
      error: expect.objectContaining({ code: 'unauthorized' }) as unknown,
    })
  }, 60_000)

  it('a read token calling an operate operation: exit 4 (forbidden)', async () => {
    const operateOp = Object.entries(operations).find(([, d]) => d.scope !== 'read')?.[0]
    expect(operateOp).toBeDefined()
    const r = await cli(['call', operateOp ?? '', '{}', '--token', READER])
    expect(r.code).toBe(4)
    expect(r.stderr).toMatch(/forbidden/)
  }, 60_000)

  it('unreachable host: exit 3', async () => {
    const port = await freePort()
    const [flag, env] = await Promise.all([
      cli(['health', '--url', `http://127.0.0.1:${port}`]),
      cli(['status', '--json'], { env: { STACKDECK_URL: `http://127.0.0.1:${port}` } }),
    ])
    expect(flag.code).toBe(3)
    expect(flag.stderr).toMatch(/cannot reach Stackdeck/)
    expect(env.code).toBe(3)
    expect(JSON.parse(env.stdout)).toEqual({
      error: expect.objectContaining({ code: 'unreachable' }) as unknown,
    })
  }, 60_000)

  it('an operation the host does not offer: exit 1 with a clear message', async () => {
    const cases: Array<[string[], string]> = [[['call', 'no.such.operation'], 'no.such.operation']]
    for (const [args, op] of [
      [['schedule'], 'schedule.get'],
      [['audit'], 'audit.query'],
      [['agents'], 'bus.agents'],
    ] as Array<[string[], string]>) {
      if (!has(op)) cases.push([args, op])
    }
    const results = await Promise.all(cases.map(([args]) => cli(args)))
    results.forEach((r, i) => {
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`this host does not offer ${cases[i]?.[1] ?? '?'}`)
    })
  }, 60_000)

  it('usage errors exit 2 before touching the host', async () => {
    const bad = [
      ['frobnicate'],
      ['pause', '--nope'],
      ['pause', '--service', 'a', '--container', 'b'],
      ['call'],
      ['call', 'app.info', '{not json'],
      ['killswitch', 'engage', '--reason', 'x'],
      ['killswitch', 'engage', '--yes'],
      ['killswitch', 'explode'],
      ['save-restart'],
      ['save-restart', '--file', join(dir, 'missing.toml'), '--yes'],
      ['save-restart', '--file', join(dir, 'missing.toml'), '--yes', '--paused', '--hot'],
      ['config-views', 'extra'],
      ['events', '--limit', 'lots'],
      ['health', '--timeout', '0'],
      [],
      ['audit', '--door', 'window'],
      ['status', '--url', 'http://10.0.0.5:7420'],
    ]
    const results = await Promise.all(bad.map((args) => cli(args)))
    results.forEach((r, i) => expect(r.code, `${bad[i]?.join(' ')}: ${r.stderr}`).toBe(2))
    expect(results[0]?.stderr).toMatch(/unknown command "frobnicate"/)
    expect(results[5]?.stderr).toMatch(/--yes/)
    expect(results.at(-2)?.stderr).toMatch(/--door is one of ipc, http, ws, scheduler, supervisor, system/)
    // A token in clear across the network: refused before any request, with the ways that work.
    expect(results.at(-1)?.stderr).toMatch(/--url: refused plain http:\/\/ to 10\.0\.0\.5:7420.*ssh -L/)
    const help = await cli(['--help'])
    expect(help.code).toBe(0)
    for (const c of ['status', 'pause', 'save-restart', 'config-views', 'killswitch', 'events', 'audit', 'call'])
      expect(help.stdout).toContain(c)
  }, 90_000)
})

describe('stackdeck CLI commands (domain stand-ins behind the real host)', () => {
  it(
    'pause passes target and reason; a failed container exits 5',
    async () => {
      const [ok, partial] = await Promise.all([
        cli(['pause', '--service', 'scanner', '--reason', 'lunch']),
        cli(['pause', '--service', 'broken', '--json']),
      ])
      expect(ok.code, ok.stderr).toBe(0)
      expect(ok.stdout).toMatch(/pause service scanner: ok/)
      expect(ok.stdout).toMatch(/scanner-1\s+scanner\s+ok\s+paused/)
      expect(partial.code).toBe(5)
      expect(JSON.parse(partial.stdout)).toMatchObject({ ok: false, totals: { failed: 1 } })
      expect(received['stack.pause']).toContainEqual({ target: { service: 'scanner' }, reason: 'lunch' })
    },
    60_000,
  )

  it(
    'status prints the stack state; killswitch and schedule are best effort',
    async () => {
      const r = await cli(['status'])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/stack\s+PAUSED \(1 running, 1 paused\)/)
      const j = await cli(['status', '--json'])
      expect(JSON.parse(j.stdout)).toMatchObject({ stack: { state: 'paused' } })
    },
    60_000,
  )

  it(
    'save-restart sends the file with the current hash; an unproved reload exits 5',
    async () => {
      const file = join(dir, 'new.toml')
      await writeFile(file, 'a = 2\n')
      const r = await cli(['save-restart', '--file', file, '--yes', '--reason', 'tighten risk'])
      expect(r.code, r.stderr).toBe(5)
      expect(r.stdout).toMatch(/APPLIED UNCONFIRMED/)
      expect(r.stdout).toMatch(/reload NOT proved: scanner/)
      expect(r.stdout).toMatch(/^mode: paused$/m)
      expect(r.stdout).toMatch(/^freeze: frozen 120 ms \(engine events; Stackdeck's clock 164 ms\)$/m)
      expect(r.stdout).toMatch(/scanner-1\s+directory\s+archive\s+new\s+sees the new file \(archive read\)/)
      expect(r.stdout).toMatch(/scanner-2\s+directory\s+archive\s+DIFFERS\s+reads another file/)
      const sent = received['workflow.saveAndRestart'] ?? []
      expect(sent).toContainEqual(expect.objectContaining({ text: 'a = 2\n', baseHash: HASH, reason: 'tighten risk' }))
      // No flag: the host decides (settings workflow.applyMode).
      expect(sent.find((i) => (i as { reason?: string }).reason === 'tighten risk')).not.toHaveProperty('mode')
    },
    60_000,
  )

  it(
    'save-restart --paused and --hot send the mode; a hot run prints "not paused"',
    async () => {
      const file = join(dir, 'mode.toml')
      await writeFile(file, 'a = 3\n')
      const [paused, hot] = await Promise.all([
        cli(['save-restart', '--file', file, '--yes', '--reason', 'forced pause', '--paused']),
        cli(['save-restart', '--file', file, '--yes', '--reason', 'hot only', '--hot']),
      ])
      expect(paused.code, paused.stderr).toBe(5)
      expect(hot.code, hot.stderr).toBe(5)
      expect(hot.stdout).toMatch(/^mode: hot \(every changed field is x-apply hot: nothing was paused\)$/m)
      expect(hot.stdout).toMatch(/^freeze: not paused$/m)
      expect(received['workflow.saveAndRestart']).toContainEqual(expect.objectContaining({ reason: 'forced pause', mode: 'paused' }))
      expect(received['workflow.saveAndRestart']).toContainEqual(expect.objectContaining({ reason: 'hot only', mode: 'hot' }))
    },
    60_000,
  )

  it(
    'config-views prints each container\'s view and the compose fix; --read compares the bytes and exits 5 when one differs',
    async () => {
      const [plain, read, json] = await Promise.all([cli(['config-views']), cli(['config-views', '--read']), cli(['config-views', '--json'])])
      expect(plain.code, plain.stderr).toBe(0)
      expect(plain.stdout).toMatch(/single-file mounts: refused by Save & Restart/)
      expect(plain.stdout).toMatch(/scanner-dir\s+scanner\s+directory\s+\/config\/config\.toml\s+\/srv\/cfg:\/config:ro/)
      expect(plain.stdout).toMatch(/scanner-file\s+scanner\s+SINGLE FILE\s+\/config\/config\.toml\s+\/srv\/cfg\/config\.toml:\/config\/config\.toml$/m)
      expect(plain.stdout).toMatch(/scanner-none\s+scanner\s+not mounted/)
      expect(plain.stdout).toContain('replace\n    - /srv/cfg/config.toml:/config/config.toml\n  with\n    - /srv/cfg:/config:ro')
      expect(plain.stdout).not.toMatch(/BYTES/)
      expect(read.code, read.stderr).toBe(5)
      expect(read.stdout).toMatch(/scanner-dir .*\ssame\s+archive read c{12}/)
      expect(read.stdout).toMatch(/scanner-file .*\sdiffers\s+inside \(exec cat\) f{12}; the archive read cannot prove a single-file mount/)
      expect(json.code).toBe(0)
      expect(JSON.parse(json.stdout)).toMatchObject({ singleFileMounts: 'refuse', containers: [{ name: 'scanner-dir' }, { name: 'scanner-file' }, { name: 'scanner-none' }] })
      expect(received['stack.configViews']).toContainEqual({ readFiles: true })
      expect(received['stack.configViews']).toContainEqual({ readFiles: false })
    },
    60_000,
  )

  it(
    'killswitch engage needs --yes and a reason; a failed action exits 5',
    async () => {
      const r = await cli(['killswitch', 'engage', '--reason', 'flash crash', '--yes'])
      expect(r.code, r.stderr).toBe(5)
      expect(r.stdout).toMatch(/ENGAGED by admin/)
      expect(r.stdout).toMatch(/trading\s+failed\s+redis down/)
      expect(received['bus.killswitch.engage']).toContainEqual({ reason: 'flash crash', confirm: true })
    },
    60_000,
  )

  it(
    'events pages and --follow streams over the WebSocket, with type filter and catch-up',
    async () => {
      busEvents.push(busEvent(1, 'heartbeat.agent-1'), busEvent(2, 'risk.limits'))
      const page = await cli(['events', '--json'])
      expect(page.code, page.stderr).toBe(0)
      expect((JSON.parse(page.stdout) as { events: unknown[] }).events).toHaveLength(2)

      const env: NodeJS.ProcessEnv = { ...process.env, STACKDECK_URL: host.url, STACKDECK_TOKEN: ADMIN }
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', MAIN, 'events', '--follow', '--type', 'heartbeat'],
        { cwd: ROOT, env },
      )
      let out = ''
      let err = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.stderr.on('data', (d: Buffer) => (err += d.toString()))
      const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)))
      try {
        // The first page arrives over the socket, so once it is printed the stream is subscribed.
        await expect.poll(() => out, { timeout: 30_000 }).toMatch(/#1 .*heartbeat\.agent-1/)
        const update = (events: Array<Static<typeof BusEvent>>, skipped: number) =>
          core.hub.emit('bus.update', {
            seq: 1,
            at: now(),
            agents: [],
            totals: { total: 0, alive: 0, dead: 0, paused: 0, unknown: 0 },
            events,
            eventsSkipped: skipped,
            cursor: busEvents.at(-1)?.id ?? 0,
          })
        const e3 = busEvent(3, 'heartbeat.agent-2')
        const e4 = busEvent(4, 'data.market.btc')
        busEvents.push(e3, e4)
        update([e3, e4], 0)
        await expect.poll(() => out, { timeout: 15_000 }).toMatch(/#3 .*heartbeat\.agent-2/)
        // Events left out of a batch are fetched by cursor.
        const e5 = busEvent(5, 'heartbeat.agent-3')
        busEvents.push(e5)
        update([], 1)
        await expect.poll(() => out, { timeout: 15_000 }).toMatch(/#5 .*heartbeat\.agent-3/)
        expect(out).not.toMatch(/risk\.limits|data\.market/)
        expect(out.match(/#3 /g)).toHaveLength(1)
      } finally {
        child.kill('SIGINT')
      }
      expect(await exited, err).toBe(0)
    },
    90_000,
  )

  it(
    'audit lists records from the host, filtered',
    async () => {
      const [all, filtered] = await Promise.all([
        cli(['audit', '--limit', '5']),
        cli(['audit', '--action', 'bus', '--json']),
      ])
      expect(all.code, all.stderr).toBe(0)
      expect(all.stdout).toMatch(/1\s+\S+\s+alice\s+http\s+stack\.pause\s+stack\s+ok\s+lunch/)
      expect(all.stdout).toMatch(/bob\s+ws\s+bus\.killswitch\.engage/)
      expect(filtered.code).toBe(0)
      expect(JSON.parse(filtered.stdout)).toMatchObject({
        records: [{ seq: 2, who: 'bob', outcome: 'partial' }],
        more: false,
      })
    },
    60_000,
  )
})

describe('stackdeck history against a real host (no store; history.events a stand-in)', () => {
  it('history status: the store is off, exit 1; --json gives the status', async () => {
    const [plain, json] = await Promise.all([cli(['history', 'status']), cli(['history', 'status', '--json'])])
    expect(plain.code, plain.stderr).toBe(1)
    expect(plain.stdout).toMatch(/^history\s+OFF \((pglite|postgres)\): history is off \(store\.enabled = false in the settings\)$/m)
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({ enabled: false, state: 'off' })
  }, 60_000)

  it("history state/agent/counts: the host's 503 message, exit 1 (--json: the error object)", async () => {
    const [state, agent, counts] = await Promise.all([
      cli(['history', 'state', '--kind', 'killswitch']),
      cli(['history', 'agent', 'exec-1', '--since', '1d']),
      cli(['history', 'counts', '--json']),
    ])
    for (const [r, op] of [[state, 'history.state'], [agent, 'history.agent']] as const) {
      expect(r.code, r.stderr).toBe(1)
      expect(r.stderr).toBe(
        `stackdeck: ${op} failed: unavailable: history is off (store.enabled = false in the settings) (see \`stackdeck history status\`)\n`,
      )
    }
    expect(counts.code).toBe(1)
    expect(JSON.parse(counts.stdout)).toEqual({
      error: expect.objectContaining({ code: 'unavailable', message: 'history is off (store.enabled = false in the settings)' }) as unknown,
    })
  }, 60_000)

  it('history events --all --format csv pages over HTTP and reads back; jsonl and the table too', async () => {
    const [csv, jsonl, table] = await Promise.all([
      cli(['history', 'events', '--all', '--format', 'csv']),
      cli(['history', 'events', '--limit', '1001', '--format', 'jsonl']),
      cli(['history', 'events', '--limit', '3']),
    ])
    expect(csv.code, csv.stderr).toBe(0)
    const records = parseCsv(csv.stdout)
    expect(records).toHaveLength(1 + storedEvents.length)
    expect(records[0]).toEqual(['cursor', 'receivedAt', 'channel', 'type', 'source', 'agent', 'host', 'payload'])
    const odd = storedEvents[7]
    expect(records[8]).toEqual([String(odd?.cursor), odd?.receivedAt, odd?.channel, odd?.type, odd?.source, '', 'cli-test', odd?.payload])
    expect(records.slice(1).map((r) => Number(r[0]))).toEqual(storedEvents.map((e) => e.cursor))

    expect(jsonl.code, jsonl.stderr).toBe(0)
    const lines = jsonl.stdout.trimEnd().split('\n')
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(storedEvents.slice(0, 1001))
    expect(jsonl.stderr).toBe('more events match: continue with --after 1001, or use --all\n')

    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toMatch(/^CURSOR\s+RECEIVED\s+CHANNEL\s+SOURCE\s+AGENT\s+PAYLOAD$/m)
    expect(table.stdout).toMatch(/^3\s+2026-12-02T08:00:00\.002Z\s+data\.market\.quotes\s+scanner-1\s+\{"n":2\}$/m)
    expect(table.stdout).toMatch(/^\(more events match: continue with --after 3, or use --all\)$/m)
  }, 60_000)

  it('history usage errors exit 2 and name the flag', async () => {
    const [since, from, fmt, none] = await Promise.all([
      cli(['history', 'events', '--since', 'an hour']),
      cli(['history', 'counts', '--from', 'monday']),
      cli(['history', 'events', '--format', 'xml']),
      cli(['history']),
    ])
    expect(since.code).toBe(2)
    expect(since.stderr).toMatch(/^stackdeck: --since: "an hour" is not a duration/)
    expect(from.code).toBe(2)
    expect(from.stderr).toMatch(/^stackdeck: --from: "monday" is not a time/)
    expect(fmt.code).toBe(2)
    expect(fmt.stderr).toMatch(/--format is one of table, json, jsonl, csv/)
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/history needs a subcommand/)
  }, 60_000)
})
