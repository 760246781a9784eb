import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasRedisServerBinary } from '../../../test-support/redis-fixture'
import { RedisStore } from './redis-store'
import { RedisLink } from './redis-link'

// A real redis-server of our own, frozen and killed on purpose: a bus write either happens now or
// fails now. Nothing is queued while Redis is away, and a write in flight when the link drops is
// never resent after the reconnect (ioredis's default would do exactly that).
const hasRedisServer = hasRedisServerBinary()

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer()
    srv.once('error', rej)
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address()
      srv.close(() => res(typeof a === 'object' && a ? a.port : 0))
    })
  })
}

describe.skipIf(!hasRedisServer)('Redis writes are never queued or replayed', () => {
  let dir: string
  let port: number
  let server: ChildProcess | null = null
  const start = async () => {
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir], { stdio: 'ignore' })
    const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    probe.on('error', () => undefined)
    for (let i = 0; i < 50; i++) {
      try {
        await probe.connect()
        await probe.ping()
        probe.disconnect()
        return
      } catch {
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    throw new Error('redis-server did not start')
  }
  const kill = async () => {
    const s = server
    server = null
    if (!s || s.exitCode !== null) return
    await new Promise<void>((r) => {
      s.once('exit', () => r())
      s.kill('SIGKILL')
    })
  }
  const whenState = (link: RedisLink, want: string, ms = 10_000) =>
    new Promise<void>((resolve, reject) => {
      if (link.state === want) return resolve()
      const t = setTimeout(() => reject(new Error(`link never became ${want}`)), ms)
      const off = link.onState((i) => {
        if (i.state === want) {
          clearTimeout(t)
          off()
          resolve()
        }
      })
    })

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sd-redis-link-'))
    port = await freePort()
    await start()
  })
  afterAll(async () => {
    await kill()
    rmSync(dir, { recursive: true, force: true })
  })

  it('fails a write at once while Redis is down, and does not resend one that was in flight', async () => {
    // The first reconnect comes after Redis is back: the case where ioredis would resend at once.
    const link = new RedisLink({ url: `redis://127.0.0.1:${port}`, backoffBaseMs: 2000, backoffMaxMs: 2000, commandTimeoutMs: 1000 })
    const store = new RedisStore(link.cmd)
    await link.start()
    await whenState(link, 'ready')
    await store.set('k:before', '1')

    // In flight: Redis frozen (the SET reaches the socket but gets no answer), then killed.
    server?.kill('SIGSTOP')
    const inFlight = store.set('k:inflight', 'late').then(
      () => 'stored',
      (e: Error) => e.message,
    )
    await new Promise((r) => setTimeout(r, 200))
    await kill()
    expect(await inFlight).not.toBe('stored')

    // Down: a write fails at once, it does not wait for Redis to come back.
    const t0 = Date.now()
    await expect(store.set('k:down', 'queued?')).rejects.toThrow()
    expect(Date.now() - t0).toBeLessThan(200)

    await start()
    await whenState(link, 'ready')
    await new Promise((r) => setTimeout(r, 800))
    expect(await store.get('k:before')).toBe('1')
    expect(await store.get('k:inflight')).toBeNull()
    expect(await store.get('k:down')).toBeNull()
    await link.stop()
  }, 30_000)
})
