import type { TSchema } from 'typebox'
import { operations, type OperationName } from '@core/api/contract'
import type { Scope } from '@core/api/define'

export interface Route {
  method: 'GET' | 'POST'
  path: string
  op: OperationName
  scope: Scope
  public: boolean
}

/** Routes that answer without a token; health checks must work for load balancers and scripts. */
const PUBLIC_OPS: ReadonlySet<OperationName> = new Set(['app.health'] as OperationName[])

/** The REST surface is derived from the contract's `http` fields: one table, never written twice. */
export function buildRouteTable(): Map<string, Route> {
  const table = new Map<string, Route>()
  for (const [name, def] of Object.entries(operations) as Array<[OperationName, (typeof operations)[OperationName]]>) {
    const http = (def as { http?: { method: 'GET' | 'POST'; path: string } }).http
    if (!http) continue
    const key = `${http.method} ${http.path}`
    if (table.has(key)) throw new Error(`Two operations claim ${key}`)
    table.set(key, { method: http.method, path: http.path, op: name, scope: def.scope, public: PUBLIC_OPS.has(name) })
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
