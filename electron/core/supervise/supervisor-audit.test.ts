import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AuditLog } from '../audit/audit-log'
import { supervisionAuditEntry } from './audit-entry'
import type { SupervisionAudit } from './ports'
import { createHarness, service, type Harness } from '../../../test-support/supervise/harness'

const trader = { who: 'alice', door: 'http' as const }

/** Every record must say which service and which container it is about; `all` only for a service-wide refusal. */
function expectNamed(records: readonly SupervisionAudit[]): void {
  expect(records.length).toBeGreaterThan(0)
  for (const r of records) {
    expect(r.service, JSON.stringify(r)).toMatch(/\S/)
    if (r.container === 'all') {
      expect(r.outcome, 'only a refusal may concern the whole service').toBe('refused')
    } else {
      expect(r.container.id, JSON.stringify(r)).toMatch(/\S/)
      expect(r.container.name, JSON.stringify(r)).toMatch(/\S/)
    }
  }
}

describe('Supervisor: audit records', () => {
  let h: Harness
  afterEach(async () => {
    await h.cleanup()
  })

  it('automatic restarts, the give-up, a manual restart and its refusals each name the service and the container', async () => {
    h = await createHarness([service({ maxFailedRestarts: 2 }), service({ name: 'feed' })])
    h.stack.add('scanner', { id: 'c1', name: 'scanner-1', state: 'exited' }, 'crash')
    h.stack.add('feed', { id: 'f1', name: 'feed-1', state: 'running' })
    h.stack.add('feed', { id: 'f2', name: 'feed-2', state: 'paused' })
    await h.sup.start()
    await h.advance(10_000)
    expect(h.sup.serviceStatus('scanner').state).toBe('failed')

    await h.sup.restart({ service: 'feed', reason: 'new build' }, trader)
    h.guards.reason = { reason: 'the killswitch is engaged', advice: 'Release the killswitch first.' }
    await h.sup.restart({ service: 'feed' }, trader).catch(() => undefined)

    const a = h.sinks.audits
    expectNamed(a)
    const auto = a.filter((r) => r.service === 'scanner')
    expect(auto.map((r) => [r.action, r.outcome])).toEqual([
      ['supervise.restart.intent', 'ok'],
      ['supervise.restart', 'ok'],
      ['supervise.restart.intent', 'ok'],
      ['supervise.restart', 'ok'],
      ['supervise.failed', 'failed'],
    ])
    for (const r of auto) expect(r).toMatchObject({ who: 'supervisor', door: 'supervisor', container: { id: 'c1', name: 'scanner-1' } })

    // The manual restart: intent and outcome for the running one, a refusal for the paused one, all
    // under the caller's door; then the blocked attempt, refused once. Never a second copy as door "supervisor".
    const manual = a.filter((r) => r.service === 'feed')
    const rows = manual.map((r) => [r.action, r.outcome, r.container === 'all' ? 'all' : r.container.name])
    // Containers are restarted in parallel: the per-container order is what matters.
    expect(rows).toHaveLength(4)
    expect(rows).toEqual(
      expect.arrayContaining([
        ['supervise.restart', 'refused', 'feed-2'],
        ['supervise.restart.intent', 'ok', 'feed-1'],
        ['supervise.restart', 'ok', 'feed-1'],
      ]),
    )
    expect(rows.findIndex((r) => r[0] === 'supervise.restart.intent')).toBeLessThan(rows.findIndex((r) => r[0] === 'supervise.restart' && r[2] === 'feed-1'))
    expect(rows.at(-1)).toEqual(['supervise.restart', 'refused', 'all'])
    for (const r of manual) expect(r).toMatchObject({ who: 'alice', door: 'http' })
    const named = (name: string, action: string) => manual.find((r) => r.action === action && r.container !== 'all' && r.container.name === name)
    expect(named('feed-2', 'supervise.restart')?.detail).toMatchObject({ refused: 'paused: resume it first' })
    expect(named('feed-1', 'supervise.restart')?.detail).toMatchObject({ verb: 'restart', stopTimeoutS: 7 })
    expect(manual.at(-1)?.detail).toMatchObject({ refused: 'restart refused: the killswitch is engaged. Release the killswitch first.' })
  })

  it('records the intent before the engine is touched', async () => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', name: 'scanner-1', state: 'running', health: 'unhealthy' }, 'hang')
    h.looseSettle()
    await h.sup.start()
    void h.clock.advance(0)
    await h.stack.firstCall
    // The call hangs: only the intent can be there, and it must be.
    expect(h.sinks.audits).toHaveLength(1)
    expect(h.sinks.audits[0]).toMatchObject({
      action: 'supervise.restart.intent',
      service: 'scanner',
      container: { id: 'c1', name: 'scanner-1' },
      reason: 'Docker healthcheck reports unhealthy',
      detail: { verb: 'restart', stopTimeoutS: 7, attempt: 1 },
    })
    // Let the hung process "die" so cleanup does not wait on its call.
    await (await h.restartStackdeck()).stop()
  })

  it('a restart interrupted by a Stackdeck crash leaves its intent and, after the next start, an interrupted outcome (once)', async () => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', name: 'scanner-1', state: 'exited' }, 'hang')
    h.looseSettle()
    await h.sup.start()
    void h.clock.advance(0)
    await h.stack.firstCall
    await h.advance(1000)

    const sup2 = await h.restartStackdeck()
    const interrupted = h.sinks.audits.filter((r) => r.action === 'supervise.restart')
    expect(interrupted).toHaveLength(1)
    expect(interrupted[0]).toMatchObject({
      outcome: 'partial',
      who: 'supervisor',
      door: 'supervisor',
      service: 'scanner',
      container: { id: 'c1', name: 'scanner-1' },
      detail: { interrupted: true },
    })
    expectNamed(h.sinks.audits)

    // Another restart of Stackdeck while the window is still open does not say it again.
    await sup2.stop()
    const sup3 = await h.restartStackdeck()
    expect(h.sinks.audits.filter((r) => r.action === 'supervise.restart')).toHaveLength(1)
    await sup3.stop()
  })

  it('does not act when the intent cannot be recorded, and says so', async () => {
    h = await createHarness([service()], {
      sinks: {
        audit: (r: SupervisionAudit) => (r.action === 'supervise.restart.intent' ? Promise.reject(new Error('ENOSPC: no space left on device')) : undefined),
      },
    })
    h.stack.add('scanner', { id: 'c1', name: 'scanner-1', state: 'exited' })
    await h.sup.start()
    await h.advance(0)
    expect(h.stack.calls).toEqual([])
    expect(h.sup.serviceStatus('scanner')).toMatchObject({ restarts: 0, consecutiveFailures: 1 })
  })
})

describe('supervisionAuditEntry: through the real audit log', () => {
  let dir = ''
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('keeps the service and the container (which the log used to drop) in target and detail', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sd-sup-audit-'))
    const log = new AuditLog({ path: join(dir, 'audit.jsonl') })
    const rec: SupervisionAudit = {
      at: '2026-12-01T21:00:00.000Z',
      who: 'supervisor',
      door: 'supervisor',
      action: 'supervise.restart',
      service: 'exec',
      container: { id: 'abc123def456', name: 'exec-1' },
      outcome: 'failed',
      reason: 'heartbeat stale while the container runs',
      detail: { verb: 'restart', stopTimeoutS: 60, error: 'timeout' },
    }
    await log.append(supervisionAuditEntry(rec))
    await log.append(supervisionAuditEntry({ ...rec, who: 'alice', door: 'ws', container: 'all', outcome: 'refused', detail: {} }))
    await log.close()
    const lines = (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines[0]).toMatchObject({
      who: 'supervisor',
      door: 'supervisor',
      action: 'supervise.restart',
      target: 'service:exec container:exec-1',
      reason: 'heartbeat stale while the container runs',
      outcome: 'failed',
      detail: { service: 'exec', container: { id: 'abc123def456', name: 'exec-1' }, stopTimeoutS: 60, error: 'timeout' },
    })
    expect(lines[1]).toMatchObject({ who: 'alice', door: 'ws', target: 'service:exec container:all', detail: { container: { all: true } } })
  })
})

describe('Supervisor: a container frozen between the check and the call', () => {
  let h: Harness
  afterEach(async () => {
    await h.cleanup()
  })

  it('is left alone: no restart counted, no failure, no restart announced, a refusal recorded', async () => {
    h = await createHarness()
    h.stack.add('scanner', { id: 'c1', name: 'scanner-1', state: 'running', health: 'unhealthy' }, 'frozen')
    await h.sup.start()
    await h.advance(0)
    expect(h.stack.calls).toHaveLength(1)
    expect(h.sup.serviceStatus('scanner')).toMatchObject({ restarts: 0, consecutiveFailures: 0, paused: 0 })
    expect(h.sinks.on('supervise.restarted')).toEqual([])
    expect(h.sinks.audits.map((r) => [r.action, r.outcome])).toEqual([
      ['supervise.restart.intent', 'ok'],
      ['supervise.restart', 'refused'],
    ])
    expect(h.sinks.audits[1]?.detail).toMatchObject({ refused: 'paused by someone else: left frozen' })
    // The next checks see it paused and hold off.
    await h.advance(5000)
    expect(h.stack.calls).toHaveLength(1)
    expect(h.sup.serviceStatus('scanner')).toMatchObject({ paused: 1, consecutiveFailures: 0 })
  })
})
