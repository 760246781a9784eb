import { afterAll, describe, expect, it } from 'vitest'
import { createAjv } from '../api/ajv'
import { systemContext } from '../api/call-context'
import { busOperations } from '../api/contract/bus'
import { BusClient } from './bus-client'
import { createBusHandlers, unstoredKillswitchAlert } from './bus-handlers'

const ajv = createAjv({ useDefaults: true })
const input = (name: keyof typeof busOperations) => ajv.compile(busOperations[name].input)
const result = (name: keyof typeof busOperations) => ajv.compile(busOperations[name].result)

// Never started: no Redis is needed to read the in-memory views.
const bus = new BusClient(
  { url: 'redis://:secret@127.0.0.1:1/0' },
  { setTradingEnabled: async () => undefined, audit: () => undefined },
)
afterAll(() => bus.stop())

describe('bus contract inputs', () => {
  it('requires a non-blank reason and confirm: true to engage or release the killswitch', () => {
    for (const name of ['bus.killswitch.engage', 'bus.killswitch.release'] as const) {
      const v = input(name)
      expect(v({ reason: 'flash crash', confirm: true })).toBe(true)
      expect(v({ reason: 'flash crash' })).toBe(false)
      expect(v({ reason: 'flash crash', confirm: 'yes' })).toBe(false)
      expect(v({ reason: '', confirm: true })).toBe(false)
      expect(v({ reason: '   ', confirm: true })).toBe(false)
    }
    expect(busOperations['bus.killswitch.engage'].scope).toBe('operate')
    expect(busOperations['bus.killswitch.release'].scope).toBe('admin')
  })

  it('caps event pages at 200 and checks command shapes', () => {
    expect(input('bus.events')({ limit: 200 })).toBe(true)
    expect(input('bus.events')({ limit: 201 })).toBe(false)
    expect(input('bus.events')({ since: -1 })).toBe(false)
    expect(input('bus.command')({ agentId: 'exec-1', type: 'tune', params: { x: 1 } })).toBe(true)
    expect(input('bus.command')({ agentId: 'exec-1', type: 'explode' })).toBe(false)
    expect(input('bus.command')({ agentId: 'heartbeat.*', type: 'pause' })).toBe(false)
  })
})

describe('bus handlers', () => {
  const h = createBusHandlers(bus)
  const ctx = systemContext('test')

  it('return values that satisfy the contract result schemas', async () => {
    const now = Date.now()
    bus.registry.beat(
      { agent_id: 'a1', name: 'A', group: 'execution', status: 'active', timestamp: now, step: 3 },
      now,
    )
    bus.ring.push('data.market.quotes', 'data.market', 'q', now, { bid: 1 }, 10)
    const checks: Array<[keyof typeof busOperations, unknown]> = [
      ['bus.status', await h['bus.status']({}, ctx)],
      ['bus.agents', await h['bus.agents']({}, ctx)],
      ['bus.events', await h['bus.events']({ since: 0, limit: 10 }, ctx)],
      ['bus.regime', await h['bus.regime']({}, ctx)],
      ['bus.killswitch.get', await h['bus.killswitch.get']({}, ctx)],
      ['bus.commands', await h['bus.commands']({}, ctx)],
    ]
    for (const [name, value] of checks) {
      const v = result(name)
      expect(v(value), `${name}: ${JSON.stringify(v.errors)}`).toBe(true)
    }
    const status = checks[0]![1] as { connection: { url: string } }
    expect(status.connection.url).not.toContain('secret')
  })

  it('refuses a command while Redis is away instead of queueing it', async () => {
    await expect(h['bus.command']({ agentId: 'a1', type: 'pause' }, ctx)).rejects.toMatchObject({
      code: 'unavailable',
    })
  })
})

describe('unstoredKillswitchAlert', () => {
  type Engage = Parameters<typeof unstoredKillswitchAlert>[0]
  const result = (store: 'ok' | 'failed', stackPause: 'ok' | 'failed') =>
    ({ state: { version: 7 }, actions: { store: { status: store, ...(store === 'failed' ? { error: 'connect ECONNREFUSED' } : {}) }, stackPause: { status: stackPause } } }) as unknown as Engage

  it('a stored engage raises nothing; an unstored one is critical, sticky, and says who was not told', () => {
    expect(unstoredKillswitchAlert(result('ok', 'ok'))).toBeNull()
    const a = unstoredKillswitchAlert(result('failed', 'ok'), new Date('2026-03-02T12:00:00Z'))
    expect(a).toMatchObject({ id: 'killswitch-unstored-7', level: 'critical', sticky: true, at: '2026-03-02T12:00:00.000Z' })
    expect(a?.message).toContain('connect ECONNREFUSED')
    expect(a?.message).toContain('the stack is paused')
    expect(a?.message).toContain('Agents that only listen on Redis have NOT been told')
    expect(unstoredKillswitchAlert(result('failed', 'failed'))?.message).toContain('execution agents it could reach at Docker level')
  })
})
