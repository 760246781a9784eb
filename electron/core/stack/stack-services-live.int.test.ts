/**
 * StackService.setServices on the private engine: the selection, the events watch and the pause set
 * (what the schedule's window pause acts on: a pause with no target) follow a change of services
 * with no restart.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { hasTestDocker, removeFixtures, startFixtures, testDocker, testDockerHost } from '../../../test-support/docker-fixtures'
import { StackService } from './stack-service'

const ctx = { who: 'int-test', door: 'system' as const }
const noReload = { signal: null, logPattern: null, timeoutMs: 1000 }
const run = `live-${Math.random().toString(36).slice(2, 8)}`

async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe.skipIf(!hasTestDocker())('StackService: services changed live', () => {
  const stack = new StackService({ endpoints: [{ id: 'test', url: testDockerHost() }], services: [], actionTimeoutMs: 10_000 })
  afterAll(async () => {
    await stack.stop()
    await removeFixtures({ live: run })
  })

  it('a new service is watched and paused with the stack; a removed one leaves the pause set', async () => {
    const [id] = (await startFixtures({ service: 'live', labels: { live: run } })) as [string]
    await stack.start()
    const none = await stack.pause(ctx, { reason: 'window closed' })
    expect(none.containers).toEqual([])

    await stack.setServices([{ name: 'live', selector: { live: run }, reload: noReload }])
    expect(stack.snapshot().services.find((s) => s.name === 'live')?.containers.map((c) => c.id)).toEqual([id])
    // The events watch is armed for the new selector: a pause done behind Stackdeck's back shows.
    await testDocker().getContainer(id).pause()
    await until('the watch to see the pause', () => stack.snapshot().services[0]?.containers[0]?.state === 'paused')
    await testDocker().getContainer(id).unpause()
    await until('the watch to see the unpause', () => stack.snapshot().services[0]?.containers[0]?.state === 'running')

    const paused = await stack.pause(ctx, { reason: 'window closed' })
    expect(paused.containers.map((c) => [c.id, c.outcome])).toEqual([[id, 'ok']])
    await stack.unpause(ctx, { reason: 'window opened' })

    await stack.setServices([])
    expect(stack.snapshot().services).toEqual([])
    expect((await stack.pause(ctx, { reason: 'window closed' })).containers).toEqual([])
    expect((await testDocker().getContainer(id).inspect()).State.Paused).toBe(false)
  })
})
