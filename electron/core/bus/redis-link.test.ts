import { describe, expect, it } from 'vitest'
import { RedisLink, safeRedisUrl } from './redis-link'

describe('RedisLink', () => {
  it('never shows the password of the URL', () => {
    expect(safeRedisUrl('redis://user:hunter2@redis.internal:6380/2')).toBe(
      'redis://user:***@redis.internal:6380/2',
    )
    expect(safeRedisUrl('rediss://:p%40ss@h:6379')).toBe('rediss://:***@h:6379')
    expect(safeRedisUrl('not a url')).not.toContain('not a url')
  })

  it('uses TLS for rediss:// and the credentials of the URL, on two separate lazy connections', async () => {
    const link = new RedisLink({ url: 'rediss://agent:pw@127.0.0.1:1/3', name: 'sd-test' })
    expect(link.sub).not.toBe(link.cmd)
    for (const c of [link.sub, link.cmd]) {
      expect(c.options.tls).toBeTruthy()
      expect(c.options).toMatchObject({ username: 'agent', password: 'pw', db: 3, lazyConnect: true })
      expect(c.status).toBe('wait')
    }
    expect(link.sub.options.connectionName).toBe('sd-test-sub')
    // No queue, no resend of a write in flight across a reconnect (see redis-link.int.test.ts).
    expect(link.cmd.options).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false })
    expect(link.info()).toMatchObject({ state: 'connecting', url: 'rediss://agent:***@127.0.0.1:1/3' })
    await link.stop()
    expect(link.state).toBe('down')
  })

  it('backs off exponentially up to the cap', () => {
    const link = new RedisLink({ url: 'redis://127.0.0.1:1', backoffBaseMs: 100, backoffMaxMs: 1000 })
    const retry = link.cmd.options.retryStrategy!
    expect([1, 2, 3, 4, 5, 30].map((n) => retry(n))).toEqual([100, 200, 400, 800, 1000, 1000])
  })
})
