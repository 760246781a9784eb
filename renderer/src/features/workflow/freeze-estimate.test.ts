import { describe, expect, it } from 'vitest'
import { freezeEstimate, freezeText, median, planHint, type PlanHintInput } from './freeze-estimate'
import type { RunReport } from './use-workflow'

let n = 0
function run(p: Partial<RunReport>): RunReport {
  n += 1
  const t = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString()
  return {
    runId: `run-${n}`,
    who: 'trader',
    door: 'ws',
    startedAt: t,
    endedAt: t,
    totalMs: 900,
    outcome: 'applied',
    message: 'ok',
    steps: [],
    diff: { summary: '1 change', changes: [] },
    backup: null,
    newHash: null,
    freezeWindowMs: null,
    reload: { proved: [], notProved: [], unverifiable: [] },
    leftPaused: [],
    pausedBefore: [],
    ...p,
  }
}

const base = (p: Partial<PlanHintInput> = {}): PlanHintInput => ({
  changes: [{ apply: 'hot' }],
  forcePaused: false,
  applyMode: 'auto',
  singleFile: { count: 0, setting: 'refuse' },
  history: [],
  ...p,
})

describe('freeze estimate', () => {
  it('median of odd and even counts, null for none', () => {
    expect(median([])).toBeNull()
    expect(median([3, 1, 2])).toBe(2)
    expect(median([10, 40, 20, 30])).toBe(25)
  })

  it('takes the last five paused runs only, skipping hot runs and runs without a freeze', () => {
    const history = [
      run({ mode: 'hot', freezeWindowMs: 0 }),
      run({ mode: 'paused', freezeWindowMs: 200 }),
      run({ mode: 'paused', freezeWindowMs: null }),
      run({ mode: 'paused', freezeWindowMs: 220 }),
      run({ freezeWindowMs: 260 }), // an older report without `mode`: its freeze counts
      run({ freezeWindowMs: 0 }), // nothing paused (validation failed)
      run({ mode: 'paused', freezeWindowMs: 180 }),
      run({ mode: 'paused', freezeWindowMs: 240 }),
      run({ mode: 'paused', freezeWindowMs: 5000 }), // sixth paused run: beyond the window
    ]
    expect(freezeEstimate(history)).toEqual({ ms: 220, runs: 5 })
    expect(freezeEstimate([run({ mode: 'hot', freezeWindowMs: 0 })])).toEqual({ ms: null, runs: 0 })
  })
})

describe('plan hint', () => {
  const history = [run({ mode: 'paused', freezeWindowMs: 211.6 })]

  it('every changed field hot: hot, without pausing', () => {
    expect(planHint(base({ history }))).toMatchObject({ mode: 'hot', text: 'hot: applied without pausing', estimateMs: 0 })
  })

  it('a restart field: paused for about the median freeze, or unknown without history', () => {
    const changes = [{ apply: 'hot' }, { apply: 'restart' }]
    expect(planHint(base({ changes, history }))).toMatchObject({ mode: 'paused', text: 'restart: the stack will be paused for about 212 ms', estimateMs: 212 })
    const none = planHint(base({ changes }))
    expect(none.mode).toBe('paused')
    expect(none.text).toMatch(/unknown/)
    expect(none.estimateMs).toBeNull()
  })

  it('an unknown apply mode or no changes: paused; changes not known here: the host decides', () => {
    expect(planHint(base({ changes: [{ apply: 'unknown' }] })).mode).toBe('paused')
    expect(planHint(base({ changes: [] })).mode).toBe('paused')
    expect(planHint(base({ changes: null, history }))).toMatchObject({ mode: 'auto', text: 'hot if every changed field is x-apply hot, otherwise the stack will be paused for about 212 ms' })
    expect(planHint(base({ changes: null, forcePaused: true })).text).toMatch(/^paused \(you asked\)/)
  })

  it('forced, the setting, or an in-place write pause even an all-hot change, and say why', () => {
    expect(planHint(base({ forcePaused: true, history })).text).toBe('paused (you asked): the stack will be paused for about 212 ms')
    expect(planHint(base({ applyMode: 'paused' })).text).toMatch(/^paused \(settings workflow\.applyMode\)/)
    expect(planHint(base({ singleFile: { count: 1, setting: 'write-in-place' } })).text).toMatch(/^paused \(in-place write/)
    expect(planHint(base({ applyMode: null })).mode).toBe('hot')
  })

  it('a single-file mount with the refuse setting: refused', () => {
    expect(planHint(base({ singleFile: { count: 2, setting: 'refuse' } }))).toMatchObject({ mode: 'refused', text: expect.stringMatching(/2 containers bind-mount/) as unknown })
  })
})

describe('freeze text', () => {
  it('names the clock, or says nothing was paused', () => {
    expect(freezeText({ mode: 'paused', freezeWindowMs: 212.4, freezeClock: 'engine' })).toBe('frozen 212 ms (engine events)')
    expect(freezeText({ mode: 'paused', freezeWindowMs: 250, freezeClock: 'stackdeck' })).toBe('frozen 250 ms (Stackdeck’s clock)')
    expect(freezeText({ mode: 'hot', freezeWindowMs: 0, freezeClock: 'none' })).toBe('not paused')
    expect(freezeText({ freezeWindowMs: 120 })).toBe('frozen 120 ms')
    expect(freezeText({ mode: 'paused', freezeWindowMs: null })).toBe('freeze unknown')
  })
})
