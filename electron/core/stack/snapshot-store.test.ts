import { describe, expect, it } from 'vitest'
import { EventHub } from '../event-hub'
import { backoffDelay } from './endpoint-watcher'
import type { ContainerRecord } from './selection'
import { SnapshotStore } from './snapshot-store'
import type { StackSnapshot } from './types'

const services = [
  { name: 'orch', selector: { app: 'orch' }, reload: { signal: null, logPattern: null, timeoutMs: 1 } },
]
const endpoints = [
  { id: 'a', url: 'unix:///a.sock' },
  { id: 'b', url: 'unix:///b.sock' },
]
const rec = (
  id: string,
  endpoint = 'a',
  labels: Record<string, string> = { app: 'orch' },
): ContainerRecord => ({
  id,
  name: id,
  image: 'i',
  endpoint,
  state: 'running',
  health: 'none',
  startedAt: null,
  labels,
})

describe('SnapshotStore', () => {
  it('coalesces a burst of changes into one full-snapshot emit', async () => {
    // The real EventHub type-checks as the store's sink.
    const hub = new EventHub<{ 'stack.changed': StackSnapshot }>()
    const seen: StackSnapshot[] = []
    hub.subscribe((_n, p) => seen.push(p))
    const store = new SnapshotStore(endpoints, services, hub, 30)
    store.setStatus('a', { reachable: true, watching: true, error: null })
    store.replace('a', [rec('c1'), rec('c2'), rec('x', 'a', { app: 'other' })])
    for (let i = 0; i < 20; i++)
      store.patch('a', i % 2 ? 'c1' : 'c2', { state: i % 3 ? 'paused' : 'running' })
    store.patch('a', 'c1', { state: 'paused' })
    store.patch('a', 'c2', { state: 'paused' })
    expect(seen).toHaveLength(0)
    await new Promise((r) => setTimeout(r, 60))
    expect(seen).toHaveLength(1)
    expect(seen[0]?.services[0]?.containers.map((c) => [c.id, c.state])).toEqual([
      ['c1', 'paused'],
      ['c2', 'paused'],
    ])
    expect(seen[0]?.endpoints.find((e) => e.id === 'a')).toMatchObject({
      reachable: true,
      watching: true,
      containers: 2,
    })
    store.close()
  })

  it('does not emit for no-op patches and drops containers of an unreachable endpoint', async () => {
    let emits = 0
    const store = new SnapshotStore(endpoints, services, { emit: () => emits++ }, 5)
    store.replace('b', [rec('c3', 'b')])
    await new Promise((r) => setTimeout(r, 20))
    emits = 0
    store.patch('b', 'c3', { state: 'running' })
    await new Promise((r) => setTimeout(r, 20))
    expect(emits).toBe(0)
    store.setStatus('b', { reachable: false, watching: false, error: 'ECONNREFUSED' })
    expect(store.records('b')).toEqual([])
    expect(store.endpointStatus().find((e) => e.id === 'b')).toMatchObject({
      reachable: false,
      error: 'ECONNREFUSED',
    })
    store.close()
  })
})

describe('backoffDelay', () => {
  it('grows exponentially, is jittered, and never exceeds the cap', () => {
    expect(backoffDelay(0, 100, 5000, () => 0)).toBe(50)
    expect(backoffDelay(0, 100, 5000, () => 1)).toBe(100)
    expect(backoffDelay(3, 100, 5000, () => 1)).toBe(800)
    expect(backoffDelay(30, 100, 5000, () => 1)).toBe(5000)
    expect(backoffDelay(30, 100, 5000, () => 0)).toBe(2500)
  })
})
