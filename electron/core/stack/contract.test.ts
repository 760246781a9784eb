import type { Static } from 'typebox'
import { describe, expect, it } from 'vitest'
import { createAjv } from '../api/ajv'
import { stackEvents, stackOperations, type StackSnapshot } from '../api/contract/stack'
import { EventHub } from '../event-hub'
import type { StackEventSink } from './snapshot-store'
import { ALLOWED_SIGNALS } from './signals'

const ajv = createAjv({ useDefaults: true })
const input = (name: keyof typeof stackOperations) => ajv.compile(stackOperations[name].input)

describe('stack contract rows', () => {
  it('declares scopes and routes', () => {
    const rows = Object.entries(stackOperations).map(([n, d]) => [n, d.scope, d.http?.method, d.http?.path])
    expect(rows).toEqual([
      ['stack.list', 'read', 'GET', '/stack'],
      ['stack.status', 'read', 'GET', '/status'],
      ['stack.pause', 'operate', 'POST', '/stack/pause'],
      ['stack.resume', 'operate', 'POST', '/stack/resume'],
      ['stack.restart', 'operate', 'POST', '/stack/restart'],
      ['stack.signal', 'operate', 'POST', '/stack/signal'],
      ['stack.configViews', 'read', 'GET', '/stack/config-views'],
    ])
    expect(Object.keys(stackEvents)).toEqual(['stack.changed'])
  })

  it('accepts action inputs with an optional target and reason', () => {
    const v = input('stack.pause')
    expect(v({})).toBe(true)
    expect(v({ target: { service: 'orch' }, reason: 'lunch' })).toBe(true)
    expect(v({ target: { container: 'abcd' } })).toBe(true)
    expect(v({ target: { pod: 'x' } })).toBe(false)
    expect(v({ force: true })).toBe(false)
    expect(v({ target: { service: '' } })).toBe(false)
  })

  it('only lets allowed signal names through', () => {
    const v = input('stack.signal')
    for (const s of ALLOWED_SIGNALS) expect(v({ signal: s })).toBe(true)
    expect(v({ signal: 'SIGSTOP' })).toBe(false)
    expect(v({ signal: 'HUP' })).toBe(false)
    expect(v({})).toBe(false)
  })

  it('lets the lead pass an EventHub typed from the contract as the stack event sink', () => {
    const hub = new EventHub<{ 'stack.changed': Static<typeof StackSnapshot> }>()
    const sink: StackEventSink = hub // compile-time check: the core snapshot fits the contract payload
    const got: unknown[] = []
    hub.subscribe((_n, p) => got.push(p))
    sink.emit('stack.changed', { at: new Date().toISOString(), services: [], endpoints: [] })
    expect(got).toHaveLength(1)
  })

  it('rejects unknown fields on read operations', () => {
    expect(input('stack.list')({})).toBe(true)
    expect(input('stack.status')({ verbose: true })).toBe(false)
  })
})
