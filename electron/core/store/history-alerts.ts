import type { HistoryServiceStatus } from './history-service'

export interface HistoryAlert {
  id: string
  level: 'info' | 'warning' | 'critical'
  title: string
  message: string
  sticky: boolean
}

/** One alert id, so the recovery notice replaces the outage warning instead of piling up beside it. */
export const HISTORY_ALERT_ID = 'history-store'

const down = (s: HistoryServiceStatus['state']) => s === 'paused' || s === 'unavailable'

/**
 * The app alert for a change of the history store's state, or null: the header's "history: paused"
 * is easy to miss, and a trader relying on history must learn that it has a hole in it. It fires on
 * the edges only (writing → paused, opening → unavailable, and back), not on every status tick.
 */
export function historyAlertFor(
  prev: HistoryServiceStatus['state'] | null,
  st: HistoryServiceStatus,
): HistoryAlert | null {
  if (down(st.state) && (prev === null || !down(prev))) {
    const what = st.state === 'paused' ? 'History is not being written' : 'History cannot be opened'
    return {
      id: HISTORY_ALERT_ID,
      level: 'warning',
      title: `${what} (${st.engine})`,
      message: `${st.reason ?? 'unknown reason'}. The live view and every control keep working; events are buffered (bounded) and written when the database answers again. What had to be dropped is counted in history status.`,
      sticky: true,
    }
  }
  if (st.state === 'writing' && prev !== null && down(prev)) {
    const lost = st.dropped.evicted + st.dropped.overflow
    return {
      id: HISTORY_ALERT_ID,
      level: lost > 0 ? 'warning' : 'info',
      title: `History is being written again (${st.engine})`,
      message:
        lost > 0
          ? `${lost.toLocaleString('en-US')} events could not be stored (${st.dropped.overflow} over the buffer, ${st.dropped.evicted} gone from the ring): the history has a gap there.`
          : 'Everything buffered during the outage was stored; nothing was dropped.',
      sticky: lost > 0,
    }
  }
  return null
}
