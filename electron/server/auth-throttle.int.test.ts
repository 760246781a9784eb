/**
 * The failed-authentication throttle on the REAL built host (real Redis and engine behind it):
 * one address spraying wrong tokens is locked out with 429 + Retry-After on HTTP and on the
 * WebSocket upgrade, while a valid token from another address is still served. Linux routes all
 * of 127/8 to loopback, so 127.0.0.2 and 127.0.0.3 are two clients of a host bound to 127.0.0.1.
 */
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasTestDocker } from '../../test-support/docker-fixtures'
import { hasTestRedis } from '../../test-support/redis-fixture'
import {
  ApiClient,
  createApiWorkspace,
  ensureBuilt,
  errorOf,
  hostSettings,
  makeTokens,
  randomTag,
  sleep,
  startApiHost,
  type ApiHost,
} from '../../test-support/api-harness'
import { startStackdeckUnderTest, type BuiltStackdeck } from '../../test-support/stackdeck-under-test'

const enabled = hasTestDocker() && hasTestRedis()
const tokens = makeTokens()
const BUDGET = 10
const LOCKOUT_MS = 3000

describe.skipIf(!enabled)('failed-authentication throttle (real host)', () => {
  let sut: BuiltStackdeck
  let host: ApiHost
  let guesser: ApiClient
  let honest: ApiClient

  beforeAll(async () => {
    sut = await startStackdeckUnderTest({
      tokens,
      tag: `throttle-${randomTag()}`,
      api: { authFailuresPerMinute: BUDGET, authLockoutMs: LOCKOUT_MS },
      schedule: { enabled: false },
    })
    host = sut.host
    guesser = new ApiClient(host.url, 4, '127.0.0.2')
    honest = new ApiClient(host.url, 4, '127.0.0.3')
  })
  afterAll(async () => {
    guesser?.close()
    honest?.close()
    await sut?.stop()
  })

  const upgradeStatus = (token: string, localAddress: string) =>
    new Promise<number>((resolve, reject) => {
      const c = new WebSocket(`ws://127.0.0.1:${host.port}/api/ws`, ['stackdeck.v1', `bearer.${token}`], {
        localAddress,
      })
      c.on('open', () => {
        c.close()
        resolve(101)
      })
      c.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      c.on('error', (err) => reject(err))
    })

  it('engages after the budget of wrong tokens, answers 429 with Retry-After, and spares other addresses', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 200; i++) statuses.push((await guesser.get('/status', `${tokens.wrong}-${i}`)).status)
    // BUDGET wrong tokens are told 401; the one that empties the budget and all after it are 429.
    expect(statuses.slice(0, BUDGET - 1).every((s) => s === 401)).toBe(true)
    expect(statuses.slice(BUDGET).every((s) => s === 429)).toBe(true)
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(BUDGET)

    // Locked out means locked out: the right token from the guessing address is not even checked.
    const locked = await guesser.get('/status', tokens.read)
    expect(locked.status).toBe(429)
    expect(errorOf(locked)).toMatchObject({
      code: 'rate_limited',
      message: expect.stringContaining('127.0.0.2') as unknown,
    })
    const retry = Number(locked.headers['retry-after'])
    expect(retry).toBeGreaterThanOrEqual(1)
    expect(retry).toBeLessThanOrEqual(Math.ceil(LOCKOUT_MS / 1000))
    expect(await upgradeStatus(tokens.read, '127.0.0.2')).toBe(429)

    // Another address with a valid token is served, over HTTP and WebSocket; /health needs no token.
    expect((await honest.get('/status', tokens.read)).status).toBe(200)
    expect((await host.client.get('/status', tokens.admin)).status).toBe(200)
    expect(await upgradeStatus(tokens.read, '127.0.0.3')).toBe(101)
    expect((await guesser.get('/health')).status).toBe(200)

    // The lockout is short: after it the right token works from the guessing address again.
    await sleep(LOCKOUT_MS + 200)
    expect((await guesser.get('/status', tokens.read)).status).toBe(200)
    expect(host.alive()).toBe(true)
  })

  it('counts wrong tokens on the WebSocket upgrade too', async () => {
    const codes: number[] = []
    for (let i = 0; i < BUDGET + 3; i++)
      codes.push(await upgradeStatus(`${tokens.wrong}-ws-${i}`, '127.0.0.4'))
    expect(codes.slice(0, BUDGET - 1).every((c) => c === 401)).toBe(true)
    expect(codes.slice(BUDGET).every((c) => c === 429)).toBe(true)
    expect((await new ApiClient(host.url, 1, '127.0.0.4').get('/status', tokens.read)).status).toBe(429)
  })
})

describe.skipIf(!enabled)('STACKDECK_TOKEN length (real host process)', () => {
  it('refuses to start with a token shorter than 16 characters, and says why', async () => {
    ensureBuilt()
    const ws = await createApiWorkspace()
    try {
      const settings = hostSettings({
        workspace: ws,
        tokens,
        tag: `short-${randomTag()}`,
        services: [],
        schedule: { enabled: false },
      })
      await expect(startApiHost(settings, { ...tokens, env: 'too-short' })).rejects.toThrow(
        /host exited with 2:[\s\S]*STACKDECK_TOKEN is 9 characters long; it needs at least 16/,
      )
    } finally {
      await ws.cleanup()
    }
  })
})
