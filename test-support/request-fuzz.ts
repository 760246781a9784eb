/**
 * Plumbing for the request-level fuzz suites (electron/server/api-request-fuzz.int.test.ts and
 * api-input-fuzz.int.test.ts): which operations may receive what, a raw HTTP request that can
 * repeat headers and send any bytes, and a case runner that tallies every status it sees.
 */
import { request } from 'node:http'
import { operations, type OperationName } from '../electron/core/api/contract'
import { buildRouteTable } from '../electron/server/routes'
import {
  createApiWorkspace,
  errorOf,
  hostSettings,
  redisKeysFor,
  startApiHost,
  STACK_TRACE_RE,
  type ApiHost,
  type ApiResponse,
  type ApiTokens,
} from './api-harness'
import { newTestRedis } from './redis-fixture'

export const isSafe = (op: OperationName) => operations[op].scope === 'read'
export const required = (op: OperationName) =>
  ((operations[op].input as { required?: string[] }).required ?? []).length > 0
const opNames = Object.keys(operations) as OperationName[]

export const postTargets = [
  ...[...buildRouteTable().values()]
    .filter((r) => r.method === 'POST')
    .map((r) => ({ path: r.path, op: r.op })),
  ...opNames.map((op) => ({ path: `/api/rpc/${op}`, op })),
]

/**
 * Right-shaped inputs of operations that change things, which the core must refuse (no such
 * service, container, backup or hash). Only these may reach an unsafe handler here.
 */
export const HASH = 'b'.repeat(64)
export const REFUSED_BY_CORE: Partial<Record<OperationName, Record<string, unknown>>> = {
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
  // The fuzz host's admin token is STACKDECK_TOKEN, which the host never rotates (409 conflict).
  'api.rotateToken': { reason: 'fuzz' },
}
export const SAFE_BASE: Partial<Record<OperationName, Record<string, unknown>>> = {
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
export const baseOf = (op: OperationName): Record<string, unknown> | null =>
  isSafe(op) ? (SAFE_BASE[op] ?? {}) : (REFUSED_BY_CORE[op] ?? null)
/** A body no operation accepts: an unknown key is refused by every closed input schema. */
export const refusedBody = (op: OperationName) => ({ ...(baseOf(op) ?? {}), '~fuzz-unknown': 1 })

/** A host of its own on the private engine and Redis, with no services (nothing to pause). */
export async function startFuzzHost(tag: string, tokens: ApiTokens, maxBodyBytes = 65_536) {
  const ws = await createApiWorkspace()
  const host = await startApiHost(
    hostSettings({
      workspace: ws,
      tokens,
      tag,
      services: [],
      api: { maxBodyBytes, rateLimitPerMinute: 100_000 },
      schedule: { enabled: false },
    }),
    tokens,
  )
  return {
    host,
    async cleanup() {
      await host.dispose()
      await ws.cleanup()
      const redis = newTestRedis()
      try {
        const k = redisKeysFor(tag)
        await redis.del(k.tradingKey, k.killswitchKey)
      } finally {
        redis.disconnect()
      }
    },
  }
}

/** One request on its own connection, headers as pairs so a header can repeat. */
export function rawRequest(
  host: ApiHost,
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

export interface Case {
  label: string
  send: () => Promise<ApiResponse>
  expectStatus?: number
  /** Extra checks on the answer; return problems. */
  check?: (r: ApiResponse) => string[]
}

/** Runs cases with bounded concurrency; tallies every status; returns (at most 20) problems. */
export class CaseRunner {
  readonly statuses = new Map<number, number>()

  problemsOf(r: ApiResponse, expectStatus?: number): string[] {
    this.statuses.set(r.status, (this.statuses.get(r.status) ?? 0) + 1)
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

  async run(cases: Case[], concurrency = 8): Promise<string[]> {
    const problems: string[] = []
    await pool(cases, concurrency, async (c) => {
      let r: ApiResponse
      try {
        r = await c.send()
      } catch (err) {
        problems.push(`${c.label}: transport error ${(err as Error).message}`)
        return
      }
      const why = [...this.problemsOf(r, c.expectStatus), ...(c.check?.(r) ?? [])]
      if (why.length > 0 && problems.length < 20)
        problems.push(`${c.label}: ${why.join('; ')} :: ${r.text.slice(0, 200)}`)
    })
    return problems
  }

  summary(): string {
    return JSON.stringify(Object.fromEntries([...this.statuses].sort((a, b) => a[0] - b[0])))
  }
}
