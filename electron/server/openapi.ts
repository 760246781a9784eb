/**
 * OpenAPI 3.1 description of the control API, generated from the contract table: REST routes
 * from each operation's `http` field, the generic RPC endpoint, and (in prose and an extension)
 * the WebSocket door. Nothing here is written by hand per operation, so it cannot drift.
 */
import { events, operations } from '@core/api/contract'
import type { HttpMethod, HttpRoute, Scope } from '@core/api/define'
import { RPC_PATH_PREFIX, WS_BEARER_PREFIX, WS_PATH, WS_PROTOCOL } from '@core/api/wire'
import { ERROR_CODES } from '@core/errors'
import { httpStatusFor } from './http-status'
import { SAVE_AND_RESTART_STATUS } from './run-outcome-status'
import { buildRouteTable } from './routes'

export interface OpenApiOptions {
  version: string
  /** Absolute base URL for `servers`; absent, clients resolve paths against where they got the document. */
  serverUrl?: string
}

export type JsonSchema = Record<string, unknown>

export interface OpenApiOperation {
  operationId: string
  summary: string
  description: string
  tags: string[]
  parameters?: Array<{
    name: string
    in: 'query' | 'path'
    required: boolean
    description?: string
    schema: JsonSchema
  }>
  requestBody?: { required: boolean; content: { 'application/json': { schema: JsonSchema } } }
  responses: Record<string, unknown>
  security?: Array<Record<string, string[]>>
  'x-stackdeck-operation'?: string
  'x-stackdeck-scope'?: Scope
  'x-stackdeck-public'?: boolean
}

export interface OpenApiDocument {
  openapi: '3.1.0'
  info: {
    title: string
    version: string
    description: string
    license?: { name: string; identifier?: string }
  }
  servers?: Array<{ url: string }>
  security: Array<Record<string, string[]>>
  tags: Array<{ name: string; description?: string }>
  paths: Record<string, Partial<Record<'get' | 'post' | 'put' | 'delete', OpenApiOperation>>>
  components: {
    securitySchemes: Record<string, unknown>
    schemas: Record<string, JsonSchema>
    responses: Record<string, unknown>
  }
  'x-stackdeck-operations': Record<
    string,
    {
      summary: string
      scope: Scope
      http: { method: string; path: string } | null
      input: JsonSchema
      result: JsonSchema
    }
  >
  'x-stackdeck-events': Record<string, { summary: string; payload: JsonSchema }>
  'x-stackdeck-websocket': { path: string; subprotocols: string[]; frames: Record<string, JsonSchema> }
}

interface OpRow {
  summary: string
  scope: Scope
  input: unknown
  result: unknown
  http?: HttpRoute
}

/**
 * TypeBox keeps its bookkeeping in non-enumerable `~kind`-style keys (and older versions in
 * symbols); a JSON round trip drops both, and the filter catches any that were enumerable.
 */
export function plainSchema(schema: unknown): JsonSchema {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip)
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {}
      for (const [k, x] of Object.entries(v)) if (!k.startsWith('~')) out[k] = strip(x)
      return out
    }
    return v
  }
  return strip(JSON.parse(JSON.stringify(schema ?? {}))) as JsonSchema
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

const ERROR_RESPONSES: Array<{
  status: number
  name: string
  description: string
  when?: 'post' | 'private'
}> = [
  {
    status: 400,
    name: 'BadRequest',
    description:
      'Input failed validation (the error names the field; at most 20 errors are listed, then a count), the body is not JSON, not UTF-8 (the byte offset is named) or `null`, a string holds a lone surrogate, the path has bad percent-encoding, or a header such as Host appears twice.',
  },
  { status: 401, name: 'Unauthorized', description: 'No valid bearer token.', when: 'private' },
  { status: 403, name: 'Forbidden', description: 'The token lacks the scope, or the Origin is not allowed.' },
  { status: 404, name: 'NotFound', description: 'No such route, operation or resource.' },
  {
    status: 409,
    name: 'Conflict',
    description: 'Conflict (e.g. the file changed on disk) or busy (a run is in flight).',
  },
  { status: 413, name: 'PayloadTooLarge', description: 'The body exceeds api.maxBodyBytes.', when: 'post' },
  {
    status: 415,
    name: 'UnsupportedMediaType',
    description:
      'The Content-Type is not JSON (`application/json`, charset UTF-8 if given), or a non-empty body has no Content-Type.',
    when: 'post',
  },
  {
    status: 421,
    name: 'MisdirectedRequest',
    description: 'The Host header is not one this server answers to (DNS rebinding guard).',
  },
  {
    status: 429,
    name: 'TooManyRequests',
    description:
      'Rate limit of the token exceeded, or this client address presented too many wrong tokens (api.authFailuresPerMinute) and is locked out for api.authLockoutMs. `Retry-After` says when to try again.',
    when: 'private',
  },
  {
    status: 500,
    name: 'InternalError',
    description: 'Internal or I/O error; details are in the Stackdeck log, never in the answer.',
  },
  {
    status: 502,
    name: 'PartialFailure',
    description: 'Part of the action failed; the error says which part.',
  },
  { status: 503, name: 'Unavailable', description: 'A dependency (Docker, Redis) is unreachable.' },
  { status: 504, name: 'Timeout', description: 'The action was not confirmed in time.' },
]

const SCOPE_TEXT: Record<Scope, string> = {
  read: 'read (any token)',
  operate: 'operate (operate or admin tokens)',
  admin: 'admin (admin tokens only)',
}

function errorResponses(method: HttpMethod, isPublic: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const e of ERROR_RESPONSES) {
    if (e.when === 'post' && method !== 'POST' && method !== 'PUT') continue
    if (e.when === 'private' && isPublic) continue
    out[String(e.status)] = { $ref: `#/components/responses/${e.name}` }
  }
  return out
}

/**
 * POST /save-and-restart answers the run report with a status per outcome (run-outcome-status.ts).
 * Where the same status can also come from a refusal before the run (409 busy, 500), either body.
 */
function runReportResponses(report: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const { status, when } of SAVE_AND_RESTART_STATUS) {
    const shared = ERROR_RESPONSES.some((e) => e.status === status)
    const schema = shared ? { oneOf: [report, ref('Error')] } : report
    out[String(status)] = {
      description: `The run report: ${when}`,
      content: { 'application/json': { schema } },
    }
  }
  return out
}

/** 200 with the result, or the statuses the route's `status` and `noContentWhenNull` declare. */
function successResponses(http: HttpRoute, result: JsonSchema): Record<string, unknown> {
  const body = { content: { 'application/json': { schema: result } } }
  const out: Record<string, unknown> = {}
  const s = http.status
  if (s === undefined) out['200'] = { description: 'The result.', ...body }
  else if (typeof s === 'number') out[String(s)] = { description: 'The result.', ...body }
  else {
    out[String(s.whenTrue)] = s.whenTrue === 204 ? { description: `\`${s.field}\` is true; no body.` } : { description: `\`${s.field}\` is true.`, ...body }
    out[String(s.whenFalse)] = s.whenFalse === 204 ? { description: `\`${s.field}\` is false; no body.` } : { description: `\`${s.field}\` is false.`, ...body }
  }
  if (http.noContentWhenNull) out['204'] = { description: `\`${http.noContentWhenNull}\` is null (nothing to return); no body.` }
  return out
}

/** Path parameters leave the body or query schema: they travel in the path only. */
function splitPathParams(input: JsonSchema, names: string[]): { inPath: NonNullable<OpenApiOperation['parameters']>; rest: JsonSchema } {
  if (names.length === 0) return { inPath: [], rest: input }
  const props = { ...((input['properties'] ?? {}) as Record<string, JsonSchema>) }
  const inPath = names.map((name) => {
    const schema = props[name] ?? { type: 'string' }
    delete props[name]
    return { name, in: 'path' as const, required: true, schema, ...(typeof schema['description'] === 'string' ? { description: schema['description'] } : {}) }
  })
  const required = ((input['required'] as string[] | undefined) ?? []).filter((r) => !names.includes(r))
  const rest: JsonSchema = { ...input, properties: props }
  if (required.length > 0) rest['required'] = required
  else delete rest['required']
  return { inPath, rest }
}

function queryParameters(input: JsonSchema): NonNullable<OpenApiOperation['parameters']> {
  const props = (input['properties'] ?? {}) as Record<string, JsonSchema>
  const required = new Set((input['required'] as string[] | undefined) ?? [])
  return Object.entries(props).map(([name, schema]) => {
    const p: NonNullable<OpenApiOperation['parameters']>[number] = {
      name,
      in: 'query',
      required: required.has(name),
      schema,
    }
    if (typeof schema['description'] === 'string') p.description = schema['description']
    return p
  })
}

function describeOp(name: string, row: OpRow, isPublic: boolean): string {
  const lines = [
    row.summary,
    '',
    `Required scope: **${SCOPE_TEXT[row.scope]}**.${isPublic ? ' This route needs no token.' : ''}`,
    `Also callable as \`POST ${RPC_PATH_PREFIX}${name}\` and as \`{"op": "${name}"}\` over the WebSocket.`,
  ]
  return lines.join('\n')
}

function intro(): string {
  const eventNames = Object.keys(events)
  return [
    'The control API of Stackdeck: everything the window can do, a script can do here. Every route is generated from one contract table; the same operations are reachable three ways.',
    '',
    '## Authentication',
    'Send `Authorization: Bearer <token>` on every request except `GET /health`, `GET /openapi.json` and `GET /docs`. Tokens carry a scope: `read` < `operate` < `admin`; each operation names the least scope it needs. Requests must carry a `Host` this server answers to (loopback names by default) and, when a browser sends one, an allowed `Origin`.',
    '',
    '## REST routes',
    'The paths below. `GET` routes take their input as query parameters; `POST` routes take a JSON body. Success answers `200` with the result; failures answer `{"error": {"code", "message", "path"?, "details"?}}` with a status derived from the code.',
    '',
    '## Generic RPC',
    `\`POST ${RPC_PATH_PREFIX}{operation}\` with the operation\u2019s input as the JSON body calls any operation, including those without a REST route. It always answers an envelope: \`{"ok": true, "result": ...}\` or \`{"ok": false, "error": {...}}\` (the HTTP status still follows the error code).`,
    '',
    '## WebSocket',
    `Connect to \`${WS_PATH}\` offering the subprotocols \`${WS_PROTOCOL}\` and \`${WS_BEARER_PREFIX}<token>\` (browsers cannot set headers on a WebSocket; other clients may send \`Authorization: Bearer\` instead). The server selects \`${WS_PROTOCOL}\`; without a valid token the upgrade is refused with 401.`,
    '',
    '- Call: send `{"id": 1, "op": "stack.status", "input": {}}`; the reply is `{"id": 1, "ok": true, "result": ...}` or `{"id": 1, "ok": false, "error": {...}}`. `id` is yours (number or string) and pairs replies with calls; several calls may be in flight.',
    '- Events: the server pushes `{"event": "<name>", "payload": ...}` for every core event to every connected client. A client too slow to read has events dropped rather than buffered without bound.',
    `- Event names: ${eventNames.length > 0 ? eventNames.map((e) => `\`${e}\``).join(', ') : '(none)'}. Payload schemas are in \`x-stackdeck-events\`.`,
    '',
    '- Refusals: frames are numbered per connection from 1. A frame that is not a JSON object, or names no known `op`, is answered `{"id": <id or null>, "frame": <n>, "ok": false, "error": {..., "path"}}`; a protocol violation (invalid UTF-8 1007, over the size limit 1009, unmasked, reserved opcode, RSV bits, stray continuation, bad close code, oversized ping: 1002) closes that connection only, with that code.',
    '',
    'Scopes, the per-token rate limit and the failed-token lockout (429 on the upgrade) apply to WebSocket calls as to HTTP ones.',
  ].join('\n')
}

function sharedSchemas(): Record<string, JsonSchema> {
  const errorBody: JsonSchema = {
    type: 'object',
    required: ['code', 'message'],
    properties: {
      code: { type: 'string', enum: [...ERROR_CODES] },
      message: {
        type: 'string',
        description: 'A human sentence: what went wrong and, where it helps, what to do.',
      },
      path: { type: 'string', description: 'JSON pointer of the offending input field, or file:line:col.' },
      details: {
        type: 'array',
        items: {
          type: 'object',
          required: ['message'],
          properties: {
            path: { type: 'string' },
            message: { type: 'string' },
            line: { type: 'integer' },
            column: { type: 'integer' },
          },
        },
      },
    },
  }
  return {
    ErrorBody: errorBody,
    Error: { type: 'object', required: ['error'], properties: { error: ref('ErrorBody') } },
    RpcSuccess: {
      type: 'object',
      required: ['ok', 'result'],
      properties: { ok: { const: true }, result: {} },
    },
    RpcFailure: {
      type: 'object',
      required: ['ok', 'error'],
      properties: { ok: { const: false }, error: ref('ErrorBody') },
    },
  }
}

function sharedResponses(): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const e of ERROR_RESPONSES) {
    out[e.name] = {
      description: `${e.status}: ${e.description}`,
      content: { 'application/json': { schema: ref('Error') } },
    }
  }
  return out
}

export function buildOpenApi(opts: OpenApiOptions): OpenApiDocument {
  const routes = [...buildRouteTable().values()]
  const rows = operations as unknown as Record<string, OpRow>
  const paths: OpenApiDocument['paths'] = {}
  const tags = new Set<string>()

  for (const route of routes) {
    const row = rows[route.op]
    if (!row) continue
    const tag = route.op.split('.')[0] ?? route.op
    tags.add(tag)
    const input = plainSchema(row.input)
    const operation: OpenApiOperation = {
      operationId: route.op,
      summary: row.summary,
      description: describeOp(route.op, row, route.public),
      tags: [tag],
      responses: {
        ...successResponses(route.http, plainSchema(row.result)),
        ...errorResponses(route.method, route.public),
        ...(route.op === 'workflow.saveAndRestart' ? runReportResponses(plainSchema(row.result)) : {}),
      },
      'x-stackdeck-operation': route.op,
      'x-stackdeck-scope': row.scope,
    }
    if (route.public) {
      operation.security = []
      operation['x-stackdeck-public'] = true
    }
    const { inPath, rest } = splitPathParams(input, route.params)
    const hasBody = route.method === 'POST' || route.method === 'PUT'
    const params = [...inPath, ...(hasBody ? [] : queryParameters(rest))]
    if (params.length > 0) operation.parameters = params
    if (hasBody) {
      const required = Array.isArray(rest['required']) && rest['required'].length > 0
      operation.requestBody = { required, content: { 'application/json': { schema: rest } } }
    }
    const item = (paths[route.path] ??= {})
    item[route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'] = operation
  }

  const opNames = Object.keys(rows)
  paths[`${RPC_PATH_PREFIX}{operation}`] = {
    post: {
      operationId: 'rpc',
      summary: 'Call any operation by name; answers an envelope.',
      description: [
        'The input is the operation\u2019s input schema (see `x-stackdeck-operations`). An empty body means no input, accepted only by operations whose input is entirely optional; a body of `null` is always refused.',
        'Every ok envelope answers 200 (Save & Restart included: read `result.outcome`); its REST route `POST /save-and-restart` maps the outcome to a status instead.',
        'The token needs the scope the operation names. Unknown operation names answer 404 with a plain `Error` body.',
      ].join('\n'),
      tags: ['rpc'],
      parameters: [
        { name: 'operation', in: 'path', required: true, schema: { type: 'string', enum: opNames } },
      ],
      requestBody: { required: false, content: { 'application/json': { schema: { type: 'object' } } } },
      responses: {
        '200': {
          description: 'Success envelope.',
          content: { 'application/json': { schema: ref('RpcSuccess') } },
        },
        ...Object.fromEntries(
          Object.entries(errorResponses('POST', false)).map(([status]) => [
            status,
            {
              description:
                'Failure envelope (guards that run before the call, such as 401 or 421, answer a plain Error).',
              content: { 'application/json': { schema: { oneOf: [ref('RpcFailure'), ref('Error')] } } },
            },
          ]),
        ),
      },
    },
  }
  tags.add('rpc')

  const docsResponse = (type: string, description: string) => ({
    '200': { description, content: { [type]: { schema: { type: 'string' } } } },
  })
  paths['/openapi.json'] = {
    get: {
      operationId: 'openapi',
      summary: 'This document. Needs no token: it holds the contract\u2019s shape, no data and no secrets.',
      description: 'Generated from the contract table of the running version.',
      tags: ['docs'],
      security: [],
      responses: {
        '200': {
          description: 'OpenAPI 3.1 document.',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      },
    },
  }
  paths['/docs'] = {
    get: {
      operationId: 'docs',
      summary: 'This reference as a static HTML page. Needs no token.',
      description:
        'Plain HTML without scripts or styles, so it works under the strict Content-Security-Policy.',
      tags: ['docs'],
      security: [],
      responses: docsResponse('text/html', 'HTML page.'),
    },
  }
  tags.add('docs')

  const schemas = sharedSchemas()
  const xEvents: OpenApiDocument['x-stackdeck-events'] = {}
  for (const [name, def] of Object.entries(
    events as unknown as Record<string, { summary: string; payload: unknown }>,
  )) {
    xEvents[name] = { summary: def.summary, payload: plainSchema(def.payload) }
  }
  const xOps: OpenApiDocument['x-stackdeck-operations'] = {}
  for (const [name, row] of Object.entries(rows)) {
    xOps[name] = {
      summary: row.summary,
      scope: row.scope,
      http: row.http ? { method: row.http.method, path: row.http.path } : null,
      input: plainSchema(row.input),
      result: plainSchema(row.result),
    }
  }

  const doc: OpenApiDocument = {
    openapi: '3.1.0',
    info: {
      title: 'Stackdeck control API',
      version: opts.version,
      description: intro(),
      license: { name: 'MIT', identifier: 'MIT' },
    },
    security: [{ bearerAuth: [] }],
    tags: [...tags].sort().map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API token: STACKDECK_TOKEN (admin) or one of api.tokens.',
        },
      },
      schemas,
      responses: sharedResponses(),
    },
    'x-stackdeck-operations': xOps,
    'x-stackdeck-events': xEvents,
    'x-stackdeck-websocket': {
      path: WS_PATH,
      subprotocols: [WS_PROTOCOL, `${WS_BEARER_PREFIX}<token>`],
      frames: {
        call: {
          type: 'object',
          required: ['op'],
          properties: {
            id: { type: ['integer', 'string'] },
            op: { type: 'string', enum: opNames },
            input: { type: 'object' },
          },
        },
        reply: {
          oneOf: [ref('RpcSuccess'), ref('RpcFailure')],
          description: 'Carries the `id` of its call.',
        },
        event: {
          type: 'object',
          required: ['event', 'payload'],
          properties: { event: { type: 'string', enum: Object.keys(xEvents) }, payload: {} },
        },
      },
    },
  }
  if (opts.serverUrl) doc.servers = [{ url: opts.serverUrl.replace(/\/+$/, '') }]
  return doc
}

/** HTTP status for each error code, for the docs page's error table. */
export function errorStatusTable(): Array<{ code: string; status: number }> {
  return ERROR_CODES.map((code) => ({ code, status: httpStatusFor({ code, message: '' }) }))
}
