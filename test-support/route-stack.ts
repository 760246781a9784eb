/**
 * The stack every control-API route suite (electron/server/api-routes/) runs against: the BUILT host
 * on the private engine and Redis, two `orch` fixtures (SIGUSR1 reload) and one supervised `scan`
 * (SIGHUP), all on the bus, plus one dev agent that acknowledges commands. The helpers call a route
 * the way a client would and check the result against the contract.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OperationName, OpResult } from '../electron/core/api/contract'
import { buildRouteTable, successStatus, type Route } from '../electron/server/routes'
import {
  dockerStates,
  randomTag,
  resultErrors,
  waitFor,
  type ApiResponse,
  type ApiTokens,
  type ApiWorkspace,
  type DevAgent,
} from './api-harness'
import { testDocker } from './docker-fixtures'
import {
  startStackdeckUnderTest,
  type BuiltStackdeck,
  type StackdeckUnderTestOptions,
} from './stackdeck-under-test'

export const routes: Route[] = [...buildRouteTable().values()]

export const routeOf = (op: OperationName): Route => {
  const r = routes.find((x) => x.op === op)
  if (!r) throw new Error(`no REST route for ${op}`)
  return r
}

/**
 * Which suite holds each route's happy path, by operation prefix. Each suite checks it covers all of
 * its routes, and the route-table suite checks every route has exactly one suite, so together every
 * route has a happy path.
 */
export const ROUTE_SUITES = {
  app: ['app.', 'settings.'],
  stack: ['stack.'],
  config: ['config.'],
  workflow: ['workflow.'],
  schedule: ['schedule.'],
  bus: ['bus.', 'agents.', 'state.', 'trading.'],
  supervise: ['supervise.'],
  audit: ['audit.'],
  history: ['history.'],
  services: ['services.', 'engine.'],
  runs: ['runs.'],
} as const satisfies Record<string, readonly string[]>
export type RouteSuite = keyof typeof ROUTE_SUITES

export const suitesOf = (op: OperationName): RouteSuite[] =>
  (Object.keys(ROUTE_SUITES) as RouteSuite[]).filter((s) => ROUTE_SUITES[s].some((p) => op.startsWith(p)))

/** The operations of the routes whose happy path `suite` holds, sorted. */
export const routeOpsOf = (suite: RouteSuite): OperationName[] =>
  routes
    .map((r) => r.op)
    .filter((op) => suitesOf(op).includes(suite))
    .sort()

export const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex')

export function countLines(text: string, re: RegExp): number {
  return text.split('\n').filter((l) => re.test(l)).length
}

export async function startedAt(id: string): Promise<string> {
  return (await testDocker().getContainer(id).inspect()).State.StartedAt
}

export interface RouteStack {
  sut: BuiltStackdeck
  run: string
  tokens: ApiTokens
  ws: ApiWorkspace
  orch: string[]
  scan: string[]
  agent: DevAgent
  agentId: string
  /** One call of `op` through its REST route (query string for GET, JSON body for POST). */
  callRoute(
    op: OperationName,
    input: Record<string, unknown>,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<ApiResponse>
  /** A 200 whose body validates against the op's result schema; anything else fails with the body shown. */
  ok<N extends OperationName>(
    op: N,
    input: Record<string, unknown>,
    token: string | undefined,
  ): Promise<OpResult<N>>
  /** config.toml as on disk, passed through `fn`. */
  edited(fn: (t: string) => string): Promise<string>
  resumeAll(): Promise<void>
  releaseIfEngaged(): Promise<void>
  stop(): Promise<void>
}

/**
 * The route's path with its `{name}` parameters filled (encoded) from the input, and the input
 * that is left for the query string or the body.
 */
export function fillPath(route: Route, input: Record<string, unknown>): { path: string; rest: Record<string, unknown> } {
  const rest = { ...input }
  const path = route.path.replace(/\{([a-zA-Z][a-zA-Z0-9_]*)\}/g, (_m, name: string) => {
    const v = rest[name]
    delete rest[name]
    if (v === undefined) throw new Error(`${route.op}: the input has no ${name} for ${route.path}`)
    return encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))
  })
  return { path, rest }
}

function pathWithQuery(route: Route, input: Record<string, unknown>): string {
  const { path, rest } = fillPath(route, input)
  if (route.method !== 'GET') return path
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(rest)) q.set(k, String(v))
  const s = q.toString()
  return s ? `${path}?${s}` : path
}

export async function startRouteStack(
  o: { beforeHost?: StackdeckUnderTestOptions['beforeHost'] } = {},
): Promise<RouteStack> {
  const run = `routes-${randomTag()}`
  const agentId = `dev-${run}`
  const sut = await startStackdeckUnderTest({
    run,
    tag: `api-${run}`,
    fixtures: {
      orch: { count: 2, redis: true, env: (i) => ({ AGENT_ID: `orch-${run}-${i}` }) },
      scan: { count: 1, redis: true, env: { AGENT_ID: `scan-${run}` } },
    },
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
        supervise: { desired: 1, autoHeal: false, intervalMs: 1000 },
      },
    ],
    // Every private route is tried with a wrong token, all from 127.0.0.1: lift the failed-auth
    // lockout here (auth-throttle.int.test.ts tests it on a host of its own).
    api: { authFailuresPerMinute: 100_000 },
    agents: [agentId],
    store: true,
    beforeHost: o.beforeHost,
  })
  const { host, tokens } = sut
  const orch = sut.fixtures['orch'] ?? []
  const scan = sut.fixtures['scan'] ?? []
  const callRoute: RouteStack['callRoute'] = (op, input, token, headers) => {
    const route = routeOf(op)
    if (route.method === 'GET') return host.client.get(pathWithQuery(route, input), token, headers)
    const { path, rest } = fillPath(route, input)
    return host.client.request(route.method, path, { body: rest, ...(token ? { token } : {}), ...(headers ? { headers } : {}) })
  }
  return {
    sut,
    run,
    tokens,
    ws: sut.ws as ApiWorkspace,
    orch,
    scan,
    agent: sut.agents[0] as DevAgent,
    agentId,
    callRoute,
    async ok<N extends OperationName>(op: N, input: Record<string, unknown>, token: string | undefined) {
      const r = await callRoute(op, input, token)
      // 200, or the success status the route declares for this result (201 for a create).
      expect([200, 201], `${op}: ${r.status} ${r.text.slice(0, 800)}`).toContain(r.status)
      if (r.status !== 200) expect(successStatus(routeOf(op).http, r.json), `${op}: the declared status`).toBe(r.status)
      expect(resultErrors(op, r.json), `${op} result violates the contract`).toEqual([])
      return r.json as OpResult<N>
    },
    edited: async (fn) => fn(await readFile((sut.ws as ApiWorkspace).configPath, 'utf8')),
    async resumeAll() {
      await host.client.post('/stack/resume', { reason: 'test cleanup' }, tokens.operate)
      await waitFor('every fixture to run', async () =>
        (await dockerStates([...orch, ...scan])).every((s) => s === 'running'),
      )
    },
    async releaseIfEngaged() {
      const k = await host.client.get('/risk/killswitch', tokens.read)
      if ((k.json as { engaged?: boolean } | undefined)?.engaged) {
        await host.client.post(
          '/risk/killswitch/release',
          { reason: 'test cleanup', confirm: true },
          tokens.admin,
        )
      }
    },
    stop: () => sut.stop(),
  }
}

/**
 * The route stack of one suite file: started before its tests, stopped after them. It is returned
 * as a view that forwards to the stack once it is up, so the suite's cases, written while vitest
 * collects them, can name it before it exists; touching it earlier is an error that says so.
 */
export function useRouteStack(o: Parameters<typeof startRouteStack>[0] = {}): RouteStack {
  let started: RouteStack | undefined
  beforeAll(async () => {
    started = await startRouteStack(o)
  })
  afterAll(async () => {
    await started?.stop()
  })
  return new Proxy({} as RouteStack, {
    get: (_t, key) => {
      if (!started) throw new Error(`the route stack is not up yet (reading ${String(key)})`)
      return Reflect.get(started, key) as unknown
    },
  })
}

/** One happy-path case per route of `suite`, in the order given, and the check that none is missing. */
export function happyPaths(suite: RouteSuite, happy: ReadonlyArray<[OperationName, () => Promise<void>]>): void {
  it(`has a happy-path case for every ${suite} route`, () => {
    expect(happy.map(([op]) => op).sort()).toEqual(routeOpsOf(suite))
  })
  describe('happy path: right scope, valid input -> 200 and a result that matches the contract', () => {
    for (const [op, run] of happy) {
      const r = routeOf(op)
      it(`${r.method} ${r.path} (${op})`, run)
    }
  })
}
