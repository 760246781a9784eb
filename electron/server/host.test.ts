import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import type { Core } from '@core/wiring/create-core'
import { startStackdeckUnderTest, type InProcessStackdeck } from '../../test-support/stackdeck-under-test'
import type { Host } from './host'
import { sha256Hex } from './tokens'

// A real HTTP server on a real loopback port; only Docker and Redis are absent (and unused here).
const ADMIN = 'admin-token-0123456789abcdef'
const READER = 'reader-token-0123456789abcdef'

let sut: InProcessStackdeck
let core: Core
let host: Host

beforeAll(async () => {
  sut = await startStackdeckUnderTest({
    settings: {
      docker: { endpoints: [{ id: 'none', url: 'unix:///nonexistent/docker.sock' }] },
      redis: { url: 'redis://127.0.0.1:1' },
      stateDir: mkdtempSync(join(tmpdir(), 'stackdeck-host-test-')),
      api: { port: 0, rateLimitPerMinute: 30, maxBodyBytes: 2048, tokens: [{ name: 'dashboard', sha256: sha256Hex(READER), scope: 'read' }] },
    },
    inProcess: { version: '9.9.9', env: { STACKDECK_TOKEN: ADMIN }, validateResults: true },
  })
  ;({ core, host } = sut)
})
afterAll(async () => {
  await sut?.stop()
})

function http(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<{ status: number; json: unknown }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: host.port, method, path, headers: { host: `127.0.0.1:${host.port}`, ...headers } },
      (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as unknown) : null }))
      },
    )
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}
const bearer = (t: string) => ({ authorization: `Bearer ${t}` })

describe('headless host security', () => {
  it('serves /health without a token', async () => {
    const r = await http('GET', '/health')
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ version: '9.9.9', docker: { ok: false } })
  })

  it('refuses a request with no token', async () => {
    expect((await http('GET', '/info')).status).toBe(401)
  })

  it('refuses a wrong token', async () => {
    expect((await http('GET', '/info', bearer('wrong-token-0123456789abcdef'))).status).toBe(401)
  })

  it('accepts the admin token and reports who the caller is', async () => {
    const r = await http('GET', '/info', bearer(ADMIN))
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ who: 'admin', version: '9.9.9' })
  })

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const r = await http('GET', '/info', { ...bearer(ADMIN), host: `attacker.example:${host.port}` })
    expect(r.status).toBe(421)
  })

  it('accepts localhost as Host', async () => {
    expect((await http('GET', '/info', { ...bearer(ADMIN), host: `localhost:${host.port}` })).status).toBe(200)
  })

  it('refuses a cross-site Origin', async () => {
    const r = await http('GET', '/info', { ...bearer(ADMIN), origin: 'https://attacker.example' })
    expect(r.status).toBe(403)
  })

  it('accepts its own Origin', async () => {
    const r = await http('GET', '/info', { ...bearer(ADMIN), origin: `http://127.0.0.1:${host.port}` })
    expect(r.status).toBe(200)
  })

  it('names the offending field in a 400', async () => {
    const r = await http('POST', '/api/rpc/app.info', { ...bearer(ADMIN), 'content-type': 'application/json' }, '{"bogus":1}')
    expect(r.status).toBe(400)
    expect(r.json).toMatchObject({ ok: false, error: { code: 'invalid_input', path: '/bogus' } })
  })

  it('rejects malformed JSON with 400 and oversized bodies with 413', async () => {
    expect((await http('POST', '/api/rpc/app.info', { ...bearer(ADMIN), 'content-type': 'application/json' }, '{nope')).status).toBe(400)
    expect((await http('POST', '/api/rpc/app.info', bearer(ADMIN), JSON.stringify({ x: 'y'.repeat(5000) }))).status).toBe(413)
  })

  it('never leaks a stack trace', async () => {
    const r = await http('POST', '/api/rpc/app.info', { ...bearer(ADMIN), 'content-type': 'application/json' }, '{nope')
    expect(r.status).toBe(400)
    expect(JSON.stringify(r.json)).not.toMatch(/at .*\.ts:\d+/)
  })

  it('rate-limits per token with 429', async () => {
    let limited = 0
    for (let i = 0; i < 40; i++) if ((await http('GET', '/settings', bearer(READER))).status === 429) limited++
    expect(limited).toBeGreaterThan(0)
  })

  it('redacts secrets from settings', async () => {
    const r = await http('GET', '/settings', bearer(ADMIN))
    expect(JSON.stringify(r.json)).not.toContain(sha256Hex(READER))
  })
})

describe('WebSocket door', () => {
  const wsUrl = () => `ws://127.0.0.1:${host.port}/api/ws`

  it('refuses an upgrade without a token', async () => {
    const ws = new WebSocket(wsUrl(), ['stackdeck.v1'])
    const code = await new Promise<number>((r) => ws.on('unexpected-response', (_req, res) => r(res.statusCode ?? 0)))
    expect(code).toBe(401)
  })

  it('refuses a foreign Origin on upgrade', async () => {
    const ws = new WebSocket(wsUrl(), ['stackdeck.v1', `bearer.${ADMIN}`], { origin: 'https://attacker.example' })
    const code = await new Promise<number>((r) => ws.on('unexpected-response', (_req, res) => r(res.statusCode ?? 0)))
    expect(code).toBe(403)
  })

  it('answers calls over the subprotocol token and validates input', async () => {
    const ws = new WebSocket(wsUrl(), ['stackdeck.v1', `bearer.${ADMIN}`])
    await new Promise((r) => ws.on('open', r))
    const replies: unknown[] = []
    ws.on('message', (d: Buffer) => replies.push(JSON.parse(d.toString('utf8'))))
    ws.send(JSON.stringify({ id: 1, op: 'app.info', input: {} }))
    ws.send(JSON.stringify({ id: 2, op: 'app.info', input: { nope: true } }))
    await expect.poll(() => replies.length).toBe(2)
    expect(replies).toContainEqual(expect.objectContaining({ id: 1, ok: true }))
    const invalid = replies.find((r) => (r as { id?: number }).id === 2) as { ok: boolean; error: { code: string } }
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    ws.close()
  })

  it('streams core events to connected clients', async () => {
    const ws = new WebSocket(wsUrl(), ['stackdeck.v1', `bearer.${ADMIN}`])
    await new Promise((r) => ws.on('open', r))
    const got = new Promise<unknown>((r) => ws.on('message', (d: Buffer) => r(JSON.parse(d.toString('utf8')))))
    core.hub.emit('app.alert', { id: 'a1', level: 'info', title: 't', message: 'm', at: new Date().toISOString(), sticky: false })
    expect(await got).toMatchObject({ event: 'app.alert', payload: { id: 'a1' } })
    ws.close()
  })
})

describe('API documentation', () => {
  it('serves the OpenAPI document generated from the contract without a token', async () => {
    const r = await http('GET', '/openapi.json')
    expect(r.status).toBe(200)
    const doc = r.json as { openapi: string; paths: Record<string, Record<string, unknown>> }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/status', '/stack/pause', '/save-and-restart']))
  })
})
