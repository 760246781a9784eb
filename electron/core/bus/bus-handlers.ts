import type { EventMap } from '../api/contract'
import type { HandlersFor, ResultOf } from '../api/define'
import type { busOperations } from '../api/contract/bus'
import { agentHealth } from './agent-health'
import type { BusClient } from './bus-client'

type Ops = typeof busOperations
export type BusHandlers = HandlersFor<Ops>
type Alert = EventMap['app.alert']

/**
 * The alert for an engage that could not be stored in Redis: the trader must not read "engaged" as
 * "every agent was told". It says what Stackdeck did without Redis and that it keeps retrying the write.
 */
export function unstoredKillswitchAlert(r: ResultOf<Ops['bus.killswitch.engage']>, at = new Date()): Alert | null {
  if (r.actions.store.status !== 'failed') return null
  return {
    id: `killswitch-unstored-${r.state.version}`,
    level: 'critical',
    title: 'Killswitch engaged, but NOT stored in Redis',
    message: `Redis is unreachable (${r.actions.store.error ?? 'unknown error'}). Stackdeck did what it could without Redis (${r.actions.stackPause.status === 'ok' ? 'the stack is paused' : 'execution agents it could reach at Docker level'}) and writes the killswitch to Redis as soon as it returns. Agents that only listen on Redis have NOT been told.`,
    at: at.toISOString(),
    sticky: true,
  }
}

/** Contract handlers over a BusClient. Inputs were validated against the contract by the dispatcher. */
export function createBusHandlers(bus: BusClient, sinks: { alert?: (a: Alert) => void } = {}): BusHandlers {
  return {
    'bus.status': async () => bus.status(),
    'bus.agents': async () => bus.agents(),
    'bus.events': async (input) => {
      const q: Parameters<BusClient['events']>[0] = {}
      if (input.since !== undefined) q.since = input.since
      if (input.limit !== undefined) q.limit = input.limit
      if (input.type !== undefined) q.type = input.type
      if (input.source !== undefined) q.source = input.source
      return bus.events(q)
    },
    // Live registry only; the composition root adds the agents the history store remembers.
    'agents.health': async () => agentHealth(bus.agents(), null),
    'bus.regime': async () => bus.regimeView(),
    'bus.killswitch.get': async () => bus.killswitch.view(),
    'bus.killswitch.engage': async (input, ctx) => {
      const r = await bus.killswitch.engage({ reason: input.reason.trim(), who: ctx.who, door: ctx.door })
      const alert = unstoredKillswitchAlert(r)
      if (alert) sinks.alert?.(alert)
      return r
    },
    'bus.killswitch.release': async (input, ctx) =>
      bus.killswitch.release({ reason: input.reason.trim(), who: ctx.who, door: ctx.door }),
    'bus.command': async (input, ctx) =>
      bus.commands.send({
        agentId: input.agentId,
        type: input.type,
        who: ctx.who,
        wait: input.wait ?? true,
        ...(input.params !== undefined && { params: input.params }),
      }),
    'bus.commands': async (input) => ({
      commands: bus.commands.list({
        limit: input.limit ?? 50,
        ...(input.agentId !== undefined && { agentId: input.agentId }),
      }),
    }),
  }
}
