import type { HandlersFor } from '../api/define'
import type { busOperations } from '../api/contract/bus'
import type { AgentDirectory } from './agent-directory'

type Ops = typeof busOperations

/**
 * The bus operations that list agents or commands, or send a command, answered by the directory
 * over both transports instead of by the Redis side alone.
 */
export function createAgentDirectoryHandlers(dir: AgentDirectory): Pick<HandlersFor<Ops>, 'bus.agents' | 'bus.command' | 'bus.commands'> {
  return {
    'bus.agents': async () => dir.agents(),
    'bus.command': (input, ctx) => dir.send(input, ctx),
    'bus.commands': async (input) => ({ commands: dir.commands({ limit: input.limit ?? 50, agentId: input.agentId }) }),
  }
}
