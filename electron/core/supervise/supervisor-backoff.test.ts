import { afterEach, describe, expect, it } from 'vitest'
import type { FailedAnnouncement, RestartAnnouncement } from './ports'
import { createHarness, service, type Harness } from '../../../test-support/supervise/harness'

/** Auto-heal and its backoff schedule, on a fake clock with stand-in ports. */
describe('Supervisor: restarts and backoff', () => {
  let h: Harness
  afterEach(async () => {
    await h.cleanup()
  })

  const callTimes = (t0: number) => h.stack.calls.map((c) => c.at - t0)

  it('starts an exited container at the first check, then reports healthy once it held for the grace period', async () => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', name: 'scanner-1', state: 'exited' })
    const t0 = h.clock.now().getTime()
    await h.sup.start()
    await h.advance(0)

    expect(h.stack.calls).toEqual([{ at: t0, verb: 'start', id: 'c1' }])
    expect(h.sup.serviceStatus('scanner').lastProblem).toBe('scanner-1: exited')
    // Status reflects the last check (it saw the container exited): actual catches up at the next one.
    expect(h.sup.serviceStatus('scanner')).toMatchObject({ state: 'recovering', restarts: 1, actual: 0, desired: 1 })
    const [a] = h.sinks.on('supervise.restarted') as RestartAnnouncement[]
    expect(a).toMatchObject({ service: 'scanner', container: { id: 'c1', name: 'scanner-1' }, reason: 'exited', outcome: 'ok', attempt: 1, who: 'supervisor' })
    // The intent before the engine call, the outcome after it: both name the service and the container.
    expect(h.sinks.audits).toEqual([
      expect.objectContaining({ action: 'supervise.restart.intent', outcome: 'ok', service: 'scanner', container: { id: 'c1', name: 'scanner-1' } }),
      expect.objectContaining({ action: 'supervise.restart', outcome: 'ok', service: 'scanner', container: { id: 'c1', name: 'scanner-1' } }),
    ])
    expect(h.sinks.notices).toEqual([expect.objectContaining({ title: 'Restarted scanner-1', level: 'warning' })])

    // healthyGraceMs = 3000, first healthy check at +500: the verdict falls at +3500.
    await h.advance(3400)
    expect(h.sup.serviceStatus('scanner')).toMatchObject({ state: 'recovering', actual: 1 })
    await h.advance(100)
    expect(h.sup.serviceStatus('scanner')).toMatchObject({ state: 'healthy', restarts: 1, consecutiveFailures: 0 })
    expect(h.stack.calls).toHaveLength(1)
    // Recovered: no old problem text lingers next to "healthy".
    expect(h.sup.serviceStatus('scanner').lastProblem).toBeUndefined()
  })

  it('backs off exponentially (capped) between restarts of a container that keeps crashing, then gives up', async () => {
    const svc = service({ maxFailedRestarts: 5 })
    h = await createHarness([svc])
    h.stack.add('scanner', { id: 'c1', name: 'scanner-1', state: 'exited' }, 'crash')
    const t0 = h.clock.now().getTime()
    await h.sup.start()
    await h.advance(60_000)

    // Each crash is seen at the next check (+interval); the next start waits min(max, base * 2^(n-1)).
    const expected = [0]
    for (let n = 1; n < 5; n++) expected.push((expected[n - 1] as number) + svc.intervalMs + Math.min(svc.backoffMaxMs, svc.backoffBaseMs * 2 ** (n - 1)))
    expect(expected).toEqual([0, 1500, 4000, 8500, 13_000])
    expect(callTimes(t0)).toEqual(expected)

    const st = h.sup.serviceStatus('scanner')
    expect(st).toMatchObject({ state: 'failed', restarts: 5, consecutiveFailures: 5, failedAt: new Date(t0 + 13_500).toISOString() })
    expect(st.lastProblem).toMatch(/^gave up after 5 consecutive failed restarts: scanner-1: exited/)
    const failed = h.sinks.on('supervise.failed') as FailedAnnouncement[]
    expect(failed).toEqual([expect.objectContaining({ service: 'scanner', consecutiveFailures: 5, maxFailedRestarts: 5 })])
    expect(h.sinks.notices.at(-1)).toMatchObject({ level: 'error', title: 'scanner failed: auto-heal gave up' })
    expect(h.sinks.audits.at(-1)).toMatchObject({ action: 'supervise.failed', outcome: 'failed' })
  })

  it('jitter shortens each wait by at most the jitter fraction', async () => {
    const draws = [0.9, 0.1, 0.5, 0.7]
    h = await createHarness([service({ maxFailedRestarts: 5 })], { jitter: 0.2, random: () => draws.shift() ?? 0 })
    h.stack.add('scanner', { id: 'c1', state: 'exited' }, 'crash')
    const t0 = h.clock.now().getTime()
    await h.sup.start()
    await h.advance(60_000)
    const times = callTimes(t0)
    const waits = times.slice(1).map((x, i) => x - (times[i] as number) - 500)
    expect(waits).toEqual([Math.round(1000 * (1 - 0.2 * 0.9)), Math.round(2000 * (1 - 0.2 * 0.1)), Math.round(4000 * (1 - 0.2 * 0.5)), Math.round(4000 * (1 - 0.2 * 0.7))])
  })

  it('jitter with real randomness stays within bounds and under the cap', async () => {
    h = await createHarness([service({ maxFailedRestarts: 8, backoffBaseMs: 800, backoffMaxMs: 5000 })], { jitter: 0.3, random: Math.random })
    h.stack.add('scanner', { id: 'c1', state: 'exited' }, 'crash')
    const t0 = h.clock.now().getTime()
    await h.sup.start()
    await h.advance(120_000)
    const times = callTimes(t0)
    expect(times).toHaveLength(8)
    times.slice(1).forEach((x, i) => {
      const wait = x - (times[i] as number) - 500
      const ceiling = Math.min(5000, 800 * 2 ** i)
      expect(wait).toBeLessThanOrEqual(ceiling)
      expect(wait).toBeGreaterThanOrEqual(Math.floor(ceiling * 0.7))
    })
    expect(h.sup.serviceStatus('scanner').state).toBe('failed')
  })

  it('leaves a failed service alone until reset, then heals it again', async () => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', state: 'exited' }, 'crash')
    await h.sup.start()
    await h.advance(10_000)
    expect(h.stack.calls).toHaveLength(3)
    expect(h.sup.serviceStatus('scanner').state).toBe('failed')

    await h.advance(600_000)
    expect(h.stack.calls).toHaveLength(3)

    h.stack.set('c1', {}, 'stay-up')
    const resetAt = h.clock.now().getTime()
    const after = await h.sup.reset('scanner', { who: 'trader', door: 'ipc' })
    expect(after).toMatchObject({ state: 'recovering', restarts: 0, consecutiveFailures: 0 })
    expect(after.failedAt).toBeUndefined()
    // The reset itself is audited by the door's handler wrapper, not twice by the supervisor.
    expect(h.sinks.audits.filter((a) => (a.action as string) === 'supervise.reset')).toEqual([])
    await h.advance(0)
    expect(h.stack.calls.at(-1)).toMatchObject({ at: resetAt, verb: 'start' })
    await h.advance(5000)
    expect(h.sup.serviceStatus('scanner')).toMatchObject({ state: 'healthy', restarts: 1 })
  })

  it('counts a restart call that fails outright at once, without waiting for a check', async () => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', state: 'exited' }, 'refuse')
    const t0 = h.clock.now().getTime()
    await h.sup.start()
    await h.advance(30_000)
    expect(callTimes(t0)).toEqual([0, 1000, 3000])
    expect(h.sinks.on('supervise.restarted').map((a) => (a as RestartAnnouncement).outcome)).toEqual(['failed', 'failed', 'failed'])
    expect(h.sup.serviceStatus('scanner').state).toBe('failed')
  })

  it('restarts an unhealthy container gracefully with the configured stop timeout', async () => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', state: 'running', health: 'unhealthy' })
    await h.sup.start()
    await h.advance(0)
    expect(h.stack.calls).toEqual([expect.objectContaining({ verb: 'restart', id: 'c1', stopTimeoutS: 7 })])
    expect((h.sinks.on('supervise.restarted')[0] as RestartAnnouncement).reason).toMatch(/unhealthy/)
  })

  it('a container that falls sick within the grace period counts as a failed restart (backoff), after it as a new incident (immediate)', async () => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', state: 'exited' })
    const t0 = h.clock.now().getTime()
    await h.sup.start()
    await h.advance(1000)
    h.stack.set('c1', { state: 'exited' }) // crashes 1 s after the restart: within the 3 s grace
    await h.advance(500)
    expect(h.sup.serviceStatus('scanner')).toMatchObject({ consecutiveFailures: 1, nextAttemptAt: new Date(t0 + 2500).toISOString() })
    await h.advance(10_000)
    expect(callTimes(t0)).toEqual([0, 2500])
    expect(h.sup.serviceStatus('scanner')).toMatchObject({ state: 'healthy', consecutiveFailures: 0 })

    const crashAt = h.clock.now().getTime()
    h.stack.set('c1', { state: 'exited' })
    await h.advance(500)
    expect(h.stack.calls.at(-1)?.at).toBeLessThanOrEqual(crashAt + 500)
    expect(h.stack.calls).toHaveLength(3)
  })
})
