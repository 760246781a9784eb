import { describe, expect, it } from 'vitest'
import { plural } from '../../lib/format'
import { actionTargetText, summarizeAction } from './action-summary'

const totals = (o: Partial<Record<'ok' | 'already' | 'skipped' | 'gone' | 'failed' | 'timeout', number>>) => {
  const t = { ok: 0, already: 0, skipped: 0, gone: 0, failed: 0, timeout: 0, ...o }
  return { ...t, all: Object.values(t).reduce((a, b) => a + b, 0) }
}
const containers = [{ id: 'abc123def4567890', name: 'desk-scanner-1' }] as never

describe('stack action toasts', () => {
  it('name their target: the stack, a service, or a container by name', () => {
    expect(actionTargetText({}, { containers })).toBe('the whole stack')
    expect(actionTargetText({ service: 'scanner' }, { containers })).toBe('service scanner')
    expect(actionTargetText({ container: 'abc123def4567890' }, { containers })).toBe('container desk-scanner-1')
    expect(actionTargetText({ container: 'fffffffffffffffff' }, { containers: [] })).toBe('container ffffffffffff')
  })

  it('count in words, not container(s)', () => {
    expect(summarizeAction('Paused', { service: 'scanner' }, { containers, totals: totals({ ok: 2 }), ms: 41.4 })).toBe(
      'Paused service scanner: 2 containers in 41 ms: 2 ok',
    )
    expect(summarizeAction('Resumed', {}, { containers, totals: totals({ ok: 1, already: 0 }), ms: 9 })).toBe(
      'Resumed the whole stack: 1 container in 9 ms: 1 ok',
    )
    expect(summarizeAction('Paused', {}, { containers: [], totals: totals({}), ms: 1 })).toBe(
      'Paused the whole stack: no containers in 1 ms: nothing to do',
    )
    expect(plural(25000, 'event')).toBe('25,000 events')
  })
})
