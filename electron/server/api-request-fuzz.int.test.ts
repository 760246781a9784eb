/**
 * Hostile requests beyond the body (api-fuzz.int.test.ts fuzzes bodies): static paths, duplicate
 * headers, content types, `null` bodies, non-finite numbers and invalid UTF-8, on the REAL built
 * host with the private Docker engine and Redis behind it. Seeded (printed; STACKDECK_FUZZ_SEED
 * replays) and bounded: a few thousand requests, well under a minute.
 *
 * Asserted for every answer: no 5xx, no stack trace, every 4xx carries error.code and message;
 * plus the specific status each case must get (400, 415). Nothing destructive may run: operations
 * that change anything only ever get requests that are refused before or by the core.
 */
import { request } from 'node:http'
import { connect } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { operations, type OperationName } from '@core/api/contract'
import { hasTestDocker } from '../../e2e/support/docker-fixtures'
import { hasTestRedis, newTestRedis } from '../../e2e/support/redis-fixture'
import {
  createApiWorkspace,
  ensureBuilt,
  errorOf,
  hostSettings,
  makeTokens,
  randomTag,
  redisKeysFor,
  startApiHost,
  STACK_TRACE_RE,
  type ApiHost,
  type ApiResponse,
  type ApiWorkspace,
} from '../../e2e/support/api-harness'
import { buildRouteTable } from './routes'

const enabled = hasTestDocker() && hasTestRedis()
const TAG = `apireq-${randomTag()}`
const tokens = makeTokens()
const SEED = Number(process.env['STACKDECK_FUZZ_SEED'] ?? Date.now() % 2_147_483_647)
const MAX_BODY = 65_536

const opNames = Object.keys(operations) as OperationName[]
const isSafe = (op: OperationName) => operations[op].scope === 'read'
const tokenFor = (op: OperationName) => tokens[operations[op].scope]
const required = (op: OperationName) =>
  ((operations[op].input as { required?: string[] }).required ?? []).length > 0

const postTargets = [
  ...[...buildRouteTable().values()]
    .filter((r) => r.method === 'POST')
    .map((r) => ({ path: r.path, op: r.op })),
  ...opNames.map((op) => ({ path: `/api/rpc/${op}`, op })),
]

/**
 * Right-shaped inputs of operations that change things, which the core must refuse (no such
 * service, container, backup or hash). Only these may reach an unsafe handler here.
 */
const HASH = 'b'.repeat(64)
const REFUSED_BY_CORE: Partial<Record<OperationName, Record<string, unknown>>> = {
  'stack.pause': { target: { service: 'nosuch' }, reason: 'fuzz' },
  'stack.resume': { target: { service: 'nosuch' }, reason: 'fuzz' },
  'stack.restart': { target: { service: 'nosuch' } },
  'stack.signal': { target: { service: 'nosuch' }, signal: 'SIGHUP' },
  'workflow.saveAndRestart': { text: 'x = 1', baseHash: HASH, reason: 'fuzz' },
  'config.save': { text: 'x = 1', baseHash: HASH },
  'config.diff': { backup: 'config.toml.bak.20000101_000000' },
  'config.restore': { backup: 'config.toml.bak.20000101_000000', baseHash: HASH },
  'supervise.reset': { service: 'nosuch' },
  'supervise.restart': { service: 'nosuch', container: 'nosuch', reason: 'fuzz' },
}
const SAFE_BASE: Partial<Record<OperationName, Record<string, unknown>>> = {
  'workflow.history': { limit: 3 },
  'bus.events': { since: 0, limit: 10 },
  'bus.commands': { agentId: 'nobody', limit: 3 },
  'config.validate': { text: 'x = 1' },
  'schedule.preview': {
    rules: { start: '09:30', stop: '16:00', timezone: 'UTC', days: ['mon'], holidays: [], early_closes: [] },
    now: '2026-01-05T12:00:00Z',
    n: 2,
  },
  'audit.query': { since: 0, limit: 5 },
}
/** A body that may be sent to `op` and is then refused (or, for read operations, merely answered). */
const baseOf = (op: OperationName): Record<string, unknown> | null =>
  isSafe(op) ? (SAFE_BASE[op] ?? {}) : (REFUSED_BY_CORE[op] ?? null)
/** A body no operation accepts: an unknown key is refused by every closed input schema. */
const refusedBody = (op: OperationName) => ({ ...(baseOf(op) ?? {}), '~fuzz-unknown': 1 })

// ---- plumbing ------------------------------------------------------------------------------------

let host: ApiHost

/** One request on its own connection, headers as pairs so a header can repeat. */
function raw(
  method: string,
  path: string,
  headers: Array<[string, string]>,
  body?: Buffer | string,
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const hasHost = headers.some(([k]) => k.toLowerCase() === 'host')
    const flat = [...(hasHost ? [] : [['host', host.hostHeader]]), ...headers].flat()
    const req = request(
      { host: '127.0.0.1', port: host.port, method, path, headers: flat, agent: false, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let json: unknown
          try {
            json = text === '' ? undefined : (JSON.parse(text) as unknown)
          } catch {
            json = undefined
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
        })
      },
    )
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)))
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}

async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++] as T)
    }),
  )
}

/** Every answer is tallied; a suite fails on the first few problems it lists. */
const statuses = new Map<number, number>()
function problemsOf(r: ApiResponse, expectStatus?: number): string[] {
  statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
  const out: string[] = []
  if (r.status >= 500 || r.status < 200) out.push(`status ${r.status}`)
  if (STACK_TRACE_RE.test(r.text)) out.push('stack trace in the answer')
  if (r.status >= 400 && r.status < 500 && r.text !== '') {
    const e = errorOf(r)
    if (typeof e?.code !== 'string' || typeof e.message !== 'string')
      out.push('4xx without error.code and error.message')
  }
  if (expectStatus !== undefined && r.status !== expectStatus)
    out.push(`expected ${expectStatus}, got ${r.status}`)
  return out
}

interface Case {
  label: string
  send: () => Promise<ApiResponse>
  expectStatus?: number
  /** Extra checks on the answer; return problems. */
  check?: (r: ApiResponse) => string[]
}

async function runCases(cases: Case[], concurrency = 8): Promise<string[]> {
  const problems: string[] = []
  await pool(cases, concurrency, async (c) => {
    let r: ApiResponse
    try {
      r = await c.send()
    } catch (err) {
      problems.push(`${c.label}: transport error ${(err as Error).message}`)
      return
    }
    const why = [...problemsOf(r, c.expectStatus), ...(c.check?.(r) ?? [])]
    if (why.length > 0 && problems.length < 20)
      problems.push(`${c.label}: ${why.join('; ')} :: ${r.text.slice(0, 200)}`)
  })
  return problems
}

const badPercent = (path: string) => {
  try {
    decodeURIComponent(new URL(path, 'http://x').pathname)
    return false
  } catch {
    return true
  }
}

describe.skipIf(!enabled)('fuzzing the control API beyond bodies (real host, engine, Redis)', () => {
  let ws: ApiWorkspace

  beforeAll(async () => {
    ensureBuilt()
    ws = await createApiWorkspace()
    host = await startApiHost(
      hostSettings({
        workspace: ws,
        tokens,
        tag: TAG,
        services: [],
        api: { maxBodyBytes: MAX_BODY, rateLimitPerMinute: 100_000 },
        schedule: { enabled: false },
      }),
      tokens,
    )
    console.log(`[api-request-fuzz] seed ${SEED} (set STACKDECK_FUZZ_SEED to replay)`)
  })

  afterAll(async () => {
    await host?.dispose()
    await ws?.cleanup()
    if (!enabled) return
    const redis = newTestRedis()
    try {
      const k = redisKeysFor(TAG)
      await redis.del(k.tradingKey, k.killswitchKey)
    } finally {
      redis.disconnect()
    }
  })

  it('static and odd paths: bad percent-encoding is 400, nothing is 5xx', async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        '%',
        '%zz',
        '%ff',
        '%e9',
        '%00',
        '%2e%2e',
        '..',
        '%2f',
        '',
        'assets',
        'index.html',
        '%c0%af',
        '%%',
        '%u002e',
        '%ed%a0%80',
        'api',
        'rpc',
        'ws',
        'docs',
      ),
      fc.stringMatching(/^[A-Za-z0-9%._~!$&'()*+,;=:@-]{1,24}$/),
      fc.constant('a'.repeat(300)),
    )
    const paths = fc.sample(
      fc
        .tuple(
          fc.array(segment, { minLength: 1, maxLength: 6 }),
          fc.stringMatching(/^(\?[A-Za-z0-9%=&]{0,20})?$/),
        )
        .map(([s, q]) => `/${s.join('/')}${q}`),
      { numRuns: 600, seed: SEED },
    )
    paths.push(
      '/%',
      '/%zz',
      '/assets/%ff',
      '/assets/%e9.js',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2fetc%2fpasswd',
    )
    const cases: Case[] = paths.flatMap((p) => {
      const expectStatus = badPercent(p) ? 400 : undefined
      return [
        { label: `GET ${p}`, send: () => raw('GET', p, []), ...(expectStatus ? { expectStatus } : {}) },
        {
          label: `GET ${p} (token)`,
          send: () => raw('GET', p, [['authorization', `Bearer ${tokens.read}`]]),
          ...(expectStatus ? { expectStatus } : {}),
        },
      ]
    })
    expect(await runCases(cases), `seed ${SEED}`).toEqual([])
    for (const p of ['/%', '/%zz', '/assets/%ff']) expect((await raw('GET', p, [])).status, p).toBe(400)
    expect(host.alive()).toBe(true)
  })

  it('duplicate Host, Authorization, Origin and Content-Type headers are 400, on HTTP and on the WS upgrade', async () => {
    const h = host.hostHeader
    const own = `http://${h}`
    const auth = `Bearer ${tokens.read}`
    const dups: Array<[string, Array<[string, string]>]> = [
      [
        'two equal Hosts',
        [
          ['host', h],
          ['host', h],
        ],
      ],
      [
        'an allowed and a foreign Host',
        [
          ['host', h],
          ['host', 'evil.example'],
        ],
      ],
      [
        'a foreign and an allowed Host',
        [
          ['host', 'evil.example'],
          ['host', h],
        ],
      ],
      [
        'two Authorizations',
        [
          ['authorization', auth],
          ['authorization', 'Bearer nope-0123456789abcdef'],
        ],
      ],
      [
        'two Origins',
        [
          ['origin', own],
          ['origin', own],
        ],
      ],
      [
        'two Content-Types',
        [
          ['content-type', 'application/json'],
          ['content-type', 'text/plain'],
        ],
      ],
    ]
    const cases: Case[] = []
    for (const [what, headers] of dups) {
      const withAuth: Array<[string, string]> = headers.some(([k]) => k === 'authorization')
        ? headers
        : [...headers, ['authorization', auth]]
      cases.push({
        label: `GET /status, ${what}`,
        send: () => raw('GET', '/status', withAuth),
        expectStatus: 400,
      })
      cases.push({
        label: `GET /health, ${what}`,
        send: () => raw('GET', '/health', headers),
        expectStatus: 400,
      })
      cases.push({
        label: `POST /api/rpc/app.info, ${what}`,
        send: () => raw('POST', '/api/rpc/app.info', withAuth, '{}'),
        expectStatus: 400,
      })
    }
    expect(await runCases(cases)).toEqual([])
    const one = await raw('GET', '/health', [
      ['host', h],
      ['host', h],
    ])
    expect(errorOf(one)?.message).toBe('The request carries 2 host headers; send exactly one')

    // The upgrade, by hand: ws clients cannot send a header twice.
    const upgrade = (extra: string) =>
      new Promise<string>((resolve, reject) => {
        const sock = connect(host.port, '127.0.0.1')
        let got = ''
        // The answer's head is all we need; a 101 leaves the socket open, so stop reading there.
        sock.on('data', (d: Buffer) => {
          got += d.toString('latin1')
          if (got.includes('\r\n\r\n')) {
            sock.destroy()
            resolve(got)
          }
        })
        sock.on('close', () => resolve(got))
        sock.on('error', reject)
        sock.write(
          `GET /api/ws HTTP/1.1\r\nHost: ${h}\r\n${extra}Upgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n` +
            `Sec-WebSocket-Protocol: stackdeck.v1, bearer.${tokens.read}\r\n\r\n`,
        )
      })
    expect(await upgrade(`Host: evil.example\r\n`)).toMatch(/^HTTP\/1\.1 400 /)
    expect(await upgrade(`Origin: ${own}\r\nOrigin: https://evil.example\r\n`)).toMatch(/^HTTP\/1\.1 400 /)
    expect(await upgrade('')).toMatch(/^HTTP\/1\.1 101 /)
    expect(host.alive()).toBe(true)
  })

  it('content types: anything but JSON is 415 on every POST target; a body without one is 415 too', async () => {
    const notJson = [
      'text/plain',
      'text/plain;charset=UTF-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/jsonp',
      'json',
      '',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      '*/*',
    ]
    const json = [
      'application/json',
      'APPLICATION/JSON',
      'application/json; charset=utf-8',
      'application/json;charset="UTF-8"',
      'application/merge-patch+json',
    ]
    const cases: Case[] = []
    for (const t of postTargets) {
      const token = tokenFor(t.op)
      const body = JSON.stringify(refusedBody(t.op))
      for (const ct of notJson) {
        cases.push({
          label: `POST ${t.path} content-type "${ct}"`,
          send: () =>
            raw(
              'POST',
              t.path,
              [
                ['authorization', `Bearer ${token}`],
                ['content-type', ct],
              ],
              body,
            ),
          expectStatus: 415,
        })
      }
      // JSON types pass the door and meet the validator: 400 for the unknown key, never 415.
      for (const ct of json) {
        cases.push({
          label: `POST ${t.path} content-type "${ct}"`,
          send: () =>
            raw(
              'POST',
              t.path,
              [
                ['authorization', `Bearer ${token}`],
                ['content-type', ct],
              ],
              body,
            ),
          expectStatus: 400,
        })
      }
      cases.push({
        label: `POST ${t.path} body without content-type`,
        send: () => raw('POST', t.path, [['authorization', `Bearer ${token}`]], body),
        expectStatus: 415,
      })
    }
    expect(await runCases(cases)).toEqual([])
    // An empty body with no content type is "no input": fine where the input is all optional.
    expect(
      (await raw('POST', '/api/rpc/app.info', [['authorization', `Bearer ${tokens.read}`]])).status,
    ).toBe(200)
    expect(host.alive()).toBe(true)
  })

  it('null bodies are refused on every POST target; an empty body is refused where input is required', async () => {
    const cases: Case[] = []
    for (const t of postTargets) {
      const token = [
        ['authorization', `Bearer ${tokenFor(t.op)}`],
        ['content-type', 'application/json'],
      ] as Array<[string, string]>
      for (const body of ['null', ' null ', '\nnull\n', '\uFEFFnull']) {
        const isBom = body.startsWith('\uFEFF')
        cases.push({
          label: `POST ${t.path} ${JSON.stringify(body)}`,
          send: () => raw('POST', t.path, token, body),
          expectStatus: 400,
          check: (r) =>
            isBom || (errorOf(r)?.path === '/' && String(errorOf(r)?.message).includes('not null'))
              ? []
              : ['the refusal does not say null at path /'],
        })
      }
      // An empty body for an operation that changes things and needs no input would act: only send it where it must be refused.
      if (required(t.op)) {
        cases.push({
          label: `POST ${t.path} (empty, input required)`,
          send: () => raw('POST', t.path, token),
          expectStatus: 400,
          check: (r) =>
            typeof errorOf(r)?.path === 'string' && errorOf(r)?.path !== '/' ? [] : ['no field named'],
        })
      }
    }
    expect(await runCases(cases)).toEqual([])
    expect(host.alive()).toBe(true)
  })

  it('non-finite numbers (1e999, -1e999, 1e400) anywhere: no 5xx, and nothing acts', async () => {
    const cases: Case[] = []
    const NON_FINITE = ['1e999', '-1e999', '1e400', '-1e400']
    for (const t of postTargets) {
      const base = baseOf(t.op)
      const token: Array<[string, string]> = [
        ['authorization', `Bearer ${tokenFor(t.op)}`],
        ['content-type', 'application/json'],
      ]
      const props = Object.keys((operations[t.op].input as { properties?: object }).properties ?? {})
      for (const n of NON_FINITE) {
        // As an unknown key: refused by every op whatever ajv makes of the number.
        cases.push({
          label: `POST ${t.path} {"x":${n}}`,
          send: () => raw('POST', t.path, token, `{"~x":${n}}`),
          expectStatus: 400,
        })
        cases.push({ label: `POST ${t.path} ${n}`, send: () => raw('POST', t.path, token, n) })
        if (!base) continue
        // In each real field of a body the core refuses (or, for read operations, answers).
        for (const f of props) {
          const body = JSON.stringify({ ...base, [f]: '@@' }).replace('"@@"', n)
          cases.push({
            label: `POST ${t.path} ${f}=${n}`,
            send: () => raw('POST', t.path, token, body),
            check: (r) =>
              !isSafe(t.op) && r.status < 300 ? ['an operation that changes things answered 2xx'] : [],
          })
        }
      }
    }
    // And in GET query strings, which are converted to numbers by type.
    for (const q of ['limit=1e999', 'since=1e999', 'limit=Infinity', 'since=-1e400', 'limit=NaN']) {
      for (const p of ['/bus/events', '/audit', '/workflow/history'])
        cases.push({
          label: `GET ${p}?${q}`,
          send: () => raw('GET', `${p}?${q}`, [['authorization', `Bearer ${tokens.read}`]]),
        })
    }
    expect(await runCases(cases)).toEqual([])
    expect(host.alive()).toBe(true)
  })

  it('invalid UTF-8 is 400 naming the byte offset; a lone surrogate is 400 naming the field', async () => {
    const auth: Array<[string, string]> = [
      ['authorization', `Bearer ${tokens.read}`],
      ['content-type', 'application/json'],
    ]
    const r = await raw(
      'POST',
      '/config/validate',
      auth,
      Buffer.concat([Buffer.from('{"text":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]),
    )
    expect(r.status).toBe(400)
    expect(errorOf(r)?.message).toBe('Body is not valid UTF-8: byte 0xE9 at offset 12')
    const s = await raw('POST', '/config/validate', auth, '{"text":"x = \\"\\ud800\\""}')
    expect(s.status).toBe(400)
    expect(errorOf(s)?.path).toBe('/text')
    expect(errorOf(s)?.message).toContain('lone surrogate (U+D800) at character offset 5')

    const BAD = [
      [0xe9],
      [0xff],
      [0xc0, 0x80],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0x80],
      [0xe2, 0x82],
    ]
    const bodies = fc.sample(
      fc.tuple(fc.string({ maxLength: 20 }), fc.constantFrom(...BAD), fc.string({ maxLength: 20 })),
      { numRuns: 300, seed: SEED + 7 },
    )
    const cases: Case[] = bodies.flatMap(([pre, bad, post]) => {
      const head = Buffer.from(`{"text":${JSON.stringify(pre).slice(0, -1)}`)
      const body = Buffer.concat([head, Buffer.from(bad), Buffer.from(`${JSON.stringify(post).slice(1)}}`)])
      return postTargets
        .filter(
          (t) => t.op === 'config.validate' || t.op === 'config.save' || t.op === 'workflow.saveAndRestart',
        )
        .map((t) => ({
          label: `POST ${t.path} bad byte after ${head.length}`,
          send: () =>
            raw(
              'POST',
              t.path,
              [
                ['authorization', `Bearer ${tokens.admin}`],
                ['content-type', 'application/json'],
              ],
              body,
            ),
          expectStatus: 400,
          check: (a: ApiResponse) =>
            String(errorOf(a)?.message).includes(`at offset ${head.length}`)
              ? []
              : [`offset ${head.length} not named`],
        }))
    })
    expect(await runCases(cases)).toEqual([])
  })

  it('POST /save-and-restart says its outcome in the status: 422 for a refused config, 409 for a stale hash', async () => {
    const loaded = await host.client.get('/config', tokens.read)
    expect(loaded.status).toBe(200)
    const { hash, text } = loaded.json as { hash: string; text: string }
    const broken = await host.client.post(
      '/save-and-restart',
      { text: 'this is [[ not toml', baseHash: hash, reason: 'fuzz' },
      tokens.operate,
    )
    expect(broken.status, broken.text.slice(0, 300)).toBe(422)
    expect(broken.json).toMatchObject({ outcome: 'failed', errorCode: 'parse_error' })
    const stale = await host.client.post(
      '/save-and-restart',
      { text, baseHash: HASH, reason: 'fuzz' },
      tokens.operate,
    )
    expect(stale.status).toBe(409)
    expect(stale.json).toMatchObject({ outcome: 'failed', errorCode: 'conflict' })
    // The RPC door keeps 200 for the same report: its clients read the envelope.
    const rpc = await host.client.post(
      '/api/rpc/workflow.saveAndRestart',
      { text, baseHash: HASH },
      tokens.operate,
    )
    expect(rpc.status).toBe(200)
    expect(rpc.json).toMatchObject({ ok: true, result: { outcome: 'failed', errorCode: 'conflict' } })
    // Only 'text' with 'value' as well: refused naming the field.
    const both = await host.client.post('/api/rpc/config.validate', { text, value: {} }, tokens.read)
    expect(both.status).toBe(400)
    expect(errorOf(both)?.path).toBe('/value')
  })

  it('afterwards: the host is up, answered no 5xx, and logged no internal error', async () => {
    console.log(
      `[api-request-fuzz] statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`,
    )
    expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([])
    expect(host.alive()).toBe(true)
    expect((await host.client.get('/health')).status).toBe(200)
    expect(host.output()).not.toMatch(/request failed|internal error|FATAL/)
    const audit = await host.client.get('/audit?limit=500', tokens.read)
    const records = (audit.json as { records: Array<{ action: string; outcome: string }> }).records
    expect(records.filter((r) => r.outcome === 'ok' || r.outcome === 'partial')).toEqual([])
  })
})
