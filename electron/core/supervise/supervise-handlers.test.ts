import { afterEach, describe, expect, it } from 'vitest'
import { createAjv } from '../api/ajv'
import { superviseEvents, superviseOperations } from '../api/contract/supervise'
import { createSuperviseHandlers } from './supervise-handlers'
import { createHarness, service, type Harness } from '../../../test-support/supervise/harness'

const ajv = createAjv()
const resultOf = (name: keyof typeof superviseOperations) => ajv.compile(superviseOperations[name].result)
const inputOf = (name: keyof typeof superviseOperations) => ajv.compile(superviseOperations[name].input)
const ctx = { who: 'alice', door: 'http' as const }

describe('supervise contract rows and handlers', () => {
  let h: Harness | undefined
  afterEach(async () => {
    await h?.cleanup()
  })

  it('declares routes and scopes', () => {
    expect(superviseOperations['supervise.status']).toMatchObject({ scope: 'read', http: { method: 'GET', path: '/supervise' } })
    expect(superviseOperations['supervise.reset']).toMatchObject({ scope: 'operate', http: { method: 'POST', path: '/supervise/reset' } })
    expect(superviseOperations['supervise.restart']).toMatchObject({ scope: 'operate', http: { method: 'POST', path: '/supervise/restart' } })
    expect(Object.keys(superviseEvents)).toEqual(['supervise.changed'])
  })

  it('validates inputs', () => {
    expect(inputOf('supervise.reset')({ service: 'scanner' })).toBe(true)
    expect(inputOf('supervise.reset')({})).toBe(false)
    expect(inputOf('supervise.restart')({ container: 'abcd', reason: 'x' })).toBe(true)
    expect(inputOf('supervise.restart')({ service: 'a', extra: 1 })).toBe(false)
  })

  it('every handler result and the change event match their schemas', async () => {
    const hh = await createHarness([service({ desired: 2, maxFailedRestarts: 1 }), service({ name: 'off', autoHeal: false })])
    h = hh
    hh.stack.add('scanner', { id: 'c1', name: 'scanner-1', state: 'exited' }, 'crash')
    hh.stack.add('scanner', { id: 'c2', name: 'scanner-2', state: 'paused' })
    hh.stack.add('off', { id: 'o1', state: 'running', health: 'unhealthy' })
    hh.heartbeats.verdicts.set('o1', 'fresh')
    const handlers = createSuperviseHandlers(hh.sup)
    await hh.sup.start()
    await hh.advance(5000)

    const status = await handlers['supervise.status']({}, ctx)
    const checkStatus = resultOf('supervise.status')
    expect(checkStatus(status), JSON.stringify(checkStatus.errors)).toBe(true)
    expect(status.services.map((s) => s.state)).toEqual(['failed', 'disabled'])

    const restarted = await handlers['supervise.restart']({ service: 'scanner' }, ctx)
    const checkRestart = resultOf('supervise.restart')
    expect(checkRestart(restarted), JSON.stringify(checkRestart.errors)).toBe(true)
    expect(restarted.containers.map((c) => c.outcome)).toEqual(['ok', 'skipped'])

    const reset = await handlers['supervise.reset']({ service: 'scanner' }, ctx)
    const checkReset = resultOf('supervise.reset')
    expect(checkReset(reset), JSON.stringify(checkReset.errors)).toBe(true)
    expect(reset.state).not.toBe('failed')

    const checkEvent = ajv.compile(superviseEvents['supervise.changed'].payload)
    expect(hh.changed.length).toBeGreaterThan(0)
    for (const p of hh.changed) expect(checkEvent(p), JSON.stringify(checkEvent.errors)).toBe(true)
  })
})
