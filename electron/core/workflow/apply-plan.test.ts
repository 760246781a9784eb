import { describe, expect, it } from 'vitest'
import { planApply, type PlanInput } from './apply-plan'
import type { ContainerSight } from './ports'

const sight = (name: string, kind: ContainerSight['kind']): ContainerSight => ({
  id: name, name, endpoint: 'local', kind, containerPath: '/config/config.toml', reason: null, seen: null, seenError: null,
  refusal: kind === 'file' ? { summary: `${name} mounts the file`, text: `${name}: mount the directory`, fix: { replace: '- a:b', with: '- c:d:ro' } } : null,
})
const hot = [{ pointer: '/risk/max_position', apply: 'hot' }]
const restart = [{ pointer: '/scanner/workers', apply: 'restart' }]
const base = (over: Partial<PlanInput>): PlanInput => ({ changes: hot, requested: undefined, setting: 'auto', singleFileMounts: 'refuse', sights: [sight('a', 'directory')], ...over })

describe('which path a run takes', () => {
  it('auto: hot only when every change is hot', () => {
    expect(planApply(base({}))).toMatchObject({ ok: true, mode: 'hot', writeMode: 'atomic' })
    expect(planApply(base({ changes: [...hot, ...restart] }))).toMatchObject({ ok: true, mode: 'paused' })
    expect(planApply(base({ changes: [{ pointer: '/x', apply: 'unknown' }] }))).toMatchObject({ ok: true, mode: 'paused' })
    expect(planApply(base({ changes: [] }))).toMatchObject({ ok: true, mode: 'paused' })
  })
  it('the setting paused, or the run asking for it, always pauses', () => {
    expect(planApply(base({ setting: 'paused' }))).toMatchObject({ mode: 'paused' })
    expect(planApply(base({ requested: 'paused' }))).toMatchObject({ mode: 'paused' })
    expect(planApply(base({ setting: 'paused', requested: 'auto' }))).toMatchObject({ mode: 'hot' })
  })
  it('hot asked for a restart field is refused, naming it', () => {
    const p = planApply(base({ requested: 'hot', changes: restart }))
    expect(p.ok).toBe(false)
    if (!p.ok) expect(p.message).toContain('/scanner/workers (restart)')
  })
  it('a single-file mount is refused with the fix, or written in place (and then never hot)', () => {
    const sights = [sight('a', 'directory'), sight('b', 'file')]
    const refused = planApply(base({ sights }))
    expect(refused.ok).toBe(false)
    if (!refused.ok) {
      expect(refused.message).toContain('replace "- a:b" with "- c:d:ro"')
      expect(refused.refusals).toEqual(['b: mount the directory'])
    }
    expect(planApply(base({ sights, singleFileMounts: 'write-in-place' }))).toMatchObject({ ok: true, mode: 'paused', writeMode: 'in-place' })
    expect(planApply(base({ sights, singleFileMounts: 'write-in-place', requested: 'hot' })).ok).toBe(false)
  })
  it('volumes, unmounted and unknown views do not refuse', () => {
    const sights = [sight('a', 'volume'), sight('b', 'none'), sight('c', 'unknown')]
    expect(planApply(base({ sights }))).toMatchObject({ ok: true, mode: 'hot' })
  })
})
