/**
 * The host under hostile input, in process (real sockets, no Docker or Redis needed): hostile frames and
 * requests are answered or closed per connection, and the host keeps serving. The built-host
 * versions of these, with real Redis and engine, are ws-fuzz.int.test.ts and api-fuzz.int.test.ts.
 */
import { mkdtempSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startStackdeckUnderTest, type InProcessStackdeck } from '../../test-support/stackdeck-under-test'
import type { Host } from './host'
import { resolveTokens } from './tokens'

const ADMIN = 'admin-token-0123456789abcdef'
const LOCKOUT_MS = 1500
let sut: InProcessStackdeck
let host: Host
const logged: string[] = []

beforeAll(async () => {
  sut = await startStackdeckUnderTest({
    settings: {
      docker: { endpoints: [{ id: 'none', url: 'unix:///nonexistent/docker.sock' }] },
      redis: { url: 'redis://127.0.0.1:1' },
      stateDir: mkdtempSync(join(tmpdir(), 'stackdeck-hardening-test-')),
      api: { port: 0, maxBodyBytes: 4096, authFailuresPerMinute: 5, authLockoutMs: LOCKOUT_MS },
    },
    inProcess: { version: '9.9.9', env: { STACKDECK_TOKEN: ADMIN }, log: (l) => logged.push(l) },
  })
  ;({ host } = sut)
})
afterAll(async () => {
  await sut?.stop()
})

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  json: { error?: { code?: string; message?: string; path?: string } } & Record<string, unknown>
}

/** Raw headers as an array of pairs, so a test can send a header twice. */
function http(
  method: string,
  path: string,
  headers: Array<[string, string]>,
  body?: Buffer | string,
  localAddress?: string,
) {
  return new Promise<Answer>((resolve, reject) => {
    const flat = [['host', `127.0.0.1:${host.port}`], ...headers].flat()
    const req = request(
      {
        host: '127.0.0.1',
        port: host.port,
        method,
        path,
        headers: flat,
        ...(localAddress ? { localAddress } : {}),
      },
      (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d.toString()))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            json: (text ? JSON.parse(text) : {}) as Answer['json'],
          }),
        )
      },
    )
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}
const auth = (t = ADMIN): [string, string] => ['authorization', `Bearer ${t}`]
const json: [string, string] = ['content-type', 'application/json']

describe('HTTP refusals that used to be 500s, silent rewrites or silent defaults', () => {
  it('answers 400 for bad percent-encoding, without a token', async () => {
    for (const p of ['/%', '/%zz', '/assets/%ff', '/api/%e9']) {
      const r = await http('GET', p, [])
      expect(r.status, p).toBe(400)
      expect(r.json.error?.message).toContain('percent-encoding')
    }
  })

  it('refuses two Host headers with 400, even when both are allowed', async () => {
    const r = await http('GET', '/health', [['host', `localhost:${host.port}`]])
    expect(r.status).toBe(400)
    expect(r.json.error?.message).toBe('The request carries 2 host headers; send exactly one')
  })

  it('answers 415 for a body that is not declared JSON, and accepts an empty body without a type', async () => {
    const text = await http('POST', '/api/rpc/app.info', [auth(), ['content-type', 'text/plain']], '{}')
    expect(text.status).toBe(415)
    expect(text.json.error?.message).toContain('text/plain')
    expect((await http('POST', '/api/rpc/app.info', [auth()], '{}')).status).toBe(415)
    expect(
      (
        await http(
          'POST',
          '/api/rpc/app.info',
          [auth(), ['content-type', 'application/json; charset=latin1']],
          '{}',
        )
      ).status,
    ).toBe(415)
    expect(
      (
        await http(
          'POST',
          '/api/rpc/app.info',
          [auth(), ['content-type', 'application/json; charset=UTF-8']],
          '{}',
        )
      ).status,
    ).toBe(200)
    expect((await http('POST', '/api/rpc/app.info', [auth()])).status).toBe(200)
  })

  it('refuses a raw 0xE9 byte with 400 naming its offset', async () => {
    const body = Buffer.concat([Buffer.from('{"text":"caf'), Buffer.from([0xe9]), Buffer.from('"}')])
    const r = await http('POST', '/config/validate', [auth(), json], body)
    expect(r.status).toBe(400)
    expect(r.json.error).toMatchObject({
      code: 'invalid_input',
      message: 'Body is not valid UTF-8: byte 0xE9 at offset 12',
    })
  })

  it('refuses a lone surrogate with 400 naming the field and offset', async () => {
    const r = await http('POST', '/config/validate', [auth(), json], '{"text":"a = \\"\\ud800\\""}')
    expect(r.status).toBe(400)
    expect(r.json.error).toMatchObject({ code: 'invalid_input', path: '/text' })
    expect(r.json.error?.message).toContain('at character offset 5')
  })

  it('refuses a body of null, and an empty body for an operation that needs input', async () => {
    const n = await http('POST', '/stack/pause', [auth(), json], 'null')
    expect(n.status).toBe(400)
    expect(n.json.error).toMatchObject({
      code: 'invalid_input',
      path: '/',
      message: 'stack.pause: input must be a JSON object, not null',
    })
    const rpc = await http('POST', '/api/rpc/stack.pause', [auth(), json], ' null ')
    expect(rpc.status).toBe(400)
    const empty = await http('POST', '/risk/killswitch', [auth(), json])
    expect(empty.status).toBe(400)
    expect(empty.json.error?.path).toBe('/reason')
  })

  it('caps the errors a 400 lists', async () => {
    const keys = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i]))
    const r = await http('POST', '/api/rpc/app.info', [auth(), json], JSON.stringify(keys))
    expect(r.status).toBe(400)
    const details = (r.json as { error: { details: unknown[] } }).error.details
    expect(details).toHaveLength(21)
    expect(details.at(-1)).toEqual({ path: '/', message: 'and 280 more error(s), not listed' })
  })
})

describe('failed-authentication throttle', () => {
  it('locks out the guessing address with 429 + retry-after, while another address is served', async () => {
    const guesser = '127.0.0.2'
    const statuses: number[] = []
    for (let i = 0; i < 8; i++)
      statuses.push(
        (await http('GET', '/info', [auth(`guess-${i}-0123456789abcdef`)], undefined, guesser)).status,
      )
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429])
    // Locked out: even the right token is refused without being checked, so no guess can stand out.
    const locked = await http('GET', '/info', [auth()], undefined, guesser)
    expect(locked.status).toBe(429)
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(locked.json.error?.message).toContain(`from ${guesser}`)
    // The public health check and the other address are untouched.
    expect((await http('GET', '/health', [], undefined, guesser)).status).toBe(200)
    expect((await http('GET', '/info', [auth()], undefined, '127.0.0.3')).status).toBe(200)
    // The WebSocket door shares the lockout.
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/ws`, ['stackdeck.v1', `bearer.${ADMIN}`], {
      localAddress: guesser,
    })
    ws.on('error', () => undefined)
    const code = await new Promise<number>((r) =>
      ws.on('unexpected-response', (_q, res) => r(res.statusCode ?? 0)),
    )
    expect(code).toBe(429)
    // And the lockout is short.
    await new Promise((r) => setTimeout(r, LOCKOUT_MS + 100))
    expect((await http('GET', '/info', [auth()], undefined, guesser)).status).toBe(200)
  })

  it('counts wrong WebSocket tokens too', async () => {
    const from = '127.0.0.4'
    const codes: number[] = []
    for (let i = 0; i < 6; i++) {
      const ws = new WebSocket(
        `ws://127.0.0.1:${host.port}/api/ws`,
        ['stackdeck.v1', `bearer.wrong-${i}-0123456789abcdef`],
        { localAddress: from },
      )
      ws.on('error', () => undefined)
      codes.push(
        await new Promise<number>((r) => ws.on('unexpected-response', (_q, res) => r(res.statusCode ?? 0))),
      )
    }
    expect(codes).toEqual([401, 401, 401, 401, 401, 429])
  })
})

it('refuses a STACKDECK_TOKEN shorter than 16 characters', async () => {
  await expect(resolveTokens({ tokens: [] }, { STACKDECK_TOKEN: 'short-token' })).rejects.toThrow(
    'STACKDECK_TOKEN is 11 characters long; it needs at least 16',
  )
  expect((await resolveTokens({ tokens: [] }, { STACKDECK_TOKEN: 'x'.repeat(16) })).adminToken).toBe('x'.repeat(16))
})

it('keeps a token file for the admin when only agent tokens are configured, and not when a person\'s token is', async () => {
  const kept: string[] = []
  const store = { read: async () => kept[0] ?? null, write: async (t: string) => void kept.push(t) }
  const agentOnly = await resolveTokens({ tokens: [{ name: 'trainer', sha256: 'a'.repeat(64), scope: 'agent', agent: 'trainer-1' }] }, {}, store)
  expect(agentOnly).toMatchObject({ source: 'file', created: true })
  expect(agentOnly.adminToken).toBe(kept[0])
  expect(agentOnly.registry.size).toBe(2)
  const withReader = await resolveTokens({ tokens: [{ name: 'ro', sha256: 'b'.repeat(64), scope: 'read' }] }, {}, store)
  expect(withReader).toMatchObject({ source: 'none', adminToken: null })
  expect(kept).toHaveLength(1)
})

describe('WebSocket frames', () => {
  async function open() {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/ws`, ['stackdeck.v1', `bearer.${ADMIN}`])
    await new Promise((r) => ws.on('open', r))
    const replies: Array<Record<string, unknown>> = []
    ws.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString('utf8')) as Record<string, unknown>
      if (m['event'] === undefined) replies.push(m)
    })
    return { ws, replies }
  }

  it('answers null, arrays, primitives and non-JSON frames with an error naming the frame', async () => {
    const { ws, replies } = await open()
    for (const f of [
      'null',
      '[]',
      '42',
      '"x"',
      '{nope',
      '{"id":{},"op":"app.info"}',
      '{"id":7}',
      '{"id":8,"op":"app.info","input":null}',
    ])
      ws.send(f)
    ws.send(Buffer.from([0x7b, 0xe9, 0x7d]), { binary: true })
    ws.send('{"id":9,"op":"app.info"}')
    await expect.poll(() => replies.length).toBe(10)
    // Frames that reach the dispatcher answer later than the ones refused at once: match by frame number.
    const byFrame = (n: number) => replies.find((r) => r['frame'] === n)
    expect(byFrame(1)).toMatchObject({
      id: null,
      ok: false,
      error: {
        code: 'invalid_input',
        path: '/',
        message: 'frame 1 must be a JSON object {"id", "op", "input"}, not null',
      },
    })
    expect(byFrame(2)).toMatchObject({
      error: { message: expect.stringContaining('not an array') as unknown },
    })
    expect(byFrame(3)).toMatchObject({
      error: { message: expect.stringContaining('not a number') as unknown },
    })
    expect(byFrame(5)).toMatchObject({
      error: { path: '/', message: expect.stringMatching(/^frame 5 is not JSON/) as unknown },
    })
    expect(byFrame(6)).toMatchObject({ error: { path: '/id' } })
    expect(byFrame(7)).toMatchObject({ id: 7, error: { path: '/op' } })
    expect(byFrame(8)).toMatchObject({
      id: 8,
      error: { code: 'invalid_input', message: 'app.info: input must be a JSON object, not null' },
    })
    expect(byFrame(9)).toMatchObject({ error: { message: 'frame 9: invalid UTF-8: byte 0xE9 at offset 1' } })
    expect(replies.find((r) => r['id'] === 9)).toMatchObject({ ok: true })
    ws.close()
  })

  it('closes only the offending socket on a protocol error, with the right code', async () => {
    const bystander = await open()
    const victim = await open()
    const closed = new Promise<number>((r) => victim.ws.on('close', (code) => r(code)))
    victim.ws.on('error', () => undefined)
    victim.ws.send('x'.repeat(5000)) // over maxPayload (4096)
    expect(await closed).toBe(1009)
    bystander.ws.send('{"id":1,"op":"app.info"}')
    await expect.poll(() => bystander.replies.length).toBe(1)
    expect(bystander.replies[0]).toMatchObject({ id: 1, ok: true })
    expect(logged.some((l) => l.includes('Max payload size exceeded'))).toBe(true)
    bystander.ws.close()
  })
})
