import type { HandlersFor } from '../api/define'
import type { historyOperations } from '../api/contract/history'
import { CoreError } from '../errors'
import type { HistoryService } from './history-service'

type Ops = typeof historyOperations
export type HistoryHandlers = HandlersFor<Ops>

const OFF_REASON = 'history is off (store.enabled = false in the settings)'

/** Contract handlers over the history service; `null` when store.enabled is false. */
export function createHistoryHandlers(history: HistoryService | null, engine: 'pglite' | 'postgres'): HistoryHandlers {
  const ready = () => {
    if (!history) throw new CoreError('unavailable', OFF_REASON)
    return history.ready()
  }
  return {
    'history.status': async () => {
      if (!history)
        return { enabled: false, engine, state: 'off', reason: OFF_REASON, since: null, written: 0, buffered: 0, dropped: { evicted: 0, overflow: 0 }, lagMs: 0, lastWriteAt: null, disk: { bytes: null, limit: 0, percent: null }, events: null, oldest: null, retentionDropped: 0 }
      return { enabled: true, ...history.status() }
    },
    'history.events': async (input) => ready().query(input),
    'history.counts': async (input) => ({ counts: await ready().countsPerMinute(input) }),
    'history.agent': async (input) => ({ transitions: await ready().agentTimeline(input.agent, input) }),
    'history.state': async (input) => ({ records: await ready().stateHistory(input) }),
  }
}
