import type { OperationName } from '../api/contract'

/**
 * Control actions recorded in the audit log by the handler wrapper, whichever door they came
 * through. The killswitch is absent on purpose: the bus records engage/release itself, with the
 * acknowledgements and the containers it paused, which the wrapper cannot see. So is
 * `supervise.restart`: the supervisor records it per container (intent before, outcome after, or
 * the refusal) with the caller's door; a wrapper record on top would count one restart twice.
 */
export const AUDITED_ACTIONS: readonly OperationName[] = [
  'stack.pause',
  'stack.resume',
  'stack.restart',
  'stack.signal',
  'config.save',
  'config.restore',
  'workflow.saveAndRestart',
  'workflow.recover',
  'schedule.override',
  'trading.resume',
  'bus.command',
  'supervise.reset',
]
