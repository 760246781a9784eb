/**
 * "What someone else froze stays frozen", on the real engine (and the real test Redis for the
 * killswitch): a container paused by hand with `docker pause` before the killswitch engages, or
 * before a trading window closes, is still paused after the release, or after the window opens,
 * according to `docker inspect`; everything those paths paused themselves runs again. The
 * bridges under test are the ones app.ts wires (stack-bridges.ts, schedule/window-pause.ts).
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasTestDocker } from '../../../test-support/docker-fixtures'
import { hasTestRedis, newTestRedis, testKey, testRedisUrl } from '../../../test-support/redis-fixture'
import {
  createWorkflowFixtures,
  engineStates,
  watchEngineEvents,
  type WorkflowFixtures,
} from '../../../test-support/workflow-harness'
import type { EventMap } from '../api/contract'
import { BusClient } from '../bus/bus-client'
import { EventHub } from '../event-hub'
import { WindowPauser } from '../schedule/window-pause'
import { StackService } from '../stack/stack-service'
import { agentContainerPauser, containerResumer, killswitchStackPauser, pauseEffectOf } from './stack-bridges'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const sorted = (xs: Iterable<string>) => [...xs].sort()
const RUN = `${process.env.STACKDECK_TEST_LABEL ?? 'local'}-${process.pid}`
const CTX = { who: 'tester', door: 'system' } as const

function docker(fx: WorkflowFixtures, ...args: string[]) {
  execFileSync('docker', ['-H', fx.host, ...args], { env: { ...process.env, DOCKER_CONTEXT: '' }, stdio: 'ignore' })
}

async function newStack(fx: WorkflowFixtures) {
  const stack = new StackService({ endpoints: [{ id: 'test', url: fx.host }], services: fx.services, actionTimeoutMs: 15_000, events: new EventHub<EventMap>() })
  await stack.start()
  return stack
}

/** Wait until the live snapshot shows each id in the wanted state (the bridges act on the snapshot). */
async function snapshotShows(stack: StackService, want: Map<string, string>) {
  for (let i = 0; ; i++) {
    const cs = stack.snapshot().services.flatMap((s) => s.containers)
    if ([...want].every(([id, st]) => cs.some((c) => c.id === id && c.state === st))) return
    if (i > 400) throw new Error(`snapshot never showed ${JSON.stringify([...want])}`)
    await sleep(25)
  }
}

describe.skipIf(!hasTestDocker())('what the trader froze stays frozen: killswitch release and scheduled resume', () => {
  let fx: WorkflowFixtures
  let held: string
  let others: string[]
  const stacks: StackService[] = []
  const buses: BusClient[] = []

  beforeAll(async () => {
    fx = await createWorkflowFixtures({
      services: [
        { name: 'orchestrator', app: 'python-orchestrator', signal: 'SIGUSR1', count: 2 },
        { name: 'scanner', app: 'go-scanner', signal: 'SIGHUP', count: 2 },
      ],
    })
    held = fx.ids[2] as string
    others = fx.ids.filter((id) => id !== held)
  }, 240_000)

  afterAll(async () => {
    for (const b of buses) await b.stop().catch(() => undefined)
    for (const s of stacks) await s.stop().catch(() => undefined)
    const raw = newTestRedis()
    await raw.del(testKey(`frozen:${RUN}:ks`), testKey(`frozen:${RUN}:trading`)).catch(() => undefined)
    raw.disconnect()
    await fx?.dispose()
  })

  it.skipIf(!hasTestRedis())('a killswitch release (Docker-level pause on) resumes only what it paused, even after a restart of Stackdeck', async () => {
    const key = testKey(`frozen:${RUN}:ks`)
    const newBus = (stack: StackService) => {
      const bus = new BusClient(
        {
          url: testRedisUrl(),
          killswitchKey: key,
          tradingKey: testKey(`frozen:${RUN}:trading`),
          channels: { killswitchChannel: `risk.killswitch.${RUN}`, killswitchAckChannel: `risk.killswitch.${RUN}.ack` },
          killswitchPausesStack: true,
          killswitchAckTimeoutMs: 200,
          tickMs: 50,
        },
        {
          setTradingEnabled: async () => undefined,
          pauseStack: killswitchStackPauser(stack),
          pauseAgentContainer: agentContainerPauser(stack, CTX),
          resumeContainers: containerResumer(stack),
          audit: () => undefined,
        },
      )
      buses.push(bus)
      return bus
    }
    const stack = await newStack(fx)
    stacks.push(stack)
    await snapshotShows(stack, new Map(fx.ids.map((id) => [id, 'running'])))
    docker(fx, 'pause', held) // the trader's own pause, outside Stackdeck
    await snapshotShows(stack, new Map([[held, 'paused']]))

    const bus = newBus(stack)
    await bus.start()
    const eng = await bus.killswitch.engage({ reason: 'test: frozen stays', who: 'trader', door: 'ipc' })
    expect([...(await engineStates(fx.docker, fx.ids)).values()].every((s) => s === 'paused')).toBe(true)
    expect(sorted(eng.state.frozen?.map((r) => r.id) ?? [])).toEqual(sorted(others))
    expect(eng.state.leftAlone?.map((r) => r.id)).toEqual([held])
    // Stored with the switch itself, so a restart keeps it.
    const raw = newTestRedis()
    const stored = JSON.parse((await raw.get(key)) as string) as { frozen: Array<{ id: string }>; leftAlone: Array<{ id: string }> }
    raw.disconnect()
    expect(sorted(stored.frozen.map((r) => r.id))).toEqual(sorted(others))
    expect(stored.leftAlone.map((r) => r.id)).toEqual([held])

    // Stackdeck restarts between engage and release: new stack engine, new bus client.
    await bus.stop()
    await stack.stop()
    const stack2 = await newStack(fx)
    stacks.push(stack2)
    await snapshotShows(stack2, new Map(fx.ids.map((id) => [id, 'paused'])))
    const bus2 = newBus(stack2)
    await bus2.start()
    // The stored state is (re-)read once the connection is up.
    for (let i = 0; !bus2.killswitch.view().engaged; i++) {
      if (i > 200) throw new Error('the restarted bus never read the engaged killswitch')
      await sleep(25)
    }

    const watch = await watchEngineEvents(fx)
    const rel = await bus2.killswitch.release({ reason: 'test over', who: 'admin', door: 'http' })
    const events = await watch.stop()
    const states = await engineStates(fx.docker, fx.ids)
    expect(states.get(held)).toBe('paused')
    for (const id of others) expect(states.get(id), id).toBe('running')
    expect(events.filter((e) => e.id === held && ['unpause', 'kill', 'pause'].includes(e.action))).toEqual([])
    expect(sorted(events.filter((e) => e.action === 'unpause').map((e) => e.id))).toEqual(sorted(others))
    const heldName = fx.containers.find((c) => c.id === held)?.name as string
    expect(rel.warnings.join(' ')).toContain(`Left paused, as they were before the killswitch engaged: ${heldName}`)
    expect(rel.state.frozen).toEqual([])
    docker(fx, 'unpause', held)
    await bus2.stop()
  })

  it('a scheduled resume (schedule.pauseOutsideWindow) resumes only what the window close paused, across a restart', async () => {
    // Whatever an earlier test left behind: start from a running stack.
    for (const [id, st] of await engineStates(fx.docker, fx.ids)) if (st === 'paused') docker(fx, 'unpause', id)
    const stack = await newStack(fx)
    stacks.push(stack)
    await snapshotShows(stack, new Map(fx.ids.map((id) => [id, 'running'])))
    docker(fx, 'pause', held)
    await snapshotShows(stack, new Map([[held, 'paused']]))
    const notes: string[] = []
    const pauserOver = (s: StackService) =>
      new WindowPauser({
        pause: async (why) => pauseEffectOf(await s.pause({ who: 'schedule', door: 'scheduler' }, { reason: why })),
        resume: (refs, why) => containerResumer(s)(refs, why, 'schedule'),
        blockedReason: () => null,
        notify: (n) => notes.push(n.message),
        statePath: join(fx.stateDir, 'schedule-paused.json'),
      })
    await pauserOver(stack).closed('trading window closed')
    expect([...(await engineStates(fx.docker, fx.ids)).values()].every((s) => s === 'paused')).toBe(true)

    // Restart between close and open: the record on disk is what the open trusts.
    await stack.stop()
    const stack2 = await newStack(fx)
    stacks.push(stack2)
    await snapshotShows(stack2, new Map(fx.ids.map((id) => [id, 'paused'])))
    const watch = await watchEngineEvents(fx)
    const r = await pauserOver(stack2).opened('trading window opened')
    const events = await watch.stop()
    const states = await engineStates(fx.docker, fx.ids)
    expect(states.get(held)).toBe('paused')
    for (const id of others) expect(states.get(id), id).toBe('running')
    expect(sorted(r?.resumed.map((x) => x.id) ?? [])).toEqual(sorted(others))
    expect(events.filter((e) => e.id === held && ['unpause', 'kill'].includes(e.action))).toEqual([])
    const heldName = fx.containers.find((c) => c.id === held)?.name as string
    expect(notes.join(' ')).toContain(`Left paused, as someone else paused them: ${heldName}`)
    docker(fx, 'unpause', held)
  })
})
