import { describe, expect, it } from 'vitest'
import type { ContainerState } from '../stack/types'
import { countContainers, exitedToHeal, shortfallText } from './desired-count'

const c = (id: string, state: ContainerState) => ({ id, name: `svc-${id}`, endpoint: 'local', service: 'svc', state, health: 'none' as const, labels: {}, startedAt: null })

describe('desired vs actual', () => {
  it('starts only as many stopped containers as are needed to reach desired', () => {
    const list = [c('a', 'running'), c('b', 'exited'), c('c', 'dead'), c('d', 'exited')]
    expect([...exitedToHeal(list, 1)]).toEqual([])
    expect([...exitedToHeal(list, 2)]).toEqual(['b'])
    expect([...exitedToHeal(list, 3)].sort()).toEqual(['b', 'c'])
    expect([...exitedToHeal(list, 9)].sort()).toEqual(['b', 'c', 'd'])
  })

  it('counts paused, restarting and created containers as up (not to be started)', () => {
    const list = [c('a', 'paused'), c('b', 'restarting'), c('e', 'exited')]
    expect([...exitedToHeal(list, 2)]).toEqual([])
    expect([...exitedToHeal(list, 3)]).toEqual(['e'])
  })

  it('reports a shortfall, and says Stackdeck does not create containers when some are missing', () => {
    const list = [c('a', 'running'), c('b', 'exited')]
    expect(countContainers(list, 3)).toEqual({ desired: 3, running: 1, paused: 0, existing: 2, missing: 1 })
    expect(shortfallText(countContainers(list, 3))).toMatch(/2 of 3 desired containers exist; Stackdeck .* does not create them/)
    expect(shortfallText(countContainers(list, 2))).toBe('1 of 2 desired containers running')
    expect(shortfallText(countContainers(list, 1))).toBeNull()
  })
})
