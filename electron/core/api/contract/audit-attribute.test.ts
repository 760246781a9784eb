import { describe, expect, it } from 'vitest'
import { operationNames, operations, wrapperAuditedOperations } from '.'

/**
 * The audited set is read from the contract, so a new control operation cannot slip past the
 * audit log: it must say who records it, or this fails.
 */
describe('the audit attribute on the contract', () => {
  it('every operation that changes something says who audits it; read-only ones are not audited', () => {
    const changes = operationNames.filter((n) => operations[n].scope !== 'read')
    expect(changes.length).toBeGreaterThan(0)
    for (const n of changes) expect({ n, audit: operations[n].audit }).not.toEqual({ n, audit: undefined })
    for (const n of operationNames.filter((x) => operations[x].scope === 'read')) expect({ n, audit: operations[n].audit }).toEqual({ n, audit: undefined })
  })

  it('the wrapper audits the control actions, and not the ones their domain records itself', () => {
    expect([...wrapperAuditedOperations].sort()).toEqual(
      [
        'api.rotateToken',
        'bus.command',
        'config.restore',
        'config.save',
        'runs.commands.ack',
        'runs.commands.create',
        'runs.create',
        'runs.transition',
        'schedule.override',
        'services.create',
        'services.delete',
        'services.update',
        'stack.pause',
        'stack.restart',
        'stack.resume',
        'stack.signal',
        'supervise.reset',
        'trading.resume',
        'workflow.recover',
        'workflow.saveAndRestart',
      ].sort(),
    )
    // Recorded by the bus (acks, paused containers), the supervisor (intent, then outcome) and runs
    // (what a heartbeat changed, each delivery: not one record per beat or empty poll).
    for (const n of ['bus.killswitch.engage', 'bus.killswitch.release', 'supervise.restart', 'runs.heartbeat', 'runs.commands.next'] as const) {
      expect(operations[n].audit).toBe('domain')
      expect(wrapperAuditedOperations).not.toContain(n)
    }
  })
})
