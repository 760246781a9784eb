import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { FrozenRef } from '../bus/killswitch'
import { WindowPauser, type WindowPauseDeps } from './window-pause'

const ref = (id: string): FrozenRef => ({ id, name: `ctr-${id}`, service: 'svc', endpoint: 'local' })

/** A stack of containers with states; pause/resume behave as Docker does (already paused → 'already'). */
function setup(states: Record<string, 'running' | 'paused'>) {
  const st = new Map(Object.entries(states))
  const notes: string[] = []
  const resumedCalls: string[][] = []
  let blocked: string | null = null
  const statePath = join(mkdtempSync(join(tmpdir(), 'wp-')), 'schedule-paused.json')
  const deps: WindowPauseDeps = {
    pause: async () => {
      const paused: FrozenRef[] = []
      const alreadyPaused: FrozenRef[] = []
      for (const [id, s] of st) {
        if (s === 'paused') {
          alreadyPaused.push(ref(id))
        } else {
          st.set(id, 'paused')
          paused.push(ref(id))
        }
      }
      return { paused, alreadyPaused }
    },
    resume: async (refs) => {
      resumedCalls.push(refs.map((r) => r.id))
      const resumed = refs.filter((r) => st.get(r.id) === 'paused')
      for (const r of resumed) st.set(r.id, 'running')
      return { resumed, notPaused: refs.filter((r) => !resumed.includes(r)), failed: [] }
    },
    blockedReason: () => blocked,
    notify: (n) => notes.push(`${n.title}: ${n.message}`),
    statePath,
  }
  return { st, notes, resumedCalls, deps, block: (why: string | null) => (blocked = why) }
}

describe('WindowPauser (schedule.pauseOutsideWindow)', () => {
  it('the open resumes only what the close paused; a container paused by hand stays paused', async () => {
    const t = setup({ a: 'running', b: 'running', held: 'paused' })
    await new WindowPauser(t.deps).closed('trading window closed')
    expect([...t.st.values()]).toEqual(['paused', 'paused', 'paused'])
    // A new instance: the record on disk survives a restart of Stackdeck.
    const r = await new WindowPauser(t.deps).opened('trading window opened')
    expect(t.resumedCalls).toEqual([['a', 'b']])
    expect(r?.resumed.map((x) => x.id)).toEqual(['a', 'b'])
    expect(t.st.get('held')).toBe('paused')
    expect(t.notes.join(' | ')).toContain('Left paused, as someone else paused them: ctr-held')
    expect(await new WindowPauser(t.deps).pending()).toEqual({ frozen: [], leftAlone: [] })
  })

  it('never resumes while the killswitch is engaged, and says what stays paused', async () => {
    const t = setup({ a: 'running' })
    const wp = new WindowPauser(t.deps)
    await wp.closed('closed')
    t.block('the killswitch is engaged')
    expect(await wp.opened('opened')).toBeNull()
    expect(t.resumedCalls).toEqual([])
    expect(t.st.get('a')).toBe('paused')
    expect(t.notes.join(' ')).toContain('Not resumed because the killswitch is engaged: ctr-a')
    expect((await wp.pending()).frozen.map((r) => r.id)).toEqual(['a'])
  })

  it('an open with no record (never closed, or the file is gone) unpauses nothing', async () => {
    const t = setup({ held: 'paused' })
    expect(await new WindowPauser(t.deps).opened('opened')).toBeNull()
    expect(t.resumedCalls).toEqual([])
  })
})
