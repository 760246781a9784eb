import { afterEach, describe, expect, it } from 'vitest'
import { createHarness, service, type Harness } from '../../../test-support/supervise/harness'

describe('Supervisor.setServices: the supervised services change live', () => {
  let h: Harness
  afterEach(async () => {
    await h.cleanup()
  })

  it('checks a new service at once, stops checking a removed one, and keeps the counters of one that stays', async () => {
    h = await createHarness([service({ name: 'scanner', maxFailedRestarts: 5 })])
    h.stack.add('scanner', { id: 'c1', name: 'scanner-1', state: 'exited' }, 'crash')
    h.stack.add('web', { id: 'w1', name: 'web-1', state: 'running' })
    await h.sup.start()
    await h.advance(100)
    const restartsBefore = h.sup.serviceStatus('scanner').restarts

    h.sup.setServices([service({ name: 'scanner', maxFailedRestarts: 5 }), service({ name: 'web', autoHeal: false })])
    await h.advance(10)
    expect(h.sup.status().services.map((s) => s.service).sort()).toEqual(['scanner', 'web'])
    expect(h.sup.serviceStatus('web').lastCheckAt).not.toBeNull()
    expect(h.sup.serviceStatus('scanner').restarts).toBe(restartsBefore)

    h.sup.setServices([service({ name: 'web', autoHeal: false })])
    const calls = h.stack.calls.length
    await h.advance(60_000)
    expect(h.sup.status().services.map((s) => s.service)).toEqual(['web'])
    // The crashed scanner is no longer supervised: nothing restarts it any more.
    expect(h.stack.calls.slice(calls).filter((c) => c.id === 'c1')).toEqual([])
  })
})
