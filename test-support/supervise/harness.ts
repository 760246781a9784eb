import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SuperviseStatusT } from '../../electron/core/api/contract/supervise'
import { EventHub } from '../../electron/core/event-hub'
import { FakeClock, type Clock, type TimerHandle } from '../../electron/core/shared/clock'
import type { SuperviseServiceOptions } from '../../electron/core/supervise/options'
import { Supervisor, type SupervisorOptions } from '../../electron/core/supervise/supervisor'
import { RecordingSinks, StandInGuards, StandInHeartbeats, StandInStack } from './stand-ins'

export const service = (over: Partial<SuperviseServiceOptions> = {}): SuperviseServiceOptions => ({
  name: 'scanner',
  desired: 1,
  autoHeal: true,
  healthSource: 'docker',
  intervalMs: 500,
  timeoutMs: 1000,
  backoffBaseMs: 1000,
  backoffMaxMs: 4000,
  maxFailedRestarts: 3,
  stopTimeoutS: 7,
  healthyGraceMs: 3000,
  heartbeatGraceMs: 2000,
  ...over,
})

export interface Harness {
  sup: Supervisor
  clock: FakeClock
  stack: StandInStack
  heartbeats: StandInHeartbeats
  guards: StandInGuards
  sinks: RecordingSinks
  changed: SuperviseStatusT[]
  statePath: string
  /** Another supervisor on the same state file, clock and stand-ins: "Stackdeck restarted". */
  restartStackdeck(): Promise<Supervisor>
  /**
   * For tests where work deliberately hangs until a fake timer fires (a check that times out):
   * after each timer, wait for the supervisor to go idle but at most `ms` of real time.
   */
  looseSettle(ms?: number): void
  /** Advance the fake clock, letting every check and restart the timers start finish. */
  advance(ms: number): Promise<void>
  /** Stops the live supervisor and removes the state directory. */
  cleanup(): Promise<void>
}

export async function createHarness(
  services: SuperviseServiceOptions[] = [service()],
  extra: Partial<SupervisorOptions> = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'sd-supervise-'))
  const statePath = join(dir, 'supervise-state.json')
  const clock = new FakeClock('2025-01-06T03:00:00Z')
  const stack = new StandInStack(clock)
  const heartbeats = new StandInHeartbeats()
  const guards = new StandInGuards()
  const sinks = new RecordingSinks()
  const hub = new EventHub<{ 'supervise.changed': SuperviseStatusT }>()
  const changed: SuperviseStatusT[] = []
  hub.on('supervise.changed', (s) => changed.push(s))
  const clocks: KillableClock[] = []
  let latest: Supervisor | null = null
  const make = () => {
    // The previous supervisor "dies": none of its timers (loop, backoff, restart budget) ever fires again.
    for (const c of clocks) c.kill()
    const own = new KillableClock(clock)
    clocks.push(own)
    const sup = new Supervisor({
      services,
      stack,
      heartbeats,
      guards,
      sinks,
      events: hub,
      clock: own,
      statePath,
      actionTimeoutMs: 5000,
      random: () => 0,
      log: () => undefined,
      ...extra,
    })
    latest = sup
    // Settle on the newest supervisor only: a dead one's hung promises must not block time.
    clock.settle = () => sup.idle()
    return sup
  }
  const sup = make()
  return {
    sup,
    clock,
    stack,
    heartbeats,
    guards,
    sinks,
    changed,
    statePath,
    async restartStackdeck() {
      const next = make()
      await next.start()
      return next
    },
    looseSettle(ms = 100) {
      const current = clock.settle
      clock.settle = () => Promise.race([current(), new Promise<void>((r) => setTimeout(r, ms))])
    },
    advance: (ms) => clock.advance(ms),
    async cleanup() {
      // Only the live supervisor: a "dead" one may hold a call that never returns.
      await latest?.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** A view of the shared fake clock that can be killed, to simulate a process that died. */
class KillableClock implements Clock {
  private dead = false
  private readonly handles = new Set<TimerHandle>()
  constructor(private readonly base: FakeClock) {}
  now(): Date {
    return this.base.now()
  }
  setTimer(fn: () => void, ms: number): TimerHandle {
    if (this.dead) return -1
    const h = this.base.setTimer(() => {
      this.handles.delete(h)
      if (!this.dead) fn()
    }, ms)
    this.handles.add(h)
    return h
  }
  clearTimer(handle: TimerHandle): void {
    this.handles.delete(handle)
    this.base.clearTimer(handle)
  }
  kill(): void {
    this.dead = true
    for (const h of this.handles) this.base.clearTimer(h)
    this.handles.clear()
  }
}
