import { describe, expect, it } from 'vitest'
import {
  commonLabelFilters,
  computeStatus,
  groupByService,
  healthFromStatusText,
  parseDockerTime,
  recordFromInspect,
  recordFromSummary,
  resolveTargets,
  uptimeS,
  type ContainerRecord,
} from './selection'
import type { ServiceSpec, StackSnapshot } from './types'

const reload = { signal: 'SIGHUP', logPattern: 'reloaded', timeoutMs: 1000 }
const svc = (name: string, selector: Record<string, string>, endpoint?: string): ServiceSpec => ({
  name,
  selector,
  reload,
  ...(endpoint ? { endpoint } : {}),
})
const rec = (
  id: string,
  name: string,
  labels: Record<string, string>,
  over: Partial<ContainerRecord> = {},
): ContainerRecord => ({
  id,
  name,
  image: 'img',
  endpoint: 'local',
  state: 'running',
  health: 'none',
  startedAt: '2024-05-01T10:00:00.123456789Z',
  labels,
  ...over,
})

const services = [
  svc('orchestrator', { project: 'trade', app: 'orch' }),
  svc('scanner', { project: 'trade', app: 'scan' }, 'remote'),
  svc('everything', { project: 'trade' }),
]

describe('selectors', () => {
  it('filters on the labels every service shares, so Docker narrows the list server-side', () => {
    expect(commonLabelFilters(services)).toEqual(['project=trade'])
    expect(commonLabelFilters([svc('a', { x: '1' }), svc('b', { y: '2' })])).toEqual([])
    expect(commonLabelFilters([])).toEqual([])
  })
})

describe('groupByService', () => {
  const now = Date.parse('2024-05-01T10:01:40Z')
  const recs = [
    rec('b1', 'orch-2', { project: 'trade', app: 'orch' }),
    rec('a1', 'orch-1', { project: 'trade', app: 'orch', extra: 'x' }),
    rec('c1', 'scan-local', { project: 'trade', app: 'scan' }),
    rec('d1', 'scan-remote', { project: 'trade', app: 'scan' }, { endpoint: 'remote' }),
    rec('e1', 'other', { project: 'other', app: 'orch' }),
  ]
  const views = groupByService(services, recs, now)

  it('puts containers under every service they match, sorted by name, honouring endpoint scope', () => {
    expect(views.map((v) => [v.name, v.containers.map((c) => c.name)])).toEqual([
      ['orchestrator', ['orch-1', 'orch-2']],
      ['scanner', ['scan-remote']],
      ['everything', ['orch-1', 'orch-2', 'scan-local', 'scan-remote']],
    ])
  })

  it('names the first matching service as the primary one', () => {
    const every = views[2]?.containers ?? []
    expect(every.map((c) => c.service)).toEqual(['orchestrator', 'orchestrator', 'everything', 'scanner'])
  })

  it('computes uptime from the daemon start time', () => {
    expect(views[0]?.containers[0]?.uptimeS).toBe(100)
    expect(uptimeS({ state: 'exited', startedAt: '2024-05-01T10:00:00Z' }, now)).toBeNull()
    expect(uptimeS({ state: 'paused', startedAt: '2024-05-01T10:00:00Z' }, now)).toBe(100)
  })
})

describe('computeStatus', () => {
  const snap = (states: Array<ContainerRecord['state']>, reachable = [true]): StackSnapshot => ({
    at: new Date().toISOString(),
    services: groupByService(
      services,
      states.map((s, i) => rec(`id${i}`, `c${i}`, { project: 'trade', app: 'orch' }, { state: s })),
      Date.now(),
    ),
    endpoints: reachable.map((r, i) => ({
      id: `e${i}`,
      url: 'unix:///x',
      reachable: r,
      watching: r,
      error: null,
      since: new Date().toISOString(),
      containers: 0,
    })),
  })

  it('counts each container once even when it is under two services', () => {
    const st = computeStatus(snap(['running', 'paused', 'exited']))
    expect(st.containers).toHaveLength(3)
    expect(st.counts).toMatchObject({ running: 1, paused: 1, exited: 1, dead: 0 })
    expect(st.state).toBe('mixed')
  })

  it.each([
    [['running', 'running'], [true], 'running'],
    [['paused', 'paused'], [true], 'paused'],
    [[], [true], 'empty'],
    [['running'], [true, false], 'running'],
    [[], [false, false], 'unreachable'],
  ] as const)('%j on %j -> %s', (states, reach, want) => {
    expect(computeStatus(snap([...states], [...reach])).state).toBe(want)
  })
})

describe('resolveTargets', () => {
  const recs = [
    rec('aaaa1111', 'orch-1', { project: 'trade', app: 'orch' }),
    rec('aaaa2222', 'orch-2', { project: 'trade', app: 'orch' }),
    rec('bbbb1111', 'scan-1', { project: 'trade', app: 'scan' }, { endpoint: 'remote' }),
    rec('cccc1111', 'stranger', { app: 'orch' }),
  ]

  it('targets the whole stack, never containers outside it', () => {
    expect(resolveTargets(services, recs, {}).map((t) => t.rec.name)).toEqual(['orch-1', 'orch-2', 'scan-1'])
  })

  it('targets one service', () => {
    expect(
      resolveTargets(services, recs, { service: 'scanner' }).map((t) => [t.rec.name, t.service]),
    ).toEqual([['scan-1', 'scanner']])
  })

  it('targets one container by name, id or unique prefix', () => {
    expect(resolveTargets(services, recs, { container: 'orch-2' }).map((t) => t.rec.id)).toEqual(['aaaa2222'])
    expect(resolveTargets(services, recs, { container: '/orch-2' }).map((t) => t.rec.id)).toEqual([
      'aaaa2222',
    ])
    expect(resolveTargets(services, recs, { container: 'bbbb' }).map((t) => t.rec.id)).toEqual(['bbbb1111'])
  })

  it('refuses unknown, foreign and ambiguous targets', () => {
    expect(() => resolveTargets(services, recs, { service: 'nope' })).toThrow(/no service/)
    expect(() => resolveTargets(services, recs, { container: 'stranger' })).toThrow(/no stack container/)
    expect(() => resolveTargets(services, recs, { container: 'aaaa' })).toThrow(/matches 2/)
    expect(() => resolveTargets(services, recs, { container: 'aaa' })).toThrow(/no stack container/)
    expect(() => resolveTargets(services, recs, { service: 'scanner', container: 'orch-1' })).toThrow(
      /in service scanner/,
    )
  })
})

describe('docker value mapping', () => {
  it('parses Docker times, including the zero time', () => {
    expect(parseDockerTime('2024-05-01T10:00:00.123456789Z')).toBe(Date.parse('2024-05-01T10:00:00.123Z'))
    expect(parseDockerTime('0001-01-01T00:00:00Z')).toBeNull()
    expect(parseDockerTime('')).toBeNull()
    expect(parseDockerTime('garbage')).toBeNull()
  })

  it('reads health from list status text', () => {
    expect(healthFromStatusText('Up 3 minutes (healthy)')).toBe('healthy')
    expect(healthFromStatusText('Up 1 second (health: starting)')).toBe('starting')
    expect(healthFromStatusText('Up 2 hours (unhealthy)')).toBe('unhealthy')
    expect(healthFromStatusText('Up 2 hours (Paused)')).toBe('none')
  })

  it('maps list and inspect entries', () => {
    const fromList = recordFromSummary(
      {
        Id: 'x1',
        Names: ['/orch-1'],
        Image: 'img:1',
        State: 'paused',
        Status: 'Up (Paused)',
        Labels: { a: 'b' },
      } as never,
      'local',
    )
    expect(fromList).toMatchObject({
      id: 'x1',
      name: 'orch-1',
      state: 'paused',
      startedAt: null,
      labels: { a: 'b' },
    })
    const fromInspect = recordFromInspect(
      {
        Id: 'x1',
        Name: '/orch-1',
        Image: 'sha256:abc',
        Config: { Image: 'img:1', Labels: { a: 'b' } },
        State: { Status: 'running', StartedAt: '2024-05-01T10:00:00.5Z', Health: { Status: 'unhealthy' } },
      } as never,
      'local',
    )
    expect(fromInspect).toMatchObject({
      name: 'orch-1',
      image: 'img:1',
      state: 'running',
      health: 'unhealthy',
      startedAt: '2024-05-01T10:00:00.5Z',
    })
    const neverStarted = recordFromInspect(
      {
        Id: 'x2',
        Name: '/n',
        Image: 'i',
        Config: { Image: 'i', Labels: {} },
        State: { Status: 'created', StartedAt: '0001-01-01T00:00:00Z' },
      } as never,
      'local',
    )
    expect(neverStarted).toMatchObject({ state: 'created', startedAt: null, health: 'none' })
    expect(
      recordFromSummary(
        { Id: 'x3', Names: [], Image: 'i', State: 'weird', Status: '', Labels: {} } as never,
        'l',
      ).state,
    ).toBe('dead')
  })
})
