import { readFile } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { createHarness, service, type Harness } from '../../../test-support/supervise/harness'

interface SavedState {
  services: Record<string, { containers: Record<string, Record<string, unknown>> }>
}

/** Stackdeck itself restarts mid-backoff or mid-restart: the schedule resumes from the state file, never doubling a restart. */
describe('Supervisor: resuming from the persisted backoff state', () => {
  let h: Harness
  afterEach(async () => {
    await h.cleanup()
  })

  const readState = async () => JSON.parse(await readFile(h.statePath, 'utf8')) as SavedState

  it('honours nextAttemptAt from the file: no restart until the backoff is over', async () => {
    h = await createHarness([service({ maxFailedRestarts: 5 })])
    h.stack.add('scanner', { id: 'c1', state: 'exited' }, 'crash')
    const t0 = h.clock.now().getTime()
    await h.sup.start()
    await h.advance(2000) // starts at 0 and 1500; the second crash is seen at 2000 -> next attempt at 4000
    expect(h.stack.calls.map((c) => c.at - t0)).toEqual([0, 1500])
    const saved = await readState()
    expect(saved.services['scanner']?.containers['c1']).toMatchObject({ consecutiveFailures: 2, nextAttemptAt: t0 + 4000, lastRestartAt: t0 + 1500, restarts: 2 })

    await h.advance(300)
    const sup2 = await h.restartStackdeck()
    await h.advance(0)
    expect(h.stack.calls).toHaveLength(2)
    await h.advance(1699)
    expect(h.stack.calls).toHaveLength(2)
    await h.advance(1)
    expect(h.stack.calls.map((c) => c.at - t0)).toEqual([0, 1500, 4000])
    expect(sup2.serviceStatus('scanner')).toMatchObject({ restarts: 3, consecutiveFailures: 2 })
    await sup2.stop()
  })

  it('a restart whose verdict was pending when Stackdeck died is judged by the next process (backoff, not an instant retry)', async () => {
    h = await createHarness([service({ maxFailedRestarts: 5 })])
    h.stack.add('scanner', { id: 'c1', state: 'exited' }, 'crash')
    const t0 = h.clock.now().getTime()
    await h.sup.start()
    await h.advance(1700) // second start at 1500 crashed; the old process would have noticed at 2000
    expect(h.stack.calls.map((c) => c.at - t0)).toEqual([0, 1500])
    expect((await readState()).services['scanner']?.containers['c1']).toMatchObject({ awaitingVerdict: true, consecutiveFailures: 1 })

    const sup2 = await h.restartStackdeck()
    await h.advance(0)
    // Counted as the second failure at 1700: the next start waits 2 s.
    expect(h.stack.calls).toHaveLength(2)
    expect(sup2.serviceStatus('scanner')).toMatchObject({ consecutiveFailures: 2, nextAttemptAt: new Date(t0 + 3700).toISOString() })
    await h.advance(2000)
    expect(h.stack.calls.map((c) => c.at - t0)).toEqual([0, 1500, 3700])
    await sup2.stop()
  })

  it('a restart in flight when Stackdeck died is waited out, never doubled', async () => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', state: 'exited' }, 'hang')
    const t0 = h.clock.now().getTime()
    h.looseSettle()
    await h.sup.start()
    void h.clock.advance(0)
    await h.stack.firstCall
    // The intent was on disk before the engine was called: stopTimeoutS 7 s + actionTimeoutMs 5 s.
    expect((await readState()).services['scanner']?.containers['c1']).toMatchObject({ inFlightUntil: t0 + 12_000, lastRestartAt: t0, restarts: 1 })

    // The old process dies with its start call hanging; the engine finishes it later but the container exits.
    await h.advance(1000)
    h.stack.set('c1', { state: 'exited' }, 'stay-up')
    const sup2 = await h.restartStackdeck()
    await h.advance(10_999)
    expect(h.stack.calls).toHaveLength(1)
    expect(sup2.serviceStatus('scanner').state).toBe('recovering')

    // Window over: that restart is judged failed (container exited), so the retry waits base 1 s.
    await h.advance(1)
    expect(h.stack.calls, JSON.stringify(h.stack.calls.map((c) => c.at - t0))).toHaveLength(1)
    expect(sup2.serviceStatus('scanner')).toMatchObject({ consecutiveFailures: 1, nextAttemptAt: new Date(t0 + 13_000).toISOString() })
    await h.advance(1000)
    expect(h.stack.calls.map((c) => c.at - t0)).toEqual([0, 13_000])
    await sup2.stop()
  })

  it('a failed service stays failed across a Stackdeck restart', async () => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', state: 'exited' }, 'crash')
    await h.sup.start()
    await h.advance(10_000)
    expect(h.sup.serviceStatus('scanner').state).toBe('failed')
    const n = h.stack.calls.length

    const sup2 = await h.restartStackdeck()
    await h.advance(60_000)
    expect(h.stack.calls).toHaveLength(n)
    const st = sup2.serviceStatus('scanner')
    expect(st.state).toBe('failed')
    expect(st.lastProblem).toMatch(/^gave up: c1: exited/)
    await sup2.stop()
  })

  it('clamps a nextAttemptAt beyond what the settings allow (clock set back, or a longer backoffMaxMs before)', async () => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', state: 'exited' }, 'crash')
    const t0 = h.clock.now().getTime()
    await h.sup.start()
    await h.advance(700) // start at 0; crash seen at 500: next attempt at 1500
    const doc = await readState()
    const rec = doc.services['scanner']?.containers['c1']
    if (!rec) throw new Error('no record for c1')
    rec['nextAttemptAt'] = t0 + 3_600_000
    const { writeFile } = await import('node:fs/promises')
    await writeFile(h.statePath, JSON.stringify(doc))

    const sup2 = await h.restartStackdeck()
    await h.advance(0)
    // backoffMaxMs is 4 s: no wait is ever longer than that from now.
    expect(sup2.serviceStatus('scanner').nextAttemptAt).toBe(new Date(t0 + 700 + 4000).toISOString())
    await h.advance(4000)
    expect(h.stack.calls.map((c) => c.at - t0)).toEqual([0, 4700])
    await sup2.stop()
  })
})
