import type { Killswitch, ResumeMode } from '../bus/killswitch'

/** The killswitch as the schedule must read it before turning trading on. */
export type KillswitchLatch = Pick<Killswitch, 'known' | 'engaged' | 'latched' | 'view' | 'resume'>

export interface LatchVetoDeps {
  killswitch: () => KillswitchLatch
  /** settings.schedule.resumeAfterKillswitch */
  resumeMode: ResumeMode
  /** Records the schedule lifting the latch itself (next-start), as `trading.resume` by `schedule`. */
  recordResume: (reason: string) => Promise<void>
}

/**
 * Why the schedule may not turn trading on. Nothing re-enables trading as a side effect of a
 * release, a restart or a Redis reconnect: until the killswitch was read from Redis it is not
 * known, and a released switch stays latched until a deliberate resume. The one exception is the
 * documented `resumeAfterKillswitch = next-start`: a window that starts after the release lifts it.
 */
export function killswitchLatchVeto(deps: LatchVetoDeps) {
  return async (window: { enabled: boolean; windowStart?: Date } | null): Promise<string | null> => {
    const ks = deps.killswitch()
    if (!ks.known) return 'the killswitch state is not known yet (Redis unreachable or not read since reconnecting)'
    if (ks.engaged) return 'the killswitch is engaged'
    if (!ks.latched) return null
    const releasedAt = Date.parse(ks.view().at ?? '')
    if (deps.resumeMode === 'next-start' && window?.enabled && window.windowStart && window.windowStart.getTime() > releasedAt) {
      const reason = 'scheduled start after a killswitch release (schedule.resumeAfterKillswitch = next-start)'
      await ks.resume({ reason, who: 'schedule' })
      await deps.recordResume(reason).catch(() => undefined)
      return null
    }
    return 'the killswitch was released; trading stays disabled until someone runs Resume trading'
  }
}
