import { describe, expect, it } from 'vitest'
import { StackService } from './stack-service'
import type { ContainerInfo, StackSnapshot } from './types'

const c = (id: string, service: string, endpoint = 'local'): ContainerInfo =>
  ({ id, name: `n-${id}`, image: 'img', endpoint, service, state: 'running', health: 'none', startedAt: null, uptimeS: null, labels: {} })

describe('StackService.containers', () => {
  it('lists each container of a snapshot once, though two services match it; same id on two endpoints is two containers', () => {
    const stack = new StackService({
      endpoints: [{ id: 'local', url: 'unix:///nonexistent.sock' }, { id: 'remote', url: 'unix:///nonexistent-2.sock' }],
      services: [
        { name: 'a', selector: { app: 'x' }, reload: { signal: null, logPattern: null, timeoutMs: 1000 } },
        { name: 'b', selector: { role: 'y' }, reload: { signal: null, logPattern: null, timeoutMs: 1000 } },
      ],
      actionTimeoutMs: 1000,
    })
    const snap = {
      services: [
        { name: 'a', containers: [c('1', 'a'), c('2', 'a')] },
        { name: 'b', containers: [c('2', 'a'), c('3', 'b'), c('1', 'b', 'remote')] },
      ],
    } as unknown as StackSnapshot
    expect(stack.containers(snap).map((x) => `${x.endpoint}/${x.id}`)).toEqual(['local/1', 'local/2', 'local/3', 'remote/1'])
  })
})
