/**
 * Malformed bodies against every POST route and the generic `POST /api/rpc/<op>` of every
 * operation, on the REAL built host process with the private Docker engine and Redis behind it.
 *
 * For each target at least 1,000 bodies (fast-check, fixed seed printed on failure): random JSON,
 * one field of the wrong type, unknown keys, strings near the body limit, deep nesting, invalid
 * UTF-8, truncated JSON, prototype-pollution keys. Nothing destructive may run: for operations
 * that change anything (scope operate/admin) a body is sent only when the host's own validator
 * (mirrored here) must refuse it, plus "right shape, wrong value" inputs (unknown services,
 * containers, backups, hashes) that the core must refuse. Asserted for every answer: no 5xx,
 * every 4xx carries error.code and error.message, no stack trace; and afterwards: the host is up,
 * nothing was paused, written, engaged or overridden, and the audit log shows no act that went through.
 */
import { readFile } from 'node:fs/promises'
import fc from 'fast-check'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { operations, type OperationName } from '@core/api/contract'
import type { HttpRoute } from '@core/api/define'
import { hasTestDocker } from '../../test-support/docker-fixtures'
import { hasTestRedis } from '../../test-support/redis-fixture'
import { startStackdeckUnderTest } from '../../test-support/stackdeck-under-test'
import {
  dockerStates,
  errorOf,
  inputAccepted,
  makeTokens,
  randomTag,
  sha256,
  STACK_TRACE_RE,
  type ApiHost,
  type ApiResponse,
  type ApiWorkspace,
} from '../../test-support/api-harness'
import { buildRouteTable } from './routes'
import { decodeUtf8Strict } from './utf8'

const enabled = hasTestDocker() && hasTestRedis()
const RUN = `fuzz-${randomTag()}`
const TAG = `api-${RUN}`
const tokens = makeTokens()
const SEED = Number(process.env['STACKDECK_FUZZ_SEED'] ?? Date.now() % 2_147_483_647)
const PER_TARGET = Number(process.env['STACKDECK_FUZZ_RUNS'] ?? 1000)
const CONCURRENCY = 16
/** Small, so "near the limit" stays cheap; 413 must still be a clean answer. */
const MAX_BODY = 65_536

const opNames = Object.keys(operations) as OperationName[]
const isSafe = (op: OperationName) => operations[op].scope === 'read'
const tokenFor = (op: OperationName) => tokens[operations[op].scope]

interface Target {
  label: string
  path: string
  op: OperationName
  rpc: boolean
  /** The REST path's parameters, which the host puts into the input beside the body. */
  params: Record<string, string>
  /** The body cap: the host's, or the route's own when lower (the heartbeat's 16 KiB). */
  cap: number
}
/** Values for `{param}` path segments: a run and a command that do not exist, so nothing can act. */
const PATH_VALUES: Record<string, string> = { id: 'fuzz-nosuch-run', cmd: 'fuzz-nosuch-cmd', name: 'fuzz-nosuch' }
const capOf = (op: OperationName) => Math.min(MAX_BODY, (operations[op] as { http?: HttpRoute }).http?.maxBodyBytes ?? Infinity)
const targets: Target[] = [
  ...[...buildRouteTable().values()]
    .filter((r) => r.method === 'POST')
    .map((r) => {
      const params = Object.fromEntries(r.params.map((p) => [p, PATH_VALUES[p] ?? 'fuzz']))
      const path = r.path.replace(/\{(\w+)\}/g, (_m, p: string) => encodeURIComponent(params[p] ?? 'fuzz'))
      return { label: `POST ${r.path}`, path, op: r.op, rpc: false, params, cap: capOf(r.op) }
    }),
  ...opNames.map((op) => ({ label: `POST /api/rpc/${op}`, path: `/api/rpc/${op}`, op, rpc: true, params: {}, cap: capOf(op) })),
]

// ---- what a valid input looks like, per operation (the base that single-field mutations break) ----

const HASH = 'b'.repeat(64)
const VALID: Partial<Record<OperationName, Record<string, unknown>>> = {
  'stack.pause': { target: { service: 'nosuch' }, reason: 'fuzz' },
  'stack.resume': { target: { service: 'nosuch' }, reason: 'fuzz' },
  'stack.restart': { target: { service: 'nosuch' } },
  'stack.signal': { target: { service: 'nosuch' }, signal: 'SIGHUP' },
  'workflow.saveAndRestart': { text: 'x = 1', baseHash: HASH, reason: 'fuzz', verifyReload: true },
  'workflow.history': { limit: 3 },
  'workflow.recover': { action: 'dismiss' },
  'bus.events': { since: 0, limit: 10, type: 'heartbeat', source: 'x' },
  'bus.killswitch.engage': { reason: 'fuzz', confirm: true },
  'bus.killswitch.release': { reason: 'fuzz', confirm: true },
  'trading.resume': { reason: 'fuzz', confirm: true },
  'bus.command': { agentId: 'nobody', type: 'tune', params: { a: 1 }, wait: false },
  'bus.commands': { agentId: 'nobody', limit: 3 },
  'config.validate': { text: 'x = 1' },
  'config.save': { text: 'x = 1', baseHash: HASH },
  'config.diff': { backup: 'config.toml.bak.20000101_000000' },
  'history.counts': { from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T01:00:00.000Z' },
  'history.agent': { agent: 'fuzz-agent' },
  'config.restore': { backup: 'config.toml.bak.20000101_000000', baseHash: HASH },
  'schedule.preview': {
    rules: { start: '09:30', stop: '16:00', timezone: 'UTC', days: ['mon'], holidays: [], early_closes: [] },
    now: '2026-01-05T12:00:00Z',
    n: 2,
  },
  'schedule.override': { value: null, until: 'cleared', reason: 'fuzz' },
  'supervise.reset': { service: 'nosuch' },
  'supervise.restart': { service: 'nosuch', container: 'nosuch', reason: 'fuzz' },
  'api.rotateToken': { reason: 'fuzz' },
  // Every field of a service, so each one's mutations are tried; only refused bodies are sent.
  'services.create': {
    name: 'fuzz',
    selector: { app: 'fuzz' },
    endpoint: 'local',
    reload: { signal: 'SIGHUP', logPattern: 'reloaded', timeoutMs: 1000 },
    supervise: { desired: 1, autoHeal: false, healthSource: 'docker', intervalMs: 1000 },
    reason: 'fuzz',
  },
  'services.update': { name: 'fuzz', selector: { app: 'fuzz' }, reload: { signal: null, logPattern: null }, reason: 'fuzz' },
  'services.delete': { name: 'nosuch', reason: 'fuzz' },
  // Runs: every field, on a run that does not exist (the REST path names the same one).
  'runs.create': { agent: 'fuzz-agent', strategy: 's', version: '1', overrides: { a: 1 }, container: 'c', id: 'fuzz-run' },
  'runs.get': { id: 'fuzz-nosuch-run' },
  'runs.list': { state: 'running', agent: 'fuzz-agent', limit: 5 },
  'runs.heartbeat': { id: 'fuzz-nosuch-run', step: 1, checkpoint_version: 1, status: 'training', metrics: { loss: 1 }, message: 'm' },
  'runs.transition': { id: 'fuzz-nosuch-run', to: 'completed', reason: 'fuzz' },
  'runs.commands.create': { id: 'fuzz-nosuch-run', type: 'tune', params: { lr: 0.1 }, commandId: 'fuzz-cmd' },
  'runs.commands.next': { id: 'fuzz-nosuch-run', wait: 0 },
  'runs.commands.ack': { id: 'fuzz-nosuch-run', cmd: 'fuzz-nosuch-cmd', ok: true, message: 'm' },
  'audit.query': {
    since: 0,
    limit: 5,
    action: 'stack',
    who: 'x',
    outcome: 'ok',
    from: '2026-01-01T00:00:00Z',
    to: '2026-12-31T00:00:00Z',
  },
}
const validOf = (op: OperationName) => VALID[op] ?? {}

// ---- generators ------------------------------------------------------------------------------------

type JsonSchema = {
  type?: string | string[]
  anyOf?: JsonSchema[]
  enum?: unknown[]
  const?: unknown
  properties?: Record<string, JsonSchema>
}

function jsonTypesOf(s: JsonSchema): Set<string> | null {
  if (s.anyOf) {
    const all = new Set<string>()
    for (const b of s.anyOf) {
      const t = jsonTypesOf(b)
      if (!t) return null
      t.forEach((x) => all.add(x))
    }
    return all
  }
  if (s.const !== undefined) return new Set([s.const === null ? 'null' : typeof s.const])
  if (s.enum) return new Set(s.enum.map((v) => (v === null ? 'null' : typeof v)))
  if (s.type === undefined) return null // Unknown: anything goes, no wrong type exists
  const types = Array.isArray(s.type) ? s.type : [s.type]
  return new Set(types.map((t) => (t === 'integer' ? 'number' : t)))
}

const KINDS: Record<string, fc.Arbitrary<unknown>> = {
  string: fc.string({ maxLength: 40 }),
  number: fc.oneof(
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(1e308, -0, 2 ** 53 + 1),
  ),
  boolean: fc.boolean(),
  null: fc.constant(null),
  array: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  object: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
}

/** A value whose JSON type the field's schema does not allow (or, for integers, a fraction). */
function wrongValueFor(s: JsonSchema): fc.Arbitrary<unknown> | null {
  const allowed = jsonTypesOf(s)
  if (!allowed) return null
  const arbs = Object.keys(KINDS)
    .filter((k) => !allowed.has(k))
    .map((k) => KINDS[k] as fc.Arbitrary<unknown>)
  if (s.type === 'integer')
    arbs.push(fc.double({ min: 0.001, max: 1e6, noNaN: true }).filter((x) => !Number.isInteger(x)))
  return arbs.length > 0 ? fc.oneof(...arbs) : null
}

const enc = (s: string): Buffer => Buffer.from(s, 'utf8')
const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  'hasOwnProperty',
  'toString',
  'valueOf',
]

/** `cap`: the body limit to probe around (the route's, when it has its own). */
function bodyArbitrary(op: OperationName, cap: number): fc.Arbitrary<{ kind: string; bytes: Buffer }> {
  const schema = operations[op].input as JsonSchema
  const props = Object.keys(schema.properties ?? {})
  const base = validOf(op)
  const fields = props.length > 0 ? props : ['x']
  const tag = (kind: string) => (b: Buffer) => ({ kind, bytes: b })

  const randomJson = fc
    .jsonValue({ maxDepth: 4 })
    .map((v) => enc(JSON.stringify(v)))
    .map(tag('random-json'))
  const randomObject = fc
    .dictionary(
      fc.oneof(fc.constantFrom(...fields, ...PROTO_KEYS), fc.string({ maxLength: 12 })),
      fc.jsonValue({ maxDepth: 3 }),
      { maxKeys: 5 },
    )
    .map((v) => enc(JSON.stringify(v)))
    .map(tag('random-object'))

  const wrongTypes = fields
    .map((f) => {
      const w = wrongValueFor(schema.properties?.[f] ?? {})
      return w ? w.map((v) => enc(JSON.stringify({ ...base, [f]: v }))) : null
    })
    .filter((a): a is fc.Arbitrary<Buffer> => a !== null)
  const wrongType = wrongTypes.length > 0 ? fc.oneof(...wrongTypes).map(tag('wrong-type')) : randomObject

  const extraKey = fc
    .tuple(
      fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !props.includes(k)),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .map(([k, v]) => enc(JSON.stringify({ ...base, [k]: v })))
    .map(tag('unknown-key'))

  const truncated = fc
    .tuple(
      fc.oneof(fc.constant(base as unknown), fc.jsonValue({ maxDepth: 3 })),
      fc.double({ min: 0, max: 0.999, noNaN: true }),
    )
    .map(([v, f]) => {
      const t = JSON.stringify(v)
      return enc(t.slice(0, Math.max(0, Math.floor(t.length * f))))
    })
    .map(tag('truncated'))

  const BAD_BYTES = [
    [0xff],
    [0xfe],
    [0xc0, 0x80],
    [0xc3, 0x28],
    [0xed, 0xa0, 0x80],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
    [0x80],
    [0xe2, 0x82],
    [0xf0, 0x9f, 0x98],
  ]
  const invalidUtf8 = fc
    .tuple(
      fc.constantFrom(...fields),
      fc.array(fc.constantFrom(...BAD_BYTES), { minLength: 1, maxLength: 6 }),
      fc.boolean(),
    )
    .map(([f, bad, quoted]) => {
      const junk = Buffer.from(bad.flat())
      if (!quoted) return Buffer.concat([enc('{"'), junk, enc('":1}')])
      // Well-formed JSON around it: the bad bytes sit inside the string value of a real field.
      const { [f]: _drop, ...rest } = base
      const [pre, post] = JSON.stringify({ ...rest, [f]: 'ZZJUNKZZ' }).split('ZZJUNKZZ') as [string, string]
      return Buffer.concat([enc(pre), junk, enc(post)])
    })
    .map(tag('invalid-utf8'))

  const proto = fc
    .tuple(
      fc.constantFrom(...PROTO_KEYS),
      fc.constantFrom(...fields),
      fc.jsonValue({ maxDepth: 2 }),
      fc.integer({ min: 0, max: 3 }),
    )
    .map(([pk, f, v, shape]) => {
      const polluting = { [pk]: { ...base, admin: true, scope: 'admin', polluted: v } }
      const bodies = [
        `{"${pk}": ${JSON.stringify(polluting[pk])}}`,
        Object.keys(base).length > 0
          ? JSON.stringify({ ...base }).replace(/^\{/, `{"${pk}": {"polluted": true},`)
          : `{"${pk}": {"polluted": true}}`,
        JSON.stringify({
          ...base,
          [f]: JSON.parse(
            `{"${pk}": ${JSON.stringify({ service: 'orch', container: 'orch', value: true })}}`,
          ) as unknown,
        }),
        `{"constructor": {"prototype": ${JSON.stringify({ ...base, polluted: v })}}}`,
      ]
      return enc(bodies[shape] as string)
    })
    .map(tag('proto-pollution'))

  const deep = fc
    .tuple(
      fc.integer({ min: 50, max: cap / 2 - 64 }),
      fc.integer({ min: 0, max: 3 }),
      fc.constantFrom(...fields),
    )
    .map(([depth, shape, f]) => {
      if (shape === 0) return enc('['.repeat(depth) + ']'.repeat(depth))
      if (shape === 1) {
        const d = Math.floor(depth / 6)
        return enc('{"a":'.repeat(d) + '1' + '}'.repeat(d))
      }
      const d = Math.floor(depth / 2) - 20
      const inner = '['.repeat(d) + ']'.repeat(d)
      if (shape === 2) return enc(`{"${f}": ${inner}}`)
      const o = Math.floor(d / 3)
      return enc(
        JSON.stringify({ ...base, [f]: '@' }).replace('"@"', '{"a":'.repeat(o) + '0' + '}'.repeat(o)),
      )
    })
    .map(tag('deep-nesting'))

  const huge = fc
    .tuple(fc.integer({ min: -400, max: 400 }), fc.constantFrom(...fields), fc.integer({ min: 0, max: 2 }))
    .map(([delta, f, shape]) => {
      const overhead = JSON.stringify({ ...base, [f]: '' }).length
      const n = Math.max(0, cap - overhead + delta)
      if (shape === 0) return enc(JSON.stringify({ ...base, [f]: 'x'.repeat(n) }))
      if (shape === 1)
        return enc(JSON.stringify({ ...base, [f]: '9'.repeat(Math.max(1, n)) }).replace(/"(9+)"/, '$1'))
      return enc(JSON.stringify({ ...base, [f]: Array.from({ length: Math.floor(n / 2) }, () => 0) }))
    })
    .map(tag('huge'))

  const oddities = fc
    .constantFrom(
      '',
      ' ',
      '\uFEFF',
      '\uFEFF{}',
      'null',
      'true',
      '0',
      '-0',
      '1e999',
      'NaN',
      '"text"',
      '[]',
      '[{}]',
      '{}{}',
      '{"a":1,}',
      "{'a':1}",
      '{"a":undefined}',
      '\u0000',
      '{"a":"\\ud800"}',
      '{"a":1e400}',
      '{"a":-1e-400}',
      '{"__proto__":null}',
    )
    .map(enc)
    .map(tag('oddity'))

  return fc.oneof(
    { weight: 14, arbitrary: randomJson },
    { weight: 10, arbitrary: randomObject },
    { weight: 20, arbitrary: wrongType },
    { weight: 8, arbitrary: extraKey },
    { weight: 10, arbitrary: truncated },
    { weight: 10, arbitrary: invalidUtf8 },
    { weight: 10, arbitrary: proto },
    { weight: 7, arbitrary: deep },
    { weight: 6, arbitrary: huge },
    { weight: 5, arbitrary: oddities },
  )
}

/** What the host will make of these bytes, computed exactly as it does (body-reader.ts + dispatcher). */
function predict(t: Target, bytes: Buffer): 'too-large' | 'not-json' | 'invalid' | 'valid' {
  const op = t.op
  if (bytes.length > t.cap) return 'too-large'
  let text: string
  try {
    text = decodeUtf8Strict(bytes)
  } catch {
    return 'not-json' // 400 naming the byte offset
  }
  let input: unknown
  if (text.trim() !== '') {
    try {
      input = JSON.parse(text)
    } catch {
      return 'not-json'
    }
  }
  // REST puts the path's parameters into an object body (or makes them the input when there is
  // none); a body naming one with another value is refused, as the host does (routes.ts).
  if (Object.keys(t.params).length > 0) {
    if (input === undefined) input = { ...t.params }
    else if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
      const body = input as Record<string, unknown>
      if (Object.entries(t.params).some(([k, v]) => k in body && body[k] !== v)) return 'invalid'
      input = { ...body, ...t.params }
    }
  }
  try {
    return inputAccepted(op, input) ? 'valid' : 'invalid'
  } catch {
    // Cannot even be copied (too deep): the host cannot hand it to a handler either.
    return 'invalid'
  }
}

// ---- "right shape, wrong value": must be refused by the core, never acted on ----------------------

const unknownName = fc.string({ minLength: 1, maxLength: 30 }).map((s) => `nosuch-${s}`)
function wrongValueArbitrary(op: OperationName): fc.Arbitrary<Record<string, unknown>> | null {
  const target = fc.oneof(
    unknownName.map((service) => ({ service })),
    unknownName.map((container) => ({ container })),
  )
  const hex = fc.stringMatching(/^[a-f0-9]{64}$/)
  const backup = fc.stringMatching(/^[a-z]{1,12}\.bak\.[0-9]{8}_[0-9]{6}$/)
  switch (op) {
    case 'stack.pause':
    case 'stack.resume':
    case 'stack.restart':
      return fc.record({ target, reason: fc.string({ maxLength: 50 }) })
    case 'stack.signal':
      return fc.record({ target, signal: fc.constantFrom('SIGHUP', 'SIGUSR1', 'SIGTERM', 'SIGKILL') })
    case 'supervise.reset':
      return fc.record({ service: unknownName.map((s) => s.slice(0, 64)) })
    case 'supervise.restart':
      return fc.oneof(
        fc.record({ service: unknownName.map((s) => s.slice(0, 64)) }),
        fc.record({ container: unknownName }),
      )
    case 'config.save':
      return fc.record({ text: fc.constant('x = 1'), baseHash: hex })
    case 'config.restore':
      return fc.record({ backup, baseHash: hex })
    case 'config.diff':
      return fc.record({ backup })
    case 'bus.killswitch.release':
      // Not engaged: a release is a conflict.
      return fc.record({
        reason: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => /\S/.test(s)),
        confirm: fc.constant(true as const),
      })
    default:
      return null
  }
}

// ---- plumbing ------------------------------------------------------------------------------------

interface Failure {
  target: string
  kind: string
  status: number
  why: string
  body: string
  answer: string
}

async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++
        await fn(items[i] as T)
      }
    }),
  )
}

const preview = (b: Buffer) => {
  const s = b.toString('utf8')
  return s.length > 160 ? `${s.slice(0, 120)}...(${b.length} bytes)` : s
}

/** Problems with one answer; [] when it is acceptable. */
function judge(
  r: ApiResponse,
  op: OperationName,
  predicted: ReturnType<typeof predict> | 'wrong-value',
): string[] {
  const out: string[] = []
  if (r.status >= 500 || r.status < 200) out.push(`status ${r.status}`)
  if (STACK_TRACE_RE.test(r.text)) out.push('stack trace in the answer')
  if (r.status >= 400 && r.status < 500) {
    const e = errorOf(r)
    if (typeof e?.code !== 'string' || typeof e.message !== 'string')
      out.push('4xx without error.code and error.message')
  }
  if (predicted === 'too-large' && r.status !== 413) out.push(`expected 413, got ${r.status}`)
  if (predicted === 'not-json' && r.status !== 400) out.push(`expected 400 (not JSON), got ${r.status}`)
  if (predicted === 'invalid') {
    if (r.status !== 400) out.push(`expected 400 (schema), got ${r.status}`)
    else if (typeof errorOf(r)?.path !== 'string') out.push('400 without error.path')
  }
  if (predicted === 'wrong-value' && !(r.status >= 400 && r.status < 500))
    out.push(`expected a 4xx for a wrong value, got ${r.status}`)
  if (!isSafe(op) && r.status === 200)
    out.push(`a ${operations[op].scope} operation ANSWERED 200: it may have acted`)
  return out
}

describe.skipIf(!enabled)('fuzzing the control API with malformed bodies (real host, engine, Redis)', () => {
  let ws: ApiWorkspace
  let host: ApiHost
  let fixtures: string[] = []
  let stop: (() => Promise<void>) | undefined
  let configBefore = ''
  const failures: Failure[] = []
  const sent = new Map<string, number>()

  beforeAll(async () => {
    const sut = await startStackdeckUnderTest({
      run: RUN,
      tag: TAG,
      tokens,
      fixtures: { orch: { count: 2 } },
      services: (labels) => [
        { name: 'orch', selector: labels('orch'), reload: { signal: 'SIGUSR1', timeoutMs: 5000 } },
      ],
      api: { maxBodyBytes: MAX_BODY, rateLimitPerMinute: 100_000 },
      // History answers (not 503 "off"): a valid body must reach a working handler.
      store: true,
    })
    stop = sut.stop
    host = sut.host
    ws = sut.ws as ApiWorkspace
    fixtures = sut.fixtures['orch'] ?? []
    configBefore = await readFile(ws.configPath, 'utf8')
    console.log(
      `[api-fuzz] seed ${SEED} (set STACKDECK_FUZZ_SEED to replay), ${PER_TARGET} bodies per target, ${targets.length} targets`,
    )
  })

  afterAll(async () => {
    await stop?.()
  })

  it('covers every POST route and every operation through /api/rpc', () => {
    const routes = [...buildRouteTable().values()].filter((r) => r.method === 'POST')
    expect(
      targets
        .filter((t) => !t.rpc)
        .map((t) => t.op)
        .sort(),
    ).toEqual(routes.map((r) => r.op).sort())
    expect(
      targets
        .filter((t) => t.rpc)
        .map((t) => t.op)
        .sort(),
    ).toEqual([...opNames].sort())
    // The base inputs really are valid, or the single-field mutations prove less than they claim.
    for (const op of opNames) expect(inputAccepted(op, validOf(op)), op).toBe(true)
  })

  for (const [i, t] of targets.entries()) {
    it(`${t.label}: ${PER_TARGET} malformed bodies, no 5xx, structured 4xx, nothing acts`, async () => {
      const arb = bodyArbitrary(t.op, t.cap)
      const bodies: Array<{ kind: string; bytes: Buffer; predicted: ReturnType<typeof predict> }> = []
      let round = 0
      // Unsafe operations only get bodies the validator must refuse: draw until there are enough.
      while (bodies.length < PER_TARGET && round < 20) {
        for (const b of fc.sample(arb, { numRuns: PER_TARGET, seed: SEED + i * 1000 + round })) {
          const predicted = predict(t, b.bytes)
          if (!isSafe(t.op) && predicted === 'valid') continue
          bodies.push({ ...b, predicted })
          if (bodies.length >= PER_TARGET) break
        }
        round++
      }
      expect(bodies.length).toBe(PER_TARGET)
      const wrong = wrongValueArbitrary(t.op)
      const extras = wrong ? fc.sample(wrong, { numRuns: 40, seed: SEED + i }) : []

      const token = tokenFor(t.op)
      const kinds = new Map<string, number>()
      const mine: Failure[] = []
      const failedKinds = new Map<string, number>()
      const record = (kind: string, bytes: Buffer, r: ApiResponse, why: string[]) => {
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
        if (why.length === 0) return
        failedKinds.set(kind, (failedKinds.get(kind) ?? 0) + 1)
        // Keep a few examples of each kind of failure; count them all.
        if ((failedKinds.get(kind) ?? 0) <= 3) {
          mine.push({
            target: t.label,
            kind,
            status: r.status,
            why: why.join('; '),
            body: preview(bytes),
            answer: r.text.slice(0, 300),
          })
        }
      }
      await pool(bodies, CONCURRENCY, async (b) => {
        let r: ApiResponse
        try {
          r = await host.client.request('POST', t.path, { token, body: b.bytes })
        } catch (err) {
          r = { status: 0, headers: {}, text: `transport error: ${(err as Error).message}`, json: undefined }
        }
        record(b.kind, b.bytes, r, judge(r, t.op, b.predicted))
      })
      for (const input of extras) {
        const bytes = Buffer.from(JSON.stringify(input))
        expect(predict(t, bytes)).toBe('valid')
        const r = await host.client.request('POST', t.path, { token, body: bytes })
        record('wrong-value', bytes, r, judge(r, t.op, 'wrong-value'))
      }
      sent.set(t.label, bodies.length + extras.length)
      failures.push(...mine)
      expect(
        mine,
        `failures by kind: ${JSON.stringify(Object.fromEntries(failedKinds))}; kinds sent: ${JSON.stringify(Object.fromEntries(kinds))}; seed ${SEED}`,
      ).toEqual([])
      expect(host.alive()).toBe(true)
    })
  }

  it('a right-shaped Save & Restart with a wrong base hash is refused before anything is paused', async () => {
    const r = await host.client.post(
      '/save-and-restart',
      { text: 'x = 1', baseHash: HASH, reason: 'fuzz' },
      tokens.operate,
    )
    // The body is the run report; the status says its outcome (409: conflict, nothing touched).
    expect(r.status).toBe(409)
    expect(r.json).toMatchObject({ outcome: 'failed', errorCode: 'conflict' })
    expect((r.json as { steps: Array<{ step: string; status: string }> }).steps).toEqual([
      expect.objectContaining({ step: 'validate', status: 'failed' }),
    ])
  })

  it('survives a deeply nested WebSocket frame and keeps answering', async () => {
    const sock = new WebSocket(`ws://127.0.0.1:${host.port}/api/ws`, [
      'stackdeck.v1',
      `bearer.${tokens.read}`,
    ])
    await new Promise((res, rej) => {
      sock.once('open', res)
      sock.once('error', rej)
    })
    const replies: Array<{ id?: unknown; ok?: boolean; error?: { code?: string } }> = []
    sock.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString('utf8')) as { id?: unknown; event?: string }
      if (m.event === undefined) replies.push(m)
    })
    const depth = 20_000
    sock.send(`{"id":1,"op":"config.validate","input":${'['.repeat(depth)}${']'.repeat(depth)}}`)
    sock.send(
      `{"id":2,"op":"bus.events","input":{"type":${'{"a":'.repeat(depth / 5)}1${'}'.repeat(depth / 5)}}}`,
    )
    sock.send('{"id":3,"op":"app.info","input":{}}')
    await expect.poll(() => replies.length, { timeout: 10_000 }).toBe(3)
    expect(replies.find((r) => r.id === 1)).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(replies.find((r) => r.id === 2)).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(replies.find((r) => r.id === 3)).toMatchObject({ ok: true })
    sock.close()
    expect(host.alive()).toBe(true)
  })

  it('afterwards: the host is up, and nothing was paused, written, engaged, overridden or audited as done', async () => {
    const total = [...sent.values()].reduce((a, b) => a + b, 0)
    console.log(`[api-fuzz] ${total} requests over ${sent.size} targets`)
    expect(host.alive()).toBe(true)
    const h = await host.client.get('/health')
    expect(h.status).toBe(200)
    expect(h.json).toMatchObject({ status: 'ok' })
    expect(await dockerStates(fixtures)).toEqual(['running', 'running'])
    expect(await readFile(ws.configPath, 'utf8')).toBe(configBefore)
    const ks = await host.client.get('/risk/killswitch', tokens.read)
    expect(ks.json).toMatchObject({ engaged: false })
    const sched = await host.client.get('/schedule', tokens.read)
    expect((sched.json as { state: { override: unknown } }).state.override).toBeNull()
    const audit = await host.client.get('/audit?limit=500', tokens.read)
    const records = (audit.json as { records: Array<{ action: string; outcome: string }> }).records
    // Only refusals of the right-shaped wrong values (and the one failed Save & Restart) may be there.
    expect(
      records.filter(
        (r) => r.action !== 'schedule.transition' && (r.outcome === 'ok' || r.outcome === 'partial'),
      ),
    ).toEqual([])
    // No request reached the catch-all 500 or a handler's internal error.
    expect(host.output()).not.toMatch(/request failed|internal error/)
    expect(sha256(await readFile(ws.configPath, 'utf8'))).toBe(sha256(configBefore))
  })
})
