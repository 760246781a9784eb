import type { Agent } from '../../renderer/src/features/monitor/types'

/** A valid agent for unit tests; override what the test is about. */
export function makeAgent(p: Partial<Agent> & { id: string }): Agent {
  return {
    transport: 'redis',
    heardOn: ['redis'],
    name: p.id,
    group: 'signals',
    groupRaw: p.group ?? 'signals',
    status: 'active',
    reportedStatus: 'active',
    lastBeat: '2026-01-01T00:00:00.000Z',
    reportedAt: null,
    alive: true,
    secondsSinceBeat: 0,
    beats: 1,
    anomalies: [],
    anomalyCount: 0,
    paused: false,
    ...p,
  }
}
