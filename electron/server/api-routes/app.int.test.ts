/**
 * The route table and the host's own routes against the REAL built host process, the private Docker
 * engine and Redis (test-support/route-stack.ts): the table is the contract's, every route has a
 * happy path in exactly one suite of this folder, the public documents need no token, and app and
 * settings answer what the contract promises.
 */
import { describe, expect, it } from 'vitest'
import { operations, type OperationName, type OpResult } from '@core/api/contract'
import { hasTestDocker } from '../../../test-support/docker-fixtures'
import { hasTestRedis } from '../../../test-support/redis-fixture'
import { resultErrors, sha256, TOKEN_NAMES } from '../../../test-support/api-harness'
import { happyPaths, routes, suitesOf, useRouteStack } from '../../../test-support/route-stack'

/** The REST routes the README's "Control API" section names, method and path exactly. */
const DOCUMENTED_ROUTES = [
  'GET /health',
  'GET /status',
  'POST /stack/pause',
  'POST /stack/resume',
  'GET /config',
  'POST /config/validate',
  'POST /save-and-restart',
  'GET /schedule',
  'GET /agents',
  'GET /bus/events',
  'POST /risk/killswitch',
  'GET /regime/state',
  'GET /audit',
]

const enabled = hasTestDocker() && hasTestRedis()

describe.skipIf(!enabled)('control API routes: the route table, the documents, app and settings', () => {
  const rs = useRouteStack()

  describe('the route table', () => {
    it('is derived from the contract and has every route the README documents', async () => {
      const keys = routes.map((r) => `${r.method} ${r.path}`)
      expect(keys).toEqual(expect.arrayContaining(DOCUMENTED_ROUTES))
      // Each route is one contract operation with an http field, nothing else.
      for (const r of routes) {
        const http = (operations[r.op] as { http?: { method: string; path: string } }).http
        expect(http).toMatchObject({ method: r.method, path: r.path })
        expect(r.scope).toBe(operations[r.op].scope)
      }
      const withHttp = Object.entries(operations)
        .filter(([, d]) => (d as { http?: unknown }).http)
        .map(([n]) => n)
      expect(routes.map((r) => r.op).sort()).toEqual(withHttp.sort())
      // The document the host serves lists the same routes.
      const doc = await rs.sut.host.client.get('/openapi.json')
      expect(doc.status).toBe(200)
      const paths = (doc.json as { paths: Record<string, Record<string, unknown>> }).paths
      for (const r of routes)
        expect(paths[r.path]?.[r.method.toLowerCase()], `${r.method} ${r.path} in openapi.json`).toBeDefined()
    })

    it('GET /health needs no token and reports status, uptime, version, Docker and Redis reachability', async () => {
      const r = await rs.sut.host.client.get('/health')
      expect(r.status).toBe(200)
      expect(resultErrors('app.health', r.json)).toEqual([])
      const h = r.json as OpResult<'app.health'>
      expect(h).toMatchObject({ status: 'ok', docker: { ok: true }, redis: { ok: true } })
      expect(h.version).toMatch(/^\d+\.\d+\.\d+/)
      expect(h.uptimeS).toBeGreaterThan(0)
    })

    it('GET /openapi.json and GET /docs need no token', async () => {
      const doc = await rs.sut.host.client.get('/openapi.json')
      expect(doc.status).toBe(200)
      expect((doc.json as { openapi: string }).openapi).toBe('3.1.0')
      const page = await rs.sut.host.client.get('/docs')
      expect(page.status).toBe(200)
      expect(page.headers['content-type']).toMatch(/text\/html/)
      for (const r of routes) expect(page.text).toContain(r.path)
    })
  })

  it('gives every route its happy path in exactly one suite of electron/server/api-routes/', () => {
    for (const r of routes) expect(suitesOf(r.op), `${r.method} ${r.path} (${r.op})`).toHaveLength(1)
  })

  const happy: Array<[OperationName, () => Promise<void>]> = [
    [
      'app.health',
      async () => {
        const h = await rs.ok('app.health', {}, undefined)
        expect(h.status).toBe('ok')
      },
    ],
    [
      'app.info',
      async () => {
        const i = await rs.ok('app.info', {}, rs.tokens.read)
        expect(i.who).toBe(TOKEN_NAMES.read)
        expect(i.pid).toBe(rs.sut.host.proc.pid)
      },
    ],
    [
      'settings.get',
      async () => {
        const s = await rs.ok('settings.get', {}, rs.tokens.read)
        const text = JSON.stringify(s)
        for (const t of ['read', 'operate', 'admin'] as const) {
          expect(text).not.toContain(rs.tokens[t])
          expect(text).not.toContain(sha256(rs.tokens[t]))
        }
        expect(s.source).toBe(rs.sut.host.settingsPath)
      },
    ],
  ]

  happyPaths('app', happy)
})
