import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { hasRedisServerBinary, hasTestRedis, newTestRedis, testKey, testRedisUrl } from '../../../test-support/redis-fixture'
import type { ConnectionInfoT } from '../api/contract/bus'
import { BusClient, type BusClientOptions } from './bus-client'

/**
 * Pub/sub loses messages across a disconnect, so state lives in keys and must be re-read on every
 * reconnect. These tests take the connection away for real: CLIENT KILL on the shared test Redis,
 * and a SHUTDOWN NOSAVE + restart of a private redis-server on the same port.
 */

const RUN = `${process.env.STACKDECK_TEST_LABEL ?? 'local'}-${process.pid}`
const hasRedisServer = hasRedisServerBinary()

async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | null,
  timeoutMs = 20_000,
): Promise<T> {
  const start = Date.now()
  for (;;) {
    const v = fn()
    if (v !== undefined && v !== false && v !== null) return v
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const clients: BusClient[] = []
function newBus(url: string, opts: Partial<BusClientOptions> = {}) {
  const bus = new BusClient(
    {
      url,
      killswitchKey: testKey('recovery:killswitch'),
      tradingKey: testKey('recovery:trading'),
      regimeKey: testKey('recovery:regime'),
      channels: {
        killswitchChannel: `risk.killswitch.${RUN}`,
        killswitchAckChannel: `risk.killswitch.${RUN}.ack`,
        tradingChannel: `trading.${RUN}`,
      },
      killswitchPausesStack: false,
      killswitchAckTimeoutMs: 100,
      backoffBaseMs: 100,
      backoffMaxMs: 500,
      tickMs: 50,
      connectionName: `sd-${RUN}`,
      ...opts,
    },
    { setTradingEnabled: async () => undefined, audit: () => undefined },
  )
  clients.push(bus)
  const states: ConnectionInfoT['state'][] = []
  bus.onConnection((i) => states.push(i.state))
  return { bus, states }
}

async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as { port: number }).port
  await new Promise((r) => srv.close(r))
  return port
}

/** A private redis-server in the foreground (so we own its pid), loading `dir/dump.rdb` if present. */
async function startRedis(
  port: number,
  dir: string,
  extra: string[] = [],
  password?: string,
): Promise<ChildProcess> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    ...extra,
  ]
  const child = spawn('redis-server', args, { stdio: 'ignore' })
  const probe = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    ...(password !== undefined && { password }),
  })
  probe.on('error', () => undefined)
  try {
    await waitFor(`redis on ${port}`, () => child.exitCode === null || undefined, 1000)
    const start = Date.now()
    for (;;) {
      try {
        await probe.connect()
        if ((await probe.ping()) === 'PONG') break
      } catch {
        probe.disconnect()
      }
      if (Date.now() - start > 10_000) throw new Error(`redis-server on ${port} did not start`)
      await new Promise((r) => setTimeout(r, 50))
    }
  } finally {
    probe.disconnect()
  }
  return child
}

describe.skipIf(!hasTestRedis())('bus recovery', () => {
  let raw: Redis
  beforeAll(() => {
    raw = newTestRedis()
  })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()))
  })
  afterAll(async () => {
    await raw.del(testKey('recovery:killswitch'), testKey('recovery:trading'), testKey('recovery:regime'))
    await raw.quit()
  })

  it('re-reads state and re-subscribes after CLIENT KILL, and a fresh client (restart) sees the same killswitch', async () => {
    await raw.del(testKey('recovery:killswitch'))
    const { bus, states } = newBus(testRedisUrl())
    await bus.start()
    await bus.whenReady()
    const engaged = await bus.killswitch.engage({ reason: 'before kill', who: 'it', door: 'system' })
    expect(engaged.state).toMatchObject({ engaged: true, stored: true })
    // Let our own announcement's echo (which triggers a re-read) pass before changing the key.
    await waitFor('echo', () =>
      bus.status().channels.find((c) => c.channel === `risk.killswitch.${RUN}` && c.count >= 1),
    )
    await bus.reloadState()

    // Changed behind the client's back, with no pub/sub notice: only a re-read can find it.
    const v = engaged.state.version + 5
    await raw.set(
      testKey('recovery:killswitch'),
      JSON.stringify({
        engaged: true,
        reason: 'changed while away',
        who: 'other',
        at: new Date().toISOString(),
        version: v,
      }),
    )
    await raw.set(testKey('recovery:trading'), JSON.stringify({ enabled: false, version: 9 }))
    expect(bus.killswitch.view().reason).toBe('before kill')

    const list = (await raw.client('LIST')) as string
    const ids = list
      .split('\n')
      .filter((l) => l.includes(`name=sd-${RUN}-`))
      .map((l) => /id=(\d+)/.exec(l)![1]!)
    expect(ids).toHaveLength(2)
    for (const cid of ids) await raw.client('KILL', 'ID', cid)

    await waitFor('reconnecting', () => states.includes('reconnecting') || states.includes('down'))
    await waitFor(
      'ready again',
      () => bus.connection().state === 'ready' && bus.killswitch.view().reason === 'changed while away',
    )
    expect(bus.killswitch.view()).toMatchObject({ engaged: true, version: v, who: 'other' })
    await waitFor('trading re-read', () => bus.tradingState().enabled === false)

    // Subscriptions came back too.
    const agent = `it-${RUN}-after-kill`
    await raw.publish(
      `heartbeat.${agent}`,
      JSON.stringify({
        agent_id: agent,
        name: agent,
        group: 'signals',
        status: 'active',
        timestamp: Date.now(),
      }),
    )
    await waitFor('heartbeat after reconnect', () => bus.agents().agents.find((a) => a.id === agent))

    await bus.stop()
    const fresh = newBus(testRedisUrl()).bus
    await fresh.start()
    await fresh.whenReady()
    expect(fresh.killswitch.view()).toMatchObject({
      engaged: true,
      version: v,
      reason: 'changed while away',
      stored: true,
    })
  })

  it('reports when Redis is unreachable and connects once it appears', async () => {
    const port = await freePort()
    const dir = mkdtempSync(join(tmpdir(), 'sd-bus-redis-'))
    let server: ChildProcess | null = null
    try {
      const { bus, states } = newBus(`redis://127.0.0.1:${port}`, { downAfterAttempts: 2 })
      await bus.start()
      await waitFor('down', () => bus.connection().state === 'down')
      expect(bus.connection().error).toBeTruthy()
      await expect(bus.publish('x', {})).rejects.toMatchObject({ code: 'unavailable' })
      server = await startRedis(port, dir)
      await bus.whenReady(20_000)
      expect(states[0]).toBe('down')
      expect(states.at(-1)).toBe('ready')
    } finally {
      server?.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it.skipIf(!hasRedisServer)(
    'authenticates with the password in the URL, never shows it, and reports a wrong one',
    async () => {
      const port = await freePort()
      const dir = mkdtempSync(join(tmpdir(), 'sd-bus-redis-'))
      const server = await startRedis(port, dir, ['--requirepass', 's3cret-pw'], 's3cret-pw')
      try {
        const good = newBus(`redis://:s3cret-pw@127.0.0.1:${port}`).bus
        await good.start()
        await good.whenReady()
        expect(await good.publish('x.y', { ok: true })).toBe(0)
        expect(good.connection().url).toBe(`redis://:***@127.0.0.1:${port}`)
        expect(JSON.stringify(good.status())).not.toContain('s3cret-pw')
        const bad = newBus(`redis://:wrong@127.0.0.1:${port}`, { downAfterAttempts: 2 }).bus
        await bad.start()
        await waitFor(
          'auth failure reported',
          () =>
            bad.connection().state === 'down' &&
            /WRONGPASS|invalid|NOAUTH/i.test(bad.connection().error ?? ''),
        )
      } finally {
        server.kill('SIGKILL')
        rmSync(dir, { recursive: true, force: true })
      }
    },
  )

  it.skipIf(!hasRedisServer)(
    'recovers from SHUTDOWN NOSAVE + restart on the same port and re-reads (or re-asserts) state',
    async () => {
      const port = await freePort()
      const dirA = mkdtempSync(join(tmpdir(), 'sd-bus-redis-'))
      const dirB = mkdtempSync(join(tmpdir(), 'sd-bus-redis-'))
      const servers: ChildProcess[] = []
      try {
        servers.push(await startRedis(port, dirA))
        const url = `redis://127.0.0.1:${port}`
        const { bus, states } = newBus(url)
        await bus.start()
        await bus.whenReady()
        const eng = await bus.killswitch.engage({ reason: 'before restart', who: 'it', door: 'system' })
        const agent = `it-${RUN}-restart`
        const beat = (step: number) =>
          JSON.stringify({
            agent_id: agent,
            name: agent,
            group: 'execution',
            status: 'active',
            timestamp: Date.now(),
            step,
          })
        const pub = new Redis(url, { retryStrategy: () => 100, maxRetriesPerRequest: 1 })
        pub.on('error', () => undefined)
        try {
          await pub.publish(`heartbeat.${agent}`, beat(1))
          await waitFor('agent before restart', () => bus.agents().agents.find((a) => a.id === agent))

          // What the new server will hold: a trading flag and regime set while Stackdeck was away,
          // and NO killswitch key (the old server lost it with NOSAVE).
          const prepPort = await freePort()
          const prep = await startRedis(prepPort, dirB)
          const p = new Redis(prepPort, '127.0.0.1')
          await p.set(testKey('recovery:trading'), '0')
          await p.set(
            testKey('recovery:regime'),
            JSON.stringify({
              payload: { regime: 'mean-reverting', confidence: 0.6 },
              receivedAt: Date.now() - 60_000,
            }),
          )
          await p.save()
          await p.quit()
          prep.kill('SIGTERM')
          await new Promise((r) => prep.once('exit', r))

          await pub.call('SHUTDOWN', 'NOSAVE').catch(() => undefined)
          await waitFor('connection lost', () => bus.connection().state !== 'ready')
          servers.push(await startRedis(port, dirB))

          await waitFor(
            'ready after restart',
            () => bus.connection().state === 'ready' && bus.tradingState().enabled === false,
            20_000,
          )
          expect(states).toEqual(expect.arrayContaining(['ready', 'reconnecting']))
          await waitFor('regime re-read', () => bus.regimeView().regime === 'mean-reverting')
          expect(bus.regimeView().ageS).toBeGreaterThanOrEqual(59)
          // The lost killswitch was re-asserted, not silently dropped.
          await bus.reloadState()
          expect(bus.killswitch.view()).toMatchObject({
            engaged: true,
            stored: true,
            version: eng.state.version,
          })
          const rawKs = await pub.get(testKey('recovery:killswitch'))
          expect(JSON.parse(rawKs!)).toMatchObject({
            engaged: true,
            version: eng.state.version,
            reason: 'before restart',
          })

          await pub.publish(`heartbeat.${agent}`, beat(2))
          await waitFor('heartbeat after restart', () =>
            bus.agents().agents.find((a) => a.id === agent && a.step === 2),
          )
        } finally {
          pub.disconnect()
        }
      } finally {
        for (const s of servers) s.kill('SIGKILL')
        rmSync(dirA, { recursive: true, force: true })
        rmSync(dirB, { recursive: true, force: true })
      }
    },
  )
})
