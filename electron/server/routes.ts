import type { TSchema } from 'typebox'
import { operations, type OperationName } from '@core/api/contract'
import type { HttpMethod, HttpRoute, HttpSuccess, Scope } from '@core/api/define'

export interface Route {
  method: HttpMethod
  path: string
  op: OperationName
  scope: Scope
  public: boolean
  success?: HttpSuccess
}

/** Routes that answer without a token; health checks must work for load balancers and scripts. */
const PUBLIC_OPS: ReadonlySet<OperationName> = new Set(['app.health'] as OperationName[])

/** The REST surface is derived from the contract's `http` fields: one table, never written twice. */
export function buildRouteTable(): Map<string, Route> {
  const table = new Map<string, Route>()
  for (const [name, def] of Object.entries(operations) as Array<[OperationName, (typeof operations)[OperationName]]>) {
    const http = (def as { http?: HttpRoute }).http
    if (!http) continue
    const key = `${http.method} ${http.path}`
    if (table.has(key)) throw new Error(`Two operations claim ${key}`)
    table.set(key, {
      method: http.method,
      path: http.path,
      op: name,
      scope: def.scope,
      public: PUBLIC_OPS.has(name),
      ...(http.success ? { success: http.success } : {}),
    })
  }
  return table
}

/**
 * Query strings carry only text; convert each parameter to the type its input schema declares
 * so `?limit=50` validates as an integer. Unknown parameters are passed through for the
 * validator to reject by name.
 */
export function queryToInput(op: OperationName, query: URLSearchParams): Record<string, unknown> {
  const schema = operations[op].input as TSchema & { properties?: Record<string, { type?: unknown }> }
  const out: Record<string, unknown> = {}
  for (const [k, v] of query) {
    const type = schema.properties?.[k]?.type
    if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(v)) out[k] = Number(v)
    else if (type === 'boolean' && (v === 'true' || v === 'false')) out[k] = v === 'true'
    else out[k] = v
  }
  return out
}

const PARAM = /\{([a-zA-Z][a-zA-Z0-9_]*)\}/g

/**
 * Finds the route of a request: an exact path first, then the templated ones (`/services/{name}`),
 * whose `{param}` segments match one non-empty path segment each, percent-decoded.
 */
export function matchRoute(table: Map<string, Route>, method: string, pathname: string): { route: Route; params: Record<string, string> } | undefined {
  const exact = table.get(`${method} ${pathname}`)
  if (exact) return { route: exact, params: {} }
  for (const route of table.values()) {
    if (route.method !== method || !route.path.includes('{')) continue
    const names: string[] = []
    const re = new RegExp(`^${route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(PARAM, (_m, n: string) => (names.push(n), '([^/]+)'))}$`)
    const m = re.exec(pathname)
    if (!m) continue
    const params: Record<string, string> = {}
    try {
      names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1] as string)))
    } catch {
      return undefined // bad percent-encoding names nothing
    }
    return { route, params }
  }
  return undefined
}

/** The `{param}` names of a route path, in order. */
export const pathParams = (path: string): string[] => [...path.matchAll(PARAM)].map((m) => m[1] as string)

/**
 * The input of a REST call: the body (POST, PUT) or the query (GET, DELETE), with the path's
 * parameters filled in. A body that names a parameter differently from the path is refused by
 * name rather than silently losing one of the two.
 */
export function withPathParams(input: unknown, params: Record<string, string>): { input: unknown } | { error: { field: string; message: string } } {
  if (Object.keys(params).length === 0) return { input }
  // An empty body is no input: the path's parameters are then the whole of it.
  if (input === undefined) return { input: { ...params } }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return { input }
  const out = { ...(input as Record<string, unknown>) }
  for (const [k, v] of Object.entries(params)) {
    if (k in out && out[k] !== v) return { error: { field: k, message: `/${k} is ${JSON.stringify(out[k])} in the body but ${JSON.stringify(v)} in the path` } }
    out[k] = v
  }
  return { input: out }
}
