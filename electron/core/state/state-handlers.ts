import type { HandlersFor } from '../api/define'
import type { stateOperations } from '../api/contract/state'
import type { FlagState, TradingFlag } from '../schedule/trading-flag'
import type { SafetyModel } from './safety-model'

type Ops = typeof stateOperations
export type StateHandlers = HandlersFor<Ops>

export interface StateHandlerDeps {
  model: Pick<SafetyModel, 'current' | 'refresh'>
  /** Clears the killswitch latch in Redis; throws (CoreError) when it may not or cannot. */
  liftLatch(req: { reason: string; who: string }): Promise<unknown>
  /** null: no schedule (switched off or not configured); a resume then enables trading itself. */
  schedule(): { desired: boolean | null; next: { kind: string; at: string } | null; refresh(): Promise<void> } | null
  flag: Pick<TradingFlag, 'get' | 'set'>
}

export function createStateHandlers(deps: StateHandlerDeps): StateHandlers {
  return {
    'state.get': async () => deps.model.current(),

    // Audited by the handler wrapper (`audit: true` in the contract): who, door, reason and the outcome.
    'trading.resume': async (input, ctx) => {
      await deps.liftLatch({ reason: input.reason, who: ctx.who })
      const sch = deps.schedule()
      let written: FlagState | null
      let outcome: string
      if (sch && sch.desired !== null) {
        // From here on trading follows the schedule: the scheduler writes what the window says.
        await sch.refresh()
        written = await deps.flag.get()
        outcome = written?.value
          ? 'Trading resumed: enabled by the schedule.'
          : `Latch lifted. Trading stays disabled because the schedule says so${sch.next ? `; the next ${sch.next.kind} is at ${sch.next.at}` : ''}.`
      } else {
        written = await deps.flag.set(true, { who: ctx.who, why: `resumed: ${input.reason}`, source: 'manual' })
        outcome = 'Trading resumed: enabled (no schedule is configured, so it stays on until someone turns it off).'
      }
      return { state: deps.model.refresh(), outcome, tradingEnabled: written?.value ?? null }
    },
  }
}
