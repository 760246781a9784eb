import type { HandlersFor } from '../api/define'
import type { superviseOperations } from '../api/contract/supervise'
import type { Supervisor } from './supervisor'

type Ops = typeof superviseOperations
export type SuperviseHandlers = HandlersFor<Ops>

/** Contract handlers over a Supervisor. */
export function createSuperviseHandlers(supervisor: Supervisor): SuperviseHandlers {
  return {
    'supervise.status': async () => supervisor.status(),
    'supervise.reset': async (input, ctx) => supervisor.reset(input.service, ctx),
    'supervise.restart': async (input, ctx) => supervisor.restart(input, ctx),
  }
}
