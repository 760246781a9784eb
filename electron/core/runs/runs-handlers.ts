import type { CallContext } from '@core/api/call-context'
import type { HandlersFor } from '@core/api/define'
import type { runsOperations } from '@core/api/contract/runs'
import { CoreError } from '@core/errors'
import type { RunRegistry } from './run-registry'

/**
 * An agent token acts for its own agent's runs only. The door lets it reach the agent operations
 * alone; this is the second half, which needs the run.
 */
function ownRun(runs: RunRegistry, id: string, ctx: CallContext): void {
  if (ctx.agent === undefined) return
  const owner = runs.agentOf(id)
  if (owner !== ctx.agent) throw new CoreError('forbidden', `Run ${id} belongs to agent ${owner}; this token acts for ${ctx.agent} only`, { path: '/id' })
}

export function createRunsHandlers(runs: RunRegistry): HandlersFor<typeof runsOperations> {
  return {
    'runs.create': (input, ctx) => runs.create(input, ctx),
    'runs.get': async (input) => runs.get(input.id),
    'runs.list': async (input) => ({ runs: runs.list(input) }),
    'runs.heartbeat': async (input, ctx) => {
      ownRun(runs, input.id, ctx)
      return runs.heartbeat(input, ctx)
    },
    'runs.transition': async (input, ctx) => ({ run: await runs.setState(input.id, input.to, input.reason, ctx) }),
    'runs.commands.create': (input, ctx) => runs.queueCommand(input, ctx),
    'runs.commands.next': async (input, ctx) => {
      ownRun(runs, input.id, ctx)
      return { command: await runs.nextCommand(input.id, input.wait ?? 0, ctx, ctx.signal) }
    },
    'runs.commands.ack': async (input, ctx) => {
      ownRun(runs, input.id, ctx)
      return runs.ack(input, ctx)
    },
  }
}
