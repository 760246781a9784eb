import type { TSchema } from 'typebox'
import { operations, type OperationName } from '@core/api/contract'
import type { HttpMethod, HttpRoute, Scope } from '@core/api/define'

export interface Route {
  method: HttpMethod
  path: string
  op: OperationName
  scope: Scope
  public: boolean
  /** The path's `{name}` segments, in order; empty for a fixed path. */
  params: string[]
  http: HttpRoute
}

/** Routes that answer without a token; health checks must work for load balancers and scripts. */
const PUBLIC_OPS: ReadonlySet<OperationName> = new Set(['app.health'] as OperationName[])

const PARAM = /^\{([a-zA-Z][a-zA-Z0-9_]*)\}$/

const httpOf = (name: OperationName): HttpRoute | undefined => (operations[name] as { http?: HttpRoute }).http

/** Two routes collide when every segment is equal or either side is a parameter. */
const shapeOf = (path: string) => path.split('/').map((seg) => (PARAM.test(seg) ? '{}' : seg))

/** The REST surface is derived from the contract's `http` fields: one table, never written twice. */
export function buildRouteTable(): Map<string, Route> {
  const table = new Map<string, Route>()
  for (const name of Object.keys(operations) as OperationName[]) {
    const http = httpOf(name)
    if (!http) continue
    const key = `${http.method} ${http.path}`
    const shape = `${http.method} ${shapeOf(http.path).join('/')}`
    for (const other of table.values()) {
      if (`${other.method} ${shapeOf(other.path).join('/')}` === shape) throw new Error(`Two operations claim ${key}`)
    }
    const params = http.path.split('/').flatMap((seg) => PARAM.exec(seg)?.[1] ?? [])
    const declared = (operations[name].input as { properties?: Record<string, unknown> }).properties ?? {}
    for (const p of params) {
      if (!(p in declared)) throw new Error(`${name}: path parameter {${p}} is not a property of its input`)
    }
    table.set(key, { method: http.method, path: http.path, op: name, scope: operations[name].scope, public: PUBLIC_OPS.has(name), params, http })
  }
  return table
}

export interface RouteMatch {
  route: Route
  /** Decoded path parameters by name. */
  params: Record<string, string>
}

/**
 * Finds the route for a method and a (still percent-encoded) path. A fixed path beats a template,
 * so `/runs/next` could never be taken for `/runs/{id}`; each parameter is one decoded, non-empty
 * segment (an encoded `/` stays inside it).
 */
export function matchRoute(table: Map<string, Route>, method: string, rawPath: string): RouteMatch | null {
  const fixed = table.get(`${method} ${rawPath}`)
  if (fixed && fixed.params.length === 0) return { route: fixed, params: {} }
  const segs = rawPath.split('/')
  for (const route of table.values()) {
    if (route.method !== method || route.params.length === 0) continue
    const tpl = route.path.split('/')
    if (tpl.length !== segs.length) continue
    const params: Record<string, string> = {}
    let ok = true
    for (let i = 0; i < tpl.length && ok; i++) {
      const name = PARAM.exec(tpl[i] as string)?.[1]
      const seg = segs[i] as string
      if (!name) ok = tpl[i] === seg
      else if (seg === '') ok = false
      else {
        try {
          params[name] = decodeURIComponent(seg)
        } catch {
          ok = false
        }
      }
    }
    if (ok) return { route, params }
  }
  return null
}

/** Whether any route serves this path with another method (for 405 instead of 404). */
export const pathHasRoute = (table: Map<string, Route>, rawPath: string): boolean =>
  (['GET', 'POST', 'PUT', 'DELETE'] as const).some((m) => matchRoute(table, m, rawPath) !== null)

/**
 * The success status of a REST answer, from the route's `status` and `noContentWhenNull`; 204
 * means the body is dropped.
 */
export function successStatus(http: HttpRoute, result: unknown): number {
  const r = (result ?? {}) as Record<string, unknown>
  if (http.noContentWhenNull && r[http.noContentWhenNull] === null) return 204
  const s = http.status
  if (s === undefined) return 200
  if (typeof s === 'number') return s
  return r[s.field] === true ? s.whenTrue : s.whenFalse
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

/**
 * A value for an error message. Never JSON.stringify an untrusted body whole: a deeply nested one
 * overflows the stack (the fuzz suite found this), and a huge one is no use in a message.
 */
function shortValue(v: unknown): string {
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v)
  return Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v
}

export type ParamsMerge = { ok: true; input: unknown } | { ok: false; message: string; path: string }

/**
 * Puts the path parameters into the input. A body or query that names the same field with another
 * value is refused rather than silently overridden; a body that is not an object is left for the
 * validator to refuse (a `null` body is never turned into `{}`).
 */
export function withPathParams(op: OperationName, input: unknown, params: Record<string, string>): ParamsMerge {
  const names = Object.keys(params)
  if (names.length === 0) return { ok: true, input }
  const typed = queryToInput(op, new URLSearchParams(params))
  if (input === undefined) return { ok: true, input: typed }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return { ok: true, input }
  const body = input as Record<string, unknown>
  for (const n of names) {
    if (n in body && body[n] !== typed[n]) {
      return { ok: false, message: `"${n}" is ${shortValue(body[n])} in the body but ${shortValue(typed[n])} in the path`, path: `/${n}` }
    }
  }
  return { ok: true, input: { ...body, ...typed } }
}
