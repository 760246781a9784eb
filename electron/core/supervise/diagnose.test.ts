import { describe, expect, it } from 'vitest'
import type { ContainerHealth, ContainerState } from '../stack/types'
import { diagnose, type HealthSource } from './diagnose'
import type { HeartbeatVerdict } from './ports'

const c = (state: ContainerState, health: ContainerHealth = 'none') => ({
  id: 'abc',
  name: 'scanner-1',
  endpoint: 'local',
  service: 'scanner',
  state,
  health,
  labels: {},
  startedAt: null,
})

const kind = (state: ContainerState, health: ContainerHealth, heartbeat: HeartbeatVerdict, source: HealthSource, judgeHeartbeat = true) => {
  const d = diagnose({ container: c(state, health), heartbeat, source, judgeHeartbeat })
  return d.kind === 'problem' ? `problem:${d.problem}` : d.kind
}

describe('diagnose', () => {
  it('paused is held whatever its health or heartbeat says', () => {
    expect(kind('paused', 'unhealthy', 'stale', 'both')).toBe('held')
  })

  it('exited and dead containers are problems under every health source', () => {
    for (const source of ['docker', 'heartbeat', 'both'] as const) {
      expect(kind('exited', 'none', 'unknown', source)).toBe('problem:exited')
      expect(kind('dead', 'none', 'unknown', source)).toBe('problem:exited')
    }
  })

  it('leaves the engine restart policy, creation and removal alone', () => {
    expect(kind('restarting', 'none', 'stale', 'both')).toBe('other')
    expect(kind('created', 'none', 'unknown', 'docker')).toBe('other')
    expect(kind('removing', 'none', 'unknown', 'docker')).toBe('other')
  })

  it('judges the Docker healthcheck only when the source includes docker', () => {
    expect(kind('running', 'unhealthy', 'fresh', 'docker')).toBe('problem:unhealthy')
    expect(kind('running', 'unhealthy', 'fresh', 'both')).toBe('problem:unhealthy')
    expect(kind('running', 'unhealthy', 'fresh', 'heartbeat')).toBe('ok')
    expect(kind('running', 'starting', 'fresh', 'docker')).toBe('pending')
  })

  it('judges heartbeats only when the source includes heartbeat, and only after the start-up grace', () => {
    expect(kind('running', 'none', 'stale', 'heartbeat')).toBe('problem:heartbeat_stale')
    expect(kind('running', 'none', 'stale', 'both')).toBe('problem:heartbeat_stale')
    expect(kind('running', 'none', 'stale', 'docker')).toBe('ok')
    expect(kind('running', 'none', 'stale', 'heartbeat', false)).toBe('pending')
  })

  it('never calls an unknown heartbeat a problem', () => {
    for (const source of ['heartbeat', 'both'] as const) {
      expect(kind('running', 'healthy', 'unknown', source)).toBe('ok')
      expect(kind('running', 'none', 'unknown', source)).toBe('ok')
    }
  })
})
