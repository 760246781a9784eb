import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Ajv2020 } from 'ajv/dist/2020'
import addFormatsModule from 'ajv-formats'
import { createAjv } from '@core/api/ajv'
import { events, operations } from '@core/api/contract'
import type { HttpRoute } from '@core/api/define'
import {
  buildOpenApi,
  plainSchema,
  type JsonSchema,
  type OpenApiDocument,
  type OpenApiOperation,
} from './openapi'
import { docsRoutes, renderDocsPage } from './docs-page'
import { buildRouteTable } from './routes'
import { SAVE_AND_RESTART_STATUS } from './run-outcome-status'

const addFormats: typeof addFormatsModule =
  (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule

type Row = {
  summary: string
  scope: string
  input: unknown
  result: unknown
  http?: HttpRoute
}
const rows = operations as unknown as Record<string, Row>
const httpRows = Object.entries(rows).filter(
  (e): e is [string, Row & { http: NonNullable<Row['http']> }] => !!e[1].http,
)

const doc = buildOpenApi({ version: '1.2.3', serverUrl: 'http://127.0.0.1:7420/' })

function allOperations(d: OpenApiDocument): Array<{ path: string; method: string; op: OpenApiOperation }> {
  return Object.entries(d.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method, op })),
  )
}

/** Inline `#/...` references so each schema compiles on its own. */
function deref(value: unknown, root: unknown, depth = 0): unknown {
  if (depth > 50) throw new Error('reference cycle')
  if (Array.isArray(value)) return value.map((v) => deref(v, root, depth + 1))
  if (value && typeof value === 'object') {
    const ref = (value as { $ref?: unknown }).$ref
    if (typeof ref === 'string') return deref(resolvePointer(root, ref), root, depth + 1)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deref(v, root, depth + 1)]))
  }
  return value
}
function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`external ref ${ref}`)
  let cur: unknown = root
  for (const part of ref.slice(2).split('/')) {
    cur = (cur as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')]
    if (cur === undefined) throw new Error(`unresolved ref ${ref}`)
  }
  return cur
}

function walk(value: unknown, visit: (key: string, v: unknown) => void) {
  if (Array.isArray(value)) value.forEach((v) => walk(v, visit))
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      visit(k, v)
      walk(v, visit)
    }
  }
}

describe('buildOpenApi', () => {
  it('has the contract rows this test relies on', () => {
    // The assertions below derive from the contract; make sure it is not trivially empty.
    expect(httpRows.length).toBeGreaterThan(2)
    expect(rows['app.health']?.http).toEqual({ method: 'GET', path: '/health' })
    expect(rows['app.info']?.http).toEqual({ method: 'GET', path: '/info' })
  })

  it('is an OpenAPI 3.1 document with info, servers, security and components', () => {
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.info).toMatchObject({ title: expect.any(String) as unknown, version: '1.2.3' })
    expect(doc.info.description).toMatch(/\/api\/rpc\/\{operation\}|\/api\/rpc\//)
    expect(doc.info.description).toContain('stackdeck.v1')
    expect(doc.info.description).toContain('bearer.<token>')
    expect(doc.servers).toEqual([{ url: 'http://127.0.0.1:7420' }])
    expect(buildOpenApi({ version: 'x' }).servers).toBeUndefined()
    expect(doc.security).toEqual([{ bearerAuth: [] }])
    expect(doc.components.securitySchemes['bearerAuth']).toMatchObject({ type: 'http', scheme: 'bearer' })
    expect(doc.components.schemas['Error']).toMatchObject({ required: ['error'] })
  })

  it('documents every operation that has an http route, with its method, path, scope and schemas', () => {
    for (const [name, row] of httpRows) {
      const item = doc.paths[row.http.path]
      expect(item, `${name} path ${row.http.path}`).toBeDefined()
      const op = item?.[row.http.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete']
      expect(op, `${name} method`).toBeDefined()
      if (!op) continue
      expect(op.operationId).toBe(name)
      expect(op['x-stackdeck-operation']).toBe(name)
      expect(op['x-stackdeck-scope']).toBe(row.scope)
      expect(op.description).toContain(row.scope)
      expect(op.summary).toBe(row.summary)
      // 200, or each success status the route declares (201 for a create), with the result schema
      const s = row.http.status
      const statuses = s === undefined ? [200] : typeof s === 'number' ? [s] : [s.whenTrue, s.whenFalse]
      for (const st of statuses.filter((x) => x !== 204)) {
        expect(op.responses[String(st)], `${name} ${st}`).toMatchObject({
          content: { 'application/json': { schema: plainSchema(row.result) } },
        })
      }
      if (row.http.noContentWhenNull) expect(op.responses['204']).toBeDefined()
      const input = plainSchema(row.input)
      const inPath = [...row.http.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string)
      for (const p of inPath) expect(op.parameters?.find((x) => x.name === p)).toMatchObject({ in: 'path', required: true })
      const props = Object.keys((input['properties'] as Record<string, unknown> | undefined) ?? {}).filter((p) => !inPath.includes(p))
      if (row.http.method === 'GET' || row.http.method === 'DELETE') {
        expect((op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name).sort()).toEqual(props.sort())
        expect(op.requestBody).toBeUndefined()
      } else {
        const body = op.requestBody?.content['application/json'].schema as { properties?: Record<string, unknown> }
        expect(Object.keys(body.properties ?? {}).sort()).toEqual(props.sort())
        if (inPath.length === 0) expect(body).toEqual(input)
      }
    }
  })

  it('marks public routes as needing no token and every other one as bearer-protected', () => {
    const routes = [...buildRouteTable().values()]
    expect(routes.some((r) => r.public)).toBe(true)
    for (const r of routes) {
      const op = doc.paths[r.path]?.[r.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete']
      if (r.public) {
        expect(op?.security).toEqual([])
        expect(op?.responses['401']).toBeUndefined()
      } else {
        expect(op?.security).toBeUndefined() // inherits the document-wide bearerAuth
        expect(op?.responses['401']).toBeDefined()
        expect(op?.responses['403']).toBeDefined()
      }
    }
    expect(doc.paths['/health']?.get?.security).toEqual([])
  })

  it('gives every operation an operationId, tags and error responses that resolve to the Error schema', () => {
    const ids = new Set<string>()
    for (const { path, op } of allOperations(doc)) {
      expect(op.operationId, path).toEqual(expect.any(String))
      expect(ids.has(op.operationId)).toBe(false)
      ids.add(op.operationId)
      expect(op.tags.length).toBeGreaterThan(0)
      // 200, or the 201/204 the route declares instead
      expect(Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)), `${path} success`).toBe(true)
      for (const status of Object.keys(op.responses)) expect(status).toMatch(/^[1-5]\d\d$/)
    }
    for (const [name, row] of httpRows) {
      const op = doc.paths[row.http.path]?.[row.http.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete']
      for (const status of ['400', '404', '409', '500']) {
        const resolved = deref(op?.responses[status], doc) as {
          content: { 'application/json': { schema: JsonSchema } }
        }
        const schema = resolved.content['application/json'].schema
        // Save & Restart answers its run report with these statuses too (see run-outcome-status.ts).
        const bodies =
          name === 'workflow.saveAndRestart' && status !== '400' && status !== '404'
            ? (schema['oneOf'] as JsonSchema[])
            : [schema]
        expect(
          bodies.map((b) => deref(b, doc)),
          `${name} ${status}`,
        ).toContainEqual(deref(doc.components.schemas['Error'], doc))
      }
    }
  })

  it('documents the status of every Save & Restart outcome, as the host answers it', () => {
    const op = doc.paths['/save-and-restart']?.post
    const report = plainSchema(operations['workflow.saveAndRestart'].result)
    for (const { status, when } of SAVE_AND_RESTART_STATUS) {
      const r = op?.responses[String(status)] as {
        description: string
        content: { 'application/json': { schema: JsonSchema } }
      }
      expect(r.description, String(status)).toBe(`The run report: ${when}`)
      const schema = r.content['application/json'].schema
      expect(schema['oneOf'] ? (schema['oneOf'] as JsonSchema[])[0] : schema).toEqual(report)
    }
    expect(op?.responses['415']).toBeDefined()
  })

  it('documents the generic RPC endpoint and the WebSocket', () => {
    const rpc = doc.paths['/api/rpc/{operation}']?.post
    expect(rpc?.parameters?.[0]).toMatchObject({ name: 'operation', in: 'path', required: true })
    expect((rpc?.parameters?.[0]?.schema['enum'] as string[]).sort()).toEqual(Object.keys(rows).sort())
    expect(doc['x-stackdeck-websocket']).toMatchObject({
      path: '/api/ws',
      subprotocols: ['stackdeck.v1', 'bearer.<token>'],
    })
    expect(Object.keys(doc['x-stackdeck-events']).sort()).toEqual(Object.keys(events).sort())
    expect(Object.keys(doc['x-stackdeck-operations']).sort()).toEqual(Object.keys(rows).sort())
  })

  it('resolves every $ref and carries no TypeBox-internal keys', () => {
    const refs: string[] = []
    walk(doc, (k, v) => {
      expect(k.startsWith('~'), `key ${k}`).toBe(false)
      if (k === '$ref') refs.push(v as string)
    })
    expect(refs.length).toBeGreaterThan(0)
    for (const r of refs) expect(() => resolvePointer(doc, r)).not.toThrow()
    // Survives a JSON round trip unchanged: nothing hides in symbols or non-enumerable keys.
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc)
  })

  it('compiles every request, parameter and response schema with ajv (draft-07 as the doors use, and 2020-12 as OpenAPI 3.1 means)', () => {
    const ajv07 = createAjv()
    const ajv2020 = new Ajv2020({ allErrors: true, strict: false })
    addFormats(ajv2020)
    ajv2020.addKeyword({ keyword: 'x-apply', schemaType: 'string' })
    let compiled = 0
    const seen = new Set<string>()
    const compile = (where: string, schema: unknown) => {
      const s = deref(schema, doc) as JsonSchema
      // Shared error schemas repeat on every route: compile each distinct schema once.
      const key = JSON.stringify(s)
      if (seen.has(key)) return
      seen.add(key)
      expect(() => ajv07.compile(s), where).not.toThrow()
      expect(() => ajv2020.compile(s), where).not.toThrow()
      compiled++
    }
    for (const { path, method, op } of allOperations(doc)) {
      const where = `${method} ${path}`
      if (op.requestBody) compile(`${where} body`, op.requestBody.content['application/json'].schema)
      for (const p of op.parameters ?? []) compile(`${where} ?${p.name}`, p.schema)
      for (const [status, resp] of Object.entries(op.responses)) {
        const r = deref(resp, doc) as { content?: Record<string, { schema: unknown }> }
        for (const c of Object.values(r.content ?? {})) compile(`${where} ${status}`, c.schema)
      }
    }
    for (const [name, e] of Object.entries(doc['x-stackdeck-events'])) compile(`event ${name}`, e.payload)
    expect(compiled).toBeGreaterThan(httpRows.length)
  }, 120_000)

  it('request body schemas accept and reject what the contract does', () => {
    const ajv = createAjv()
    for (const [name, row] of httpRows.filter(([, r]) => r.http.method === 'POST' || r.http.method === 'PUT')) {
      const op = doc.paths[row.http.path]?.[row.http.method.toLowerCase() as 'post' | 'put']
      const validate = ajv.compile(op?.requestBody?.content['application/json'].schema ?? {})
      // Every contract input here is a closed object: an unknown field must fail.
      if (plainSchema(row.input)['additionalProperties'] === false) {
        expect(validate({ '~definitely-not-a-field': 1 }), name).toBe(false)
      }
    }
  })
})

describe('docs page', () => {
  const html = renderDocsPage(doc)

  it('lists every operation with method, path, scope and schemas', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true)
    for (const [name, row] of httpRows) {
      expect(html).toContain(`<td><code>${row.http.method}</code></td><td><code>${row.http.path}</code></td>`)
      expect(html).toContain(`id="op-${name.replace(/[^a-zA-Z0-9_-]/g, '-')}"`)
    }
    for (const name of Object.keys(rows)) expect(html).toContain(`POST /api/rpc/${name}`)
    for (const name of Object.keys(events)) expect(html).toContain(`<h3>${name}</h3>`)
    expect(html).toContain('<pre><code>{')
  })

  it('obeys the CSP: no scripts, no inline styles, no external resources', () => {
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/<style/i)
    expect(html).not.toMatch(/\sstyle=/i)
    expect(html).not.toMatch(/\son[a-z]+=/i)
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i)
  })

  it('escapes text from the contract', () => {
    const fake = structuredClone(doc)
    const first = Object.keys(fake['x-stackdeck-operations'])[0] ?? ''
    const row = fake['x-stackdeck-operations'][first]
    if (row) row.summary = '<img src=x onerror=alert(1)> & "q"'
    const page = renderDocsPage(fake)
    expect(page).not.toContain('<img src=x')
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot;')
  })
})

describe('docsRoutes', () => {
  let server: Server
  let port: number
  beforeAll(async () => {
    const routes = docsRoutes({ version: '1.2.3' })
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      const h = path === '/openapi.json' || path === '/docs' ? routes[path] : undefined
      if (h) h(req, res)
      else res.writeHead(404).end()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    port = (server.address() as AddressInfo).port
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
  })

  const get = (method: string, path: string) =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
        let body = ''
        res.on('data', (d: Buffer) => (body += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      })
      req.on('error', reject)
      req.end()
    })

  it('serves the document as JSON and the page as HTML under the CSP', async () => {
    const j = await get('GET', '/openapi.json')
    expect(j.status).toBe(200)
    expect(j.headers['content-type']).toMatch(/^application\/json/)
    expect((JSON.parse(j.body) as OpenApiDocument).openapi).toBe('3.1.0')
    const h = await get('GET', '/docs')
    expect(h.status).toBe(200)
    expect(h.headers['content-type']).toMatch(/^text\/html/)
    expect(h.headers['content-security-policy']).toContain("script-src 'self'")
    expect(h.headers['x-content-type-options']).toBe('nosniff')
    expect(h.body).toContain('Stackdeck control API')
  })

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await get('HEAD', '/docs')
    expect(head.status).toBe(200)
    expect(head.body).toBe('')
    const post = await get('POST', '/openapi.json')
    expect(post.status).toBe(405)
    expect(post.headers['allow']).toBe('GET, HEAD')
  })
})
