import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  hasTestDocker,
  removeFixtures,
  startFixtures,
  testDocker,
  testDockerHost,
  testLabels,
  waitForLog,
} from '../../../test-support/docker-fixtures'
import { createAjv } from '../api/ajv'
import { stackEvents, stackOperations } from '../api/contract/stack'
import { EventHub } from '../event-hub'
import { createStackHandlers } from './stack-handlers'
import { StackService } from './stack-service'
import type { ActionResult, PauseAnnouncement, StackSnapshot } from './types'

const ctx = { who: 'int-test', door: 'http' as const }
const ajv = createAjv()
const validAction = ajv.compile(stackOperations['stack.pause'].result)
const validSnapshot = ajv.compile(stackEvents['stack.changed'].payload)
const validStatus = ajv.compile(stackOperations['stack.status'].result)

async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function expectValid(validate: ReturnType<typeof ajv.compile>, value: unknown) {
  const ok = validate(value)
  expect(ok ? [] : validate.errors).toEqual([])
}

describe.skipIf(!hasTestDocker())('stack actions on a real engine (STACKDECK_TEST_DOCKER_HOST)', () => {
  const app = `sdt-act-${Math.random().toString(36).slice(2, 8)}`
  const docker = hasTestDocker() ? testDocker() : (null as never)
  const hub = new EventHub<{ 'stack.changed': StackSnapshot }>()
  const snaps: StackSnapshot[] = []
  hub.subscribe((_n, p) => snaps.push(p))
  const announced: Array<{ channel: string; payload: PauseAnnouncement }> = []
  let stack: StackService
  let ids: string[] = []

  const stateOf = async (id: string) => (await docker.getContainer(id).inspect()).State.Status

  beforeAll(async () => {
    ids = await startFixtures({ count: 20, service: 'orch', labels: { app, role: 'orch' } })
    stack = new StackService({
      endpoints: [{ id: 'local', url: testDockerHost() }],
      services: [
        {
          name: 'orch',
          selector: { ...testLabels(), app, role: 'orch' },
          reload: { signal: 'SIGUSR1', logPattern: 'Config reloaded', timeoutMs: 10_000 },
        },
        {
          name: 'idle',
          selector: { ...testLabels(), app, role: 'idle' },
          reload: { signal: null, logPattern: null, timeoutMs: 1000 },
        },
      ],
      actionTimeoutMs: 30_000,
      events: hub,
      announce: (channel, payload) => {
        announced.push({ channel, payload })
      },
    })
    await stack.start()
    await until(
      '20 running containers in the live view',
      () => stack.snapshot().services[0]?.containers.filter((c) => c.state === 'running').length === 20,
    )
  })

  afterAll(async () => {
    await stack?.stop()
    if (hasTestDocker()) await removeFixtures({ app })
  })

  it('pauses and unpauses 20 containers in parallel, each confirmed by inspect, and announces both', async () => {
    expect(stack.endpoints()[0]).toMatchObject({ id: 'local', reachable: true, watching: true })
    const paused = await stack.pause(ctx, { reason: 'int test' })
    expectValid(validAction, paused)
    expect(paused.ok).toBe(true)
    expect(paused.totals).toMatchObject({ ok: 20, all: 20 })
    expect(paused.containers.every((c) => c.outcome === 'ok' && c.state === 'paused')).toBe(true)
    expect(new Set(paused.containers.map((c) => c.id))).toEqual(new Set(ids))
    // Parallel, not a serial loop: the whole action takes far less than the sum of its parts.
    const sum = paused.containers.reduce((a, c) => a + c.ms, 0)
    expect(paused.ms).toBeLessThan(sum / 3)
    // Independent check straight from the engine.
    expect(new Set(await Promise.all(ids.map(stateOf)))).toEqual(new Set(['paused']))

    expect(paused.announced).toBe(true)
    expect(announced.at(-1)?.channel).toBe('orchestrator.paused')
    expect(announced.at(-1)?.payload).toMatchObject({ who: 'int-test', door: 'http', why: 'int test' })
    expect(announced.at(-1)?.payload.containers).toHaveLength(20)

    // The live view follows from the events stream, and the event carries a full, valid snapshot.
    await until('stack.changed with all paused', () =>
      snaps.some(
        (s) =>
          s.services[0]?.containers.length === 20 &&
          s.services[0].containers.every((c) => c.state === 'paused'),
      ),
    )
    expectValid(validSnapshot, snaps.at(-1))
    const status = await stack.status()
    expectValid(validStatus, status)
    expect(status).toMatchObject({ state: 'paused', counts: { paused: 20, running: 0 } })

    const resumed = await stack.unpause(ctx, { reason: 'int test done' })
    expect(resumed.ok).toBe(true)
    expect(resumed.totals).toMatchObject({ ok: 20, all: 20 })
    expect(new Set(await Promise.all(ids.map(stateOf)))).toEqual(new Set(['running']))
    expect(announced.at(-1)?.channel).toBe('orchestrator.resumed')
    expect(announced.at(-1)?.payload.why).toBe('int test done')
  })

  it('is idempotent: pausing twice and unpausing twice both succeed', async () => {
    const target = { service: 'orch' }
    const first = await stack.pause(ctx, { target })
    const second = await stack.pause(ctx, { target })
    expect(first.totals).toMatchObject({ ok: 20 })
    expect(second.ok).toBe(true)
    expect(second.totals).toMatchObject({ already: 20, all: 20 })
    expect(second.containers.every((c) => c.state === 'paused')).toBe(true)
    const third = await stack.unpause(ctx, { target })
    const fourth = await stack.unpause(ctx, { target })
    expect(third.totals).toMatchObject({ ok: 20 })
    expect(fourth.ok).toBe(true)
    expect(fourth.totals).toMatchObject({ already: 20, all: 20 })
    expect(new Set(await Promise.all(ids.map(stateOf)))).toEqual(new Set(['running']))
  })

  it('reports containers removed mid-action as gone and still acts on the rest', async () => {
    const [g1, g2] = await startFixtures({ count: 2, service: 'orch-doomed', labels: { app, role: 'orch' } })
    await until(
      '22 containers in view',
      () => stack.snapshot().services[0]?.containers.filter((c) => c.state === 'running').length === 22,
    )
    // The refs are taken first; the two are removed before the pause reaches them.
    const refs = stack.snapshot().services[0]?.containers ?? []
    await Promise.all([g1, g2].map((id) => docker.getContainer(id as string).remove({ force: true })))
    const r = await stack.pause(ctx, { containers: refs, reason: 'gone test' })
    expect(r.totals).toMatchObject({ ok: 20, gone: 2, failed: 0, all: 22 })
    expect(r.ok).toBe(true)
    expect(
      r.containers
        .filter((c) => c.outcome === 'gone')
        .map((c) => c.id)
        .sort(),
    ).toEqual([g1, g2].sort())
    expect(new Set(await Promise.all(ids.map(stateOf)))).toEqual(new Set(['paused']))
    // And the same refs again for the way back: the gone ones stay gone, nothing else fails.
    const back = await stack.unpause(ctx, { containers: refs })
    expect(back.totals).toMatchObject({ ok: 20, gone: 2, all: 22 })
    await until(
      'gone containers leave the view',
      () => stack.snapshot().services[0]?.containers.length === 20,
    )

    // A real race too: removal sent together with a stack-wide pause. Whatever the interleaving,
    // the doomed container never counts as failed and the others are paused.
    const [g3] = await startFixtures({ count: 1, service: 'orch-racer', labels: { app, role: 'orch' } })
    await until('racer in view', () =>
      stack.snapshot().services[0]?.containers.some((c) => c.id === g3 && c.state === 'running'),
    )
    const [, raced] = await Promise.all([
      docker.getContainer(g3 as string).remove({ force: true }),
      stack.pause(ctx, { target: { service: 'orch' } }),
    ])
    const racer = raced.containers.find((c) => c.id === g3)
    expect(['gone', 'ok', 'skipped'], JSON.stringify(racer)).toContain(racer?.outcome ?? 'gone')
    expect(
      raced.containers.filter((c) => c.id !== g3).every((c) => c.outcome === 'ok' || c.outcome === 'already'),
    ).toBe(true)
    expect(raced.totals.failed + raced.totals.timeout).toBe(0)
    expect((await stack.unpause(ctx, { target: { service: 'orch' } })).ok).toBe(true)
    await until('racer leaves the view', () => stack.snapshot().services[0]?.containers.length === 20)
  })

  it('skips containers the action does not apply to and refuses unknown targets and signals', async () => {
    const [created] = await startFixtures({
      count: 1,
      service: 'idle',
      labels: { app, role: 'idle' },
      start: false,
    })
    await until(
      'created container in view',
      () => stack.snapshot().services[1]?.containers[0]?.state === 'created',
    )
    const p = await stack.pause(ctx, { target: { service: 'idle' } })
    expect(p.containers).toEqual([
      expect.objectContaining({ id: created, outcome: 'skipped', state: 'created' }),
    ])
    expect(p.ok).toBe(true)
    const u = await stack.unpause(ctx, { target: { container: created as string } })
    expect(u.containers[0]).toMatchObject({ outcome: 'skipped', state: 'created' })
    const s = await stack.signal(ctx, 'SIGUSR1', { target: { service: 'idle' } })
    expect(s.containers[0]).toMatchObject({ outcome: 'skipped' })
    await expect(stack.pause(ctx, { target: { service: 'nope' } })).rejects.toMatchObject({
      code: 'not_found',
    })
    await expect(stack.pause(ctx, { target: { container: 'no-such-container' } })).rejects.toMatchObject({
      code: 'not_found',
    })
    await expect(stack.signal(ctx, 'SIGSTOP')).rejects.toMatchObject({ code: 'invalid_input' })
  })

  it('reports a restart whose process dies at once as failed right away, not after the action timeout', async () => {
    const [dying] = await startFixtures({ count: 1, service: 'idle-dying', labels: { app, role: 'idle' }, env: { FAIL_MODE: 'exit-now' } })
    await until('the dying container in the live view, exited', () =>
      stack.snapshot().services[1]?.containers.find((c) => c.id === dying && c.state === 'exited'),
    )
    // The process dies within milliseconds of its start, so an inspect may still catch it running
    // (then 'ok', and supervision's healthy grace judges it). What must never happen is waiting
    // out the 30 s action budget for a container that is already dead again.
    const outcomes: string[] = []
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      const res = await stack.restart(ctx, { target: { container: dying as string }, reason: 'dies at once' })
      const ms = performance.now() - t0
      const r = res.containers[0]
      expect(ms).toBeLessThan(10_000)
      if (r?.outcome === 'failed') {
        expect(r).toMatchObject({ state: 'exited', error: expect.stringMatching(/started again but exited at once \(exit code 1\)/) as unknown })
      } else {
        expect(r).toMatchObject({ outcome: 'ok', state: 'running' })
      }
      outcomes.push(r?.outcome ?? 'none')
    }
    expect(outcomes).toContain('failed')
  })

  it('signals and restarts through the contract handlers, confirmed by the engine', async () => {
    const h = createStackHandlers(stack)
    const target = { container: ids[0] as string }
    const sig = await h['stack.signal']({ target, signal: 'SIGUSR1' }, ctx)
    expectValid(validAction, sig)
    expect(sig.containers).toEqual([expect.objectContaining({ id: ids[0], outcome: 'ok', state: 'running' })])
    await waitForLog(ids[0] as string, /Config reloaded/)

    const before = (await docker.getContainer(ids[1] as string).inspect()).State.StartedAt
    const rs = await h['stack.restart']({ target: { container: ids[1] as string } }, ctx)
    expectValid(validAction, rs)
    expect(rs.containers[0]).toMatchObject({ outcome: 'ok', state: 'running' })
    const after = (await docker.getContainer(ids[1] as string).inspect()).State.StartedAt
    expect(after).not.toBe(before)
    await until(
      'restart visible in the live view',
      () => stack.snapshot().services[0]?.containers.find((c) => c.id === ids[1])?.startedAt === after,
    )

    const list = await h['stack.list']({}, ctx)
    expectValid(ajv.compile(stackOperations['stack.list'].result), list)
    const st = await h['stack.status']({}, ctx)
    expectValid(validStatus, st)
    expect(st.counts.running, JSON.stringify(st.counts)).toBe(20)
    const res: ActionResult = await h['stack.pause']({ target: { service: 'orch' }, reason: 'handlers' }, ctx)
    expect(res.totals.ok).toBe(20)
    expect((await h['stack.resume']({ target: { service: 'orch' } }, ctx)).totals.ok).toBe(20)
  })
})
