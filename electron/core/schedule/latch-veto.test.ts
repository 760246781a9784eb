import { describe, expect, it } from 'vitest'
import { killswitchLatchVeto, type KillswitchLatch } from './latch-veto'

const RELEASED = '2026-03-02T12:00:00.000Z'
function latch(o: Partial<{ known: boolean; engaged: boolean; latched: boolean }>) {
  const resumed: string[] = []
  const ks = {
    known: o.known ?? true,
    engaged: o.engaged ?? false,
    latched: o.latched ?? false,
    view: () => ({ at: RELEASED }),
    resume: async (req: { reason: string; who: string }) => {
      resumed.push(req.who)
      return {}
    },
  } as unknown as KillswitchLatch
  return { ks, resumed }
}
const windowAt = (iso: string) => ({ enabled: true, windowStart: new Date(iso) })

describe('killswitchLatchVeto', () => {
  it('vetoes while the killswitch is unknown or engaged, and allows when there is no latch', async () => {
    const recorded: string[] = []
    for (const [o, want] of [
      [{ known: false }, /not known yet/],
      [{ engaged: true }, /is engaged/],
    ] as const) {
      const veto = killswitchLatchVeto({ killswitch: () => latch(o).ks, resumeMode: 'next-start', recordResume: async (r) => void recorded.push(r) })
      expect(await veto(windowAt('2026-03-03T14:30:00Z'))).toMatch(want)
    }
    expect(await killswitchLatchVeto({ killswitch: () => latch({}).ks, resumeMode: 'manual', recordResume: async () => undefined })(null)).toBeNull()
    expect(recorded).toEqual([])
  })

  it('a latch holds under manual; next-start lifts it only for a window that starts after the release, and records who', async () => {
    const manual = latch({ latched: true })
    expect(await killswitchLatchVeto({ killswitch: () => manual.ks, resumeMode: 'manual', recordResume: async () => undefined })(windowAt('2026-03-03T14:30:00Z'))).toMatch(/Resume trading/)
    expect(manual.resumed).toEqual([])

    const recorded: string[] = []
    const next = latch({ latched: true })
    const veto = killswitchLatchVeto({ killswitch: () => next.ks, resumeMode: 'next-start', recordResume: async (r) => void recorded.push(r) })
    expect(await veto(windowAt('2026-03-02T11:00:00Z'))).toMatch(/Resume trading/)
    expect(next.resumed).toEqual([])
    expect(await veto(windowAt('2026-03-03T14:30:00Z'))).toBeNull()
    expect(next.resumed).toEqual(['schedule'])
    expect(recorded).toEqual(['scheduled start after a killswitch release (schedule.resumeAfterKillswitch = next-start)'])
  })
})
