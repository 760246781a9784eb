import type { workflowOperations } from '../api/contract/workflow'
import type { HandlersFor } from '../api/define'
import type { SaveAndRestart } from './save-and-restart'
import type { RunHistory } from './run-history'

export function createWorkflowHandlers(
  wf: SaveAndRestart,
  history: RunHistory,
): HandlersFor<typeof workflowOperations> {
  return {
    'workflow.saveAndRestart': (input, ctx) => wf.run(input, ctx),
    'workflow.status': async () => ({ running: wf.running, recovery: wf.recovery.pending, last: history.last }),
    'workflow.history': async (input) => ({ runs: history.list(input.limit ?? 20) }),
    'workflow.recover': (input, ctx) => wf.recovery.resolve(input.action, ctx),
  }
}
