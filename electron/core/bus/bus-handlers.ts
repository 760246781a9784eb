import type { HandlersFor } from '../api/define'
import type { busOperations } from '../api/contract/bus'
import type { BusClient } from './bus-client'

type Ops = typeof busOperations
export type BusHandlers = HandlersFor<Ops>

/** Contract handlers over a BusClient. Inputs were validated against the contract by the dispatcher. */
export function createBusHandlers(bus: BusClient): BusHandlers {
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
    'bus.regime': async () => bus.regimeView(),
    'bus.killswitch.get': async () => bus.killswitch.view(),
    'bus.killswitch.engage': async (input, ctx) =>
      bus.killswitch.engage({ reason: input.reason.trim(), who: ctx.who, door: ctx.door }),
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
