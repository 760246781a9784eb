import { afterEach, describe, expect, it } from 'vitest'
import { createHarness, service, type Harness } from '../../../test-support/supervise/harness'

/** The supervisor never fights the trader, never acts on ignorance, and never acts when told not to. */
describe('Supervisor: guards, pauses, autoHeal off, heartbeats', () => {
  let h: Harness
  afterEach(async () => {
    await h.cleanup()
  })

  it.each([
    'killswitch engaged',
    'Save & Restart run in flight',
    'stack paused by the trader',
    'stack paused by the trading schedule',
  ])('does nothing while blocked (%s), and heals once released', async (reason) => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', state: 'exited' })
    h.guards.reason = reason
    await h.sup.start()
    await h.advance(60_000)
    expect(h.stack.calls).toEqual([])
    expect(h.sup.serviceStatus('scanner')).toMatchObject({ state: 'blocked', blockedBy: reason, restarts: 0 })

    h.guards.reason = null
    const releasedAt = h.clock.now().getTime()
    await h.advance(500)
    expect(h.stack.calls).toEqual([{ at: releasedAt + 500, verb: 'start', id: 'c1' }])
  })

  it('re-checks the guard right before acting (killswitch engaged during the check)', async () => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', state: 'exited' })
    h.guards.script = [null, 'killswitch engaged']
    await h.sup.start()
    await h.advance(0)
    expect(h.stack.calls).toEqual([])
    expect(h.guards.calls).toBe(2)
  })

  it('treats a guard that throws as blocked', async () => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', state: 'exited' })
    h.guards.blockedReason = () => {
      throw new Error('redis down')
    }
    await h.sup.start()
    await h.advance(5000)
    expect(h.stack.calls).toEqual([])
    expect(h.sup.serviceStatus('scanner')).toMatchObject({ state: 'blocked', blockedBy: 'guard check failed: redis down' })
  })

  it('never touches a paused container, however sick it looks', async () => {
    h = await createHarness([service({ healthSource: 'both' })])
    h.stack.add('scanner', { id: 'c1', name: 'scanner-1', state: 'paused', health: 'unhealthy' })
    h.heartbeats.verdicts.set('c1', 'stale')
    await h.sup.start()
    await h.advance(120_000)
    expect(h.stack.calls).toEqual([])
    expect(h.sup.serviceStatus('scanner')).toMatchObject({ state: 'blocked', blockedBy: 'paused: scanner-1', paused: 1, actual: 0 })

    const manual = await h.sup.restart({ container: 'scanner-1' }, { who: 'trader', door: 'ipc' })
    expect(manual.containers).toEqual([expect.objectContaining({ outcome: 'skipped', error: 'paused: resume it first' })])
    expect(h.stack.calls).toEqual([])
  })

  it('gives an unpaused container the heartbeat grace before judging its (old) stale heartbeat', async () => {
    h = await createHarness([service({ healthSource: 'heartbeat', heartbeatGraceMs: 2000 })])
    h.stack.add('scanner', { id: 'c1', state: 'paused' })
    h.heartbeats.verdicts.set('c1', 'stale')
    await h.sup.start()
    await h.advance(10_000)
    h.stack.set('c1', { state: 'running' })
    const unpausedAt = h.clock.now().getTime()
    await h.advance(1900)
    expect(h.stack.calls).toEqual([])
    await h.advance(1000)
    // Checks run every 500 ms; the first one at or after the 2 s grace acts.
    expect(h.stack.calls).toEqual([expect.objectContaining({ verb: 'restart', at: unpausedAt + 2500 })])
  })

  it('after a guard was released, stale heartbeats get a fresh start-up grace', async () => {
    h = await createHarness([service({ healthSource: 'heartbeat', heartbeatGraceMs: 2000 })])
    h.stack.add('scanner', { id: 'c1', state: 'running' })
    h.heartbeats.verdicts.set('c1', 'fresh')
    h.guards.reason = 'Save & Restart run in flight'
    await h.sup.start()
    await h.advance(10_000)
    h.heartbeats.verdicts.set('c1', 'stale')
    h.guards.reason = null
    const releasedAt = h.clock.now().getTime()
    await h.advance(2400)
    expect(h.stack.calls).toEqual([])
    await h.advance(200)
    expect(h.stack.calls).toEqual([expect.objectContaining({ verb: 'restart', at: releasedAt + 2500 })])
  })

  it('with autoHeal off it reports problems but never acts', async () => {
    h = await createHarness([service({ autoHeal: false, desired: 2, healthSource: 'both' })])
    h.stack.add('scanner', { id: 'c1', name: 'scanner-1', state: 'exited' })
    h.stack.add('scanner', { id: 'c2', name: 'scanner-2', state: 'running', health: 'unhealthy' })
    h.heartbeats.verdicts.set('c2', 'stale')
    await h.sup.start()
    await h.advance(300_000)
    expect(h.stack.calls).toEqual([])
    const st = h.sup.serviceStatus('scanner')
    expect(st).toMatchObject({ state: 'disabled', autoHeal: false, actual: 1, desired: 2, restarts: 0 })
    expect(st.containers.map((c) => c.problem)).toEqual(['exited', 'Docker healthcheck reports unhealthy'])
    expect(st.lastProblem).toBe('scanner-1: exited')
    expect(h.sinks.announced).toEqual([])

    // A manual restart is the trader's own act: it works even with auto-heal off.
    const r = await h.sup.restart({ service: 'scanner' }, { who: 'trader', door: 'http' })
    expect(r.containers.map((c) => c.outcome)).toEqual(['ok', 'ok'])
    expect(h.stack.calls.map((c) => `${c.verb}:${c.id}`)).toEqual(['start:c1', 'restart:c2'])
  })

  it('never restarts on an unknown heartbeat', async () => {
    h = await createHarness([service({ healthSource: 'heartbeat' })])
    h.stack.add('scanner', { id: 'c1', state: 'running' })
    await h.sup.start()
    await h.advance(600_000)
    expect(h.stack.calls).toEqual([])
    expect(h.sup.serviceStatus('scanner')).toMatchObject({ state: 'healthy', containers: [expect.objectContaining({ heartbeat: 'unknown' })] })
  })

  it('never restarts on a heartbeat view that throws (read as unknown)', async () => {
    h = await createHarness([service({ healthSource: 'both' })])
    h.stack.add('scanner', { id: 'c1', state: 'running' })
    h.heartbeats.isStale = () => {
      throw new Error('bus down')
    }
    await h.sup.start()
    await h.advance(60_000)
    expect(h.stack.calls).toEqual([])
  })

  it('restarts on a stale heartbeat only after the start-up grace, and only when heartbeats are a health source', async () => {
    h = await createHarness([service({ name: 'hb', healthSource: 'heartbeat', heartbeatGraceMs: 2000 }), service({ name: 'dk', healthSource: 'docker' })])
    h.stack.add('hb', { id: 'h1', state: 'running' })
    h.stack.add('dk', { id: 'd1', state: 'running' })
    h.heartbeats.verdicts.set('h1', 'stale')
    h.heartbeats.verdicts.set('d1', 'stale')
    const t0 = h.clock.now().getTime()
    await h.sup.start()
    await h.advance(1999)
    expect(h.stack.calls).toEqual([])
    await h.advance(1)
    expect(h.stack.calls).toEqual([expect.objectContaining({ id: 'h1', verb: 'restart', at: t0 + 2000 })])
    expect(h.sup.serviceStatus('hb').containers[0]).toMatchObject({ heartbeat: 'stale' })
    await h.advance(60_000)
    expect(h.stack.calls.filter((c) => c.id === 'd1')).toEqual([])
  })

  it('reports fewer containers than desired as degraded (it does not create containers)', async () => {
    h = await createHarness([service({ desired: 3 })])
    h.stack.add('scanner', { id: 'c1', state: 'running' })
    h.stack.add('scanner', { id: 'c2', state: 'running' })
    await h.sup.start()
    await h.advance(5000)
    const st = h.sup.serviceStatus('scanner')
    expect(st).toMatchObject({ state: 'degraded', desired: 3, actual: 2 })
    expect(st.lastProblem).toMatch(/2 of 3 desired containers exist; Stackdeck restarts containers but does not create them/)
    expect(h.stack.calls).toEqual([])
  })

  it('leaves a stopped extra container alone when desired is already met', async () => {
    h = await createHarness([service({ desired: 1 })])
    h.stack.add('scanner', { id: 'c1', state: 'running' })
    h.stack.add('scanner', { id: 'old', state: 'exited' })
    await h.sup.start()
    await h.advance(30_000)
    expect(h.stack.calls).toEqual([])
    const st = h.sup.serviceStatus('scanner')
    expect(st.state).toBe('healthy')
    expect(st.containers[1]?.problem).toMatch(/not needed: desired count reached/)
  })

  it('a check that exceeds timeoutMs is reported, not acted on', async () => {
    h = await createHarness([service({ timeoutMs: 800 })])
    h.stack.add('scanner', { id: 'c1', state: 'exited' })
    h.stack.hangList = true
    h.looseSettle()
    await h.sup.start()
    await h.advance(800)
    const st = h.sup.serviceStatus('scanner')
    // Not seeing the containers is unknown, with no count: never "0 running".
    expect(st).toMatchObject({ state: 'unknown', actual: null, paused: null, containers: [] })
    expect(st.unknown).toEqual({ since: h.clock.now().toISOString(), reason: 'check of scanner timed out after 800 ms' })
    expect(st.lastProblem).toBe('check failed: check of scanner timed out after 800 ms')
    expect(h.stack.calls).toEqual([])

    h.stack.hangList = false
    await h.advance(500)
    expect(h.stack.calls).toHaveLength(1)
  })

  it('an unreachable engine is reported, not acted on', async () => {
    h = await createHarness()
    h.stack.listError = new Error('connect ENOENT /var/run/docker.sock')
    const t0 = h.clock.now().getTime()
    await h.sup.start()
    await h.advance(5000)
    expect(h.sup.serviceStatus('scanner')).toMatchObject({
      state: 'unknown',
      actual: null,
      lastProblem: 'check failed: connect ENOENT /var/run/docker.sock',
      // Since the first failed check, not the latest one.
      unknown: { since: new Date(t0).toISOString(), reason: 'connect ENOENT /var/run/docker.sock' },
    })
    expect(h.stack.calls).toEqual([])
  })

  it('an outage after a healthy check hides the old counts, and recovery clears the unknown and the problem text', async () => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', state: 'running' })
    await h.sup.start()
    await h.advance(0)
    expect(h.sup.serviceStatus('scanner')).toMatchObject({ state: 'healthy', actual: 1 })
    h.stack.listError = new Error('engine unreachable: local (connect ENOENT)')
    await h.advance(500)
    const down = h.sup.serviceStatus('scanner')
    expect(down).toMatchObject({ state: 'unknown', actual: null, paused: null, containers: [] })
    expect(down.unknown?.reason).toBe('engine unreachable: local (connect ENOENT)')
    h.stack.listError = null
    await h.advance(500)
    const up = h.sup.serviceStatus('scanner')
    expect(up).toMatchObject({ state: 'healthy', actual: 1 })
    expect(up.unknown).toBeUndefined()
    expect(up.lastProblem).toBeUndefined()
  })

  it('restarts Docker-unhealthy containers of several services independently', async () => {
    h = await createHarness([service({ name: 'a' }), service({ name: 'b' })])
    h.stack.add('a', { id: 'a1', state: 'running', health: 'unhealthy' })
    h.stack.add('b', { id: 'b1', state: 'running', health: 'healthy' })
    await h.sup.start()
    await h.advance(10_000)
    expect(h.stack.calls.map((c) => c.id)).toEqual(['a1'])
    expect(h.sup.status().services.map((s) => s.state)).toEqual(['healthy', 'healthy'])
  })
})
