import { Type } from 'typebox'
import { describe, expect, it } from 'vitest'
import { createAjv, describeAjvErrors, nonFiniteNumber } from './ajv'
import { createDispatcher } from './dispatcher'
import type { Handlers } from './contract'
import { isCommandAck, isHeartbeat, isKillswitchAck, isRegime } from '../bus/payload-schemas'

const ctx = { who: 'test', door: 'system' } as const
const ajv = createAjv()
const errorsOf = (schema: Parameters<typeof ajv.compile>[0], data: unknown) => {
  const v = ajv.compile(schema)
  return v(data) ? [] : describeAjvErrors(v.errors)
}

describe('ajv refuses non-finite numbers unless a schema allows them', () => {
  it('number and integer fields, naming the field', () => {
    const s = Type.Object({ a: Type.Number(), b: Type.Optional(Type.Integer({ minimum: 0 })) })
    expect(errorsOf(s, { a: 1, b: 2 })).toEqual([])
    expect(errorsOf(s, { a: Infinity })).toEqual([
      { path: '/a', message: 'must be a finite number (got inf)' },
    ])
    expect(errorsOf(s, { a: 1, b: Infinity })).toEqual([
      { path: '/b', message: 'must be a finite number (got inf)' },
    ])
    expect(errorsOf(s, { a: NaN })).toEqual([{ path: '/a', message: 'must be a finite number (got nan)' }])
  })

  it('inside values no type covers: Unknown, records, open objects', () => {
    const s = Type.Object({
      payload: Type.Unknown(),
      params: Type.Record(Type.String(), Type.Unknown()),
      open: Type.Object({ known: Type.String() }),
    })
    const ok = { payload: { x: [1] }, params: { p: 1 }, open: { known: 'k', extra: 2 } }
    expect(errorsOf(s, ok)).toEqual([])
    expect(errorsOf(s, { ...ok, payload: { x: [1, -Infinity] } })).toEqual([
      { path: '/payload/x/1', message: 'must be a finite number (got -inf)' },
    ])
    expect(errorsOf(s, { ...ok, params: { p: Infinity } })).toEqual([
      { path: '/params/p', message: 'must be a finite number (got inf)' },
    ])
    expect(errorsOf(s, { ...ok, open: { known: 'k', extra: { deep: NaN } } })).toEqual([
      { path: '/open/extra/deep', message: 'must be a finite number (got nan)' },
    ])
  })

  it('an explicit x-allow-non-finite lets them through there, and only there', () => {
    const s = Type.Object({ limit: Type.Unsafe<number>(nonFiniteNumber()), other: Type.Number() })
    expect(errorsOf(s, { limit: Infinity, other: 1 })).toEqual([])
    expect(errorsOf(s, { limit: 'x', other: 1 })).toEqual([{ path: '/limit', message: 'must be number' }])
    expect(errorsOf(s, { limit: 1, other: -Infinity })).toEqual([
      { path: '/other', message: 'must be a finite number (got -inf)' },
    ])
  })

  it('leaves the caller\u2019s schema object untouched (x-apply lookups read it)', () => {
    const s = { type: 'object', properties: { a: {} } }
    ajv.compile(s)
    expect(s).toEqual({ type: 'object', properties: { a: {} } })
  })

  it('a `not` keeps its meaning', () => {
    const s = { not: { type: 'string' } }
    expect(errorsOf(s, 1)).toEqual([])
    expect(errorsOf(s, 'x')).not.toEqual([])
  })
})

describe('RPC inputs: the dispatcher refuses 1e999', () => {
  const dispatcher = createDispatcher(new Proxy({} as Handlers, { get: () => async () => ({}) }), {
    log: () => undefined,
  })
  // What an HTTP or WS body `{"since":1e999}` parses to.
  const parsed = JSON.parse('{"since":1e999}') as unknown

  for (const op of ['bus.events', 'audit.query']) {
    it(`${op} {"since":1e999} is invalid_input at /since`, async () => {
      const env = await dispatcher.dispatch(op, parsed, ctx)
      expect(env).toMatchObject({
        ok: false,
        error: {
          code: 'invalid_input',
          path: '/since',
          message: `${op}: /since must be a finite number (got inf)`,
        },
      })
    })
  }

  it('a command parameter (a record of unknown values) is refused too', async () => {
    const input = JSON.parse('{"agentId":"a1","type":"tune","params":{"risk":1e999}}') as unknown
    const env = await dispatcher.dispatch('bus.command', input, ctx)
    expect(env.ok).toBe(false)
    if (!env.ok) expect(env.error.path).toMatch(/\/params\/risk$/)
  })
})

describe('bus payload schemas refuse non-finite numbers', () => {
  const hb = { agent_id: 'a1', name: 'a1', group: 'signals', status: 'active', timestamp: 1 }
  it('heartbeat step, checkpoint_version, timestamp and extra fields', () => {
    expect(isHeartbeat(hb)).toBe(true)
    for (const extra of [
      { step: Infinity },
      { checkpoint_version: Infinity },
      { timestamp: -Infinity },
      { custom: { x: NaN } },
    ]) {
      expect(isHeartbeat({ ...hb, ...extra }), JSON.stringify(Object.keys(extra))).toBe(false)
    }
  })
  it('regime confidence and acks', () => {
    expect(isRegime({ regime: 'calm', confidence: 0.5 })).toBe(true)
    expect(isRegime({ regime: 'calm', confidence: NaN })).toBe(false)
    expect(isRegime({ regime: 'calm', confidence: 0.5, at: Infinity })).toBe(false)
    expect(isKillswitchAck({ agent_id: 'a1', request_id: 'r', ms: Infinity })).toBe(false)
    expect(isCommandAck({ command_id: 'c', ok: true, latency: -Infinity })).toBe(false)
  })
})
