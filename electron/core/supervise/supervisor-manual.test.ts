import { afterEach, describe, expect, it } from 'vitest'
import { CoreError } from '../errors'
import type { RestartAnnouncement } from './ports'
import { createHarness, service, type Harness } from '../../../test-support/supervise/harness'

const trader = { who: 'alice', door: 'ipc' as const }

describe('Supervisor: manual restart, reset and change events', () => {
  let h: Harness
  afterEach(async () => {
    await h.cleanup()
  })

  it('a manual restart bypasses the backoff and is announced with who did it', async () => {
    h = await createHarness([service({ maxFailedRestarts: 5 })])
    h.stack.add('scanner', { id: 'c1', name: 'scanner-1', state: 'exited' }, 'crash')
    await h.sup.start()
    await h.advance(2100) // in backoff until 4000
    expect(h.stack.calls).toHaveLength(2)
    const at = h.clock.now().getTime()
    const r = await h.sup.restart({ service: 'scanner', reason: 'after a fix' }, trader)
    expect(r.containers).toEqual([expect.objectContaining({ service: 'scanner', id: 'c1', name: 'scanner-1', outcome: 'ok' })])
    expect(h.stack.calls.at(-1)).toMatchObject({ at, verb: 'start', id: 'c1' })
    expect(h.sinks.on('supervise.restarted').at(-1) as RestartAnnouncement).toMatchObject({
      reason: 'manual restart: after a fix',
      who: 'alice',
      door: 'ipc',
      outcome: 'ok',
    })
    expect(h.sinks.notices.at(-1)).toMatchObject({ level: 'info' })
    expect(h.sinks.notices.at(-1)?.message).toContain('by alice')
  })

  it('refuses with a conflict while blocked, says what lifts the block, and records the refusal once with the door', async () => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', state: 'running' })
    await h.sup.start()
    h.guards.reason = { reason: 'the killswitch is engaged', advice: 'Release the killswitch first.' }
    const err = await h.sup.restart({ service: 'scanner' }, trader).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CoreError)
    expect(err).toMatchObject({ code: 'conflict', message: 'restart refused: the killswitch is engaged. Release the killswitch first.' })
    expect(h.stack.calls).toEqual([])
    // The handler wrapper does not record supervise.restart: this is the one record of the act.
    expect(h.sinks.audits).toEqual([
      expect.objectContaining({ action: 'supervise.restart', outcome: 'refused', who: trader.who, door: trader.door, service: 'scanner', container: 'all' }),
    ])
  })

  it('a Save & Restart blocker is never answered with "Release that first."', async () => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', state: 'running' })
    await h.sup.start()
    h.guards.reason = { reason: 'a Save & Restart run is in flight (alice)', advice: 'Wait for the run to finish.' }
    const err = (await h.sup.restart({ service: 'scanner' }, trader).catch((e: unknown) => e)) as CoreError
    expect(err.message).toBe('restart refused: a Save & Restart run is in flight (alice). Wait for the run to finish.')
    expect(err.message).not.toContain('Release')
    // A blocker without advice gets none, rather than a wrong one.
    h.guards.reason = 'something else'
    const plain = (await h.sup.restart({ service: 'scanner' }, trader).catch((e: unknown) => e)) as CoreError
    expect(plain.message).toBe('restart refused: something else.')
  })

  it('finds a container by name or id prefix across services, and rejects unknown or ambiguous references', async () => {
    h = await createHarness([service({ name: 'a' }), service({ name: 'b' })])
    h.stack.add('a', { id: 'aaaa1111', name: 'alpha' })
    h.stack.add('b', { id: 'aaaa2222', name: 'beta' })
    await h.sup.start()

    const byName = await h.sup.restart({ container: 'beta' }, trader)
    expect(byName.containers).toEqual([expect.objectContaining({ service: 'b', id: 'aaaa2222', outcome: 'ok' })])
    const byPrefix = await h.sup.restart({ container: 'aaaa1' }, trader)
    expect(byPrefix.containers).toEqual([expect.objectContaining({ service: 'a', id: 'aaaa1111' })])

    await expect(h.sup.restart({ container: 'aaaa' }, trader)).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(h.sup.restart({ container: 'gamma' }, trader)).rejects.toMatchObject({ code: 'not_found' })
    await expect(h.sup.restart({ service: 'nope' }, trader)).rejects.toMatchObject({ code: 'not_found', path: '/service' })
    await expect(h.sup.restart({}, trader)).rejects.toMatchObject({ code: 'invalid_input' })
    await expect(h.sup.restart({ service: 'a', container: 'beta' }, trader)).rejects.toMatchObject({ code: 'not_found' })
    await expect(h.sup.reset('nope', trader)).rejects.toMatchObject({ code: 'not_found' })
    expect(h.stack.calls.map((c) => c.id)).toEqual(['aaaa2222', 'aaaa1111'])
  })

  it('a manual restart that fails counts toward the failure limit like any other', async () => {
    h = await createHarness([service({ maxFailedRestarts: 1 })])
    h.stack.add('scanner', { id: 'c1', state: 'running' }, 'refuse')
    await h.sup.start()
    await h.advance(0)
    const r = await h.sup.restart({ service: 'scanner' }, trader)
    expect(r.containers[0]).toMatchObject({ outcome: 'failed', error: 'stand-in refused to start' })
    expect(h.sup.serviceStatus('scanner').state).toBe('failed')
  })

  it('emits supervise.changed on changes only, with the full status', async () => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', state: 'running' })
    await h.sup.start()
    await h.advance(0)
    const first = h.changed.length
    expect(first).toBeGreaterThan(0)
    expect(h.changed.at(-1)?.services[0]).toMatchObject({ service: 'scanner', state: 'healthy' })

    await h.advance(10_000) // twenty quiet checks
    expect(h.changed.length).toBe(first)

    h.stack.set('c1', { state: 'exited' })
    await h.advance(500)
    expect(h.changed.length).toBeGreaterThan(first)
    expect(h.changed.at(-1)?.services[0]).toMatchObject({ state: 'recovering', restarts: 1 })
  })

  it('rejects supervision settings that cannot work', async () => {
    h = await createHarness()
    const { Supervisor } = await import('./supervisor')
    const base = { stack: h.stack, statePath: null }
    expect(() => new Supervisor({ ...base, services: [service(), service()] })).toThrow(/duplicate supervised service scanner/)
    expect(() => new Supervisor({ ...base, services: [service({ backoffBaseMs: 5000, backoffMaxMs: 10 })] })).toThrow(/backoffMaxMs is below backoffBaseMs/)
  })
})
