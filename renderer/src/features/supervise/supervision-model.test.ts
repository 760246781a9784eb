import { describe, expect, it } from 'vitest'
import { ago, countdown, countText, failureReason, newlyFailed, STATE_HELP, STATE_TONE, statesOf, summarizeRestart, unknownText, type ServiceSupervision, type SuperviseStatus } from './supervision-model'

const svc = (service: string, state: ServiceSupervision['state'], extra: Partial<ServiceSupervision> = {}): ServiceSupervision => ({
  service,
  state,
  autoHeal: true,
  healthSource: 'docker',
  desired: 1,
  actual: 1,
  paused: 0,
  lastCheckAt: null,
  restarts: 0,
  consecutiveFailures: 0,
  containers: [],
  ...extra,
})
const status = (...services: ServiceSupervision[]): SuperviseStatus => ({ at: '2026-01-05T09:00:00.000Z', services })

describe('newlyFailed', () => {
  it('reports a service that turned failed, once', () => {
    const before = statesOf(status(svc('scanner', 'recovering'), svc('orch', 'healthy')))
    const now = status(svc('scanner', 'failed'), svc('orch', 'healthy'))
    expect(newlyFailed(before, now).map((s) => s.service)).toEqual(['scanner'])
    expect(newlyFailed(statesOf(now), now)).toEqual([])
  })

  it('does not count a service seen for the first time', () => {
    expect(newlyFailed(new Map(), status(svc('scanner', 'failed')))).toEqual([])
  })

  it('reports it again after a reset and a new failure', () => {
    const reset = statesOf(status(svc('scanner', 'healthy')))
    expect(newlyFailed(reset, status(svc('scanner', 'failed')))).toHaveLength(1)
  })
})

describe('wording', () => {
  it('gives the most specific failure reason with the count of failed restarts', () => {
    expect(failureReason(svc('s', 'failed', { lastProblem: 'container exited (code 1)', consecutiveFailures: 2 }))).toBe(
      'container exited (code 1) (gave up after 2 consecutive failed restarts)',
    )
    const fromContainer = svc('s', 'failed', {
      consecutiveFailures: 1,
      containers: [
        { id: 'a', name: 'a', state: 'running', health: 'none', heartbeat: 'unknown', restarts: 0, consecutiveFailures: 0 },
        { id: 'b', name: 'b', state: 'exited', health: 'none', heartbeat: 'unknown', restarts: 1, consecutiveFailures: 1, problem: 'exited' },
      ],
    })
    expect(failureReason(fromContainer)).toBe('exited (gave up after 1 consecutive failed restart)')
    expect(failureReason(svc('s', 'failed', { consecutiveFailures: 3 }))).toBe('gave up after 3 consecutive failed restarts')
  })

  it('counts down to the next attempt and says when it is due', () => {
    const now = Date.parse('2026-01-05T09:00:00.000Z')
    expect(countdown('2026-01-05T09:00:04.200Z', now)).toBe('in 5s')
    expect(countdown('2026-01-05T09:01:30.000Z', now)).toBe('in 1m 30s')
    expect(countdown('2026-01-05T08:59:59.000Z', now)).toBe('due now')
    expect(countdown(undefined, now)).toBe('')
  })

  it('says how long ago the last check was', () => {
    const now = Date.parse('2026-01-05T09:00:10.000Z')
    expect(ago('2026-01-05T09:00:07.000Z', now)).toBe('3s ago')
    expect(ago(null, now)).toBe('never')
  })

  it('summarizes a manual restart, listing failures', () => {
    const r = summarizeRestart({
      at: '2026-01-05T09:00:00.000Z',
      containers: [
        { service: 's', id: '1', name: 'one', outcome: 'ok', ms: 10 },
        { service: 's', id: '2', name: 'two', outcome: 'skipped', ms: 0 },
        { service: 's', id: '3', name: 'three', outcome: 'failed', error: 'timeout', ms: 10 },
      ],
    })
    expect(r).toEqual({ ok: false, text: '3 containers: 1 ok, 1 skipped, 1 failed', problems: ['three: timeout'] })
  })
})

describe('unknown is shown as unknown', () => {
  it('says why and since when, and never turns a missing count into 0', () => {
    const down = svc('feed', 'unknown', { actual: null, paused: null, unknown: { since: '2026-01-05T09:00:00.000Z', reason: 'engine unreachable: local (connect ENOENT)' } })
    expect(unknownText(down)).toMatch(/^unknown: engine unreachable: local \(connect ENOENT\) since /)
    expect(countText(down.actual)).toBe('?')
    expect(countText(0)).toBe('0')
    expect(unknownText(svc('feed', 'healthy'))).toBe('')
  })

  it('is drawn neutral, not in a colour that reads as fine', () => {
    expect(STATE_TONE.unknown).toBe('muted')
    expect(STATE_HELP.unknown).toMatch(/cannot see/)
  })
})
