/**
 * What a Save & Restart will do before it runs (hot or paused, and for about how long), and how a
 * finished run's freeze reads. Pure, so the hint is unit-tested; it mirrors the core's plan
 * (electron/core/workflow/apply-plan.ts), which has the last word when the run starts.
 */
import type { RunReport } from './use-workflow'

/** How many of the latest paused runs the estimate looks at. */
export const ESTIMATE_RUNS = 5

/** A run that froze the stack. Reports older than `mode` count when they show a freeze. */
function pausedRun(r: RunReport): r is RunReport & { freezeWindowMs: number } {
  if (typeof r.freezeWindowMs !== 'number' || !Number.isFinite(r.freezeWindowMs)) return false
  if (r.mode === 'hot') return false
  return r.mode === 'paused' || r.freezeWindowMs > 0
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

/** Median freezeWindowMs of the last paused runs (history is newest first); null when there are none. */
export function freezeEstimate(history: readonly RunReport[], limit = ESTIMATE_RUNS): { ms: number | null; runs: number } {
  const xs = history.filter(pausedRun).slice(0, limit).map((r) => r.freezeWindowMs)
  const m = median(xs)
  return { ms: m === null ? null : Math.round(m), runs: xs.length }
}

export interface PlanHintInput {
  /** The changed fields with their x-apply (null: not known here; the host decides when the run starts). */
  changes: ReadonlyArray<{ apply: string }> | null
  /** The trader ticked "Pause the stack anyway". */
  forcePaused: boolean
  /** settings workflow.applyMode; null when the settings could not be read (the default, auto, is assumed). */
  applyMode: 'auto' | 'paused' | null
  /** Containers that bind-mount config.toml itself, and what the setting does with them. */
  singleFile: { count: number; setting: 'refuse' | 'write-in-place' } | null
  history: readonly RunReport[]
}

export interface PlanHint {
  /** auto: the changes are not known here, so the host decides (hot if every changed field is hot). */
  mode: 'hot' | 'paused' | 'refused' | 'auto'
  text: string
  /** Where the estimate comes from, for the tooltip. */
  basis: string
  /** "the stack will be paused for about 212 ms" (or for an unknown time). */
  pausedFor: string
  estimateMs: number | null
}

export function planHint(input: PlanHintInput): PlanHint {
  const est = freezeEstimate(input.history)
  const basis =
    est.ms === null ? 'no earlier paused run to go by' : `median freeze of the last ${est.runs} paused run${est.runs === 1 ? '' : 's'}`
  const pausedFor = est.ms === null ? 'the stack will be paused for an unknown time (no earlier paused run)' : `the stack will be paused for about ${est.ms} ms`
  const sf = input.singleFile
  if (sf && sf.count > 0 && sf.setting === 'refuse')
    return {
      mode: 'refused',
      text: `refused: ${sf.count} container${sf.count === 1 ? '' : 's'} bind-mount${sf.count === 1 ? 's' : ''} config.toml itself (see the warning above)`,
      basis,
      pausedFor,
      estimateMs: est.ms,
    }
  const inPlace = !!sf && sf.count > 0 && sf.setting === 'write-in-place'
  if (input.changes === null && !input.forcePaused && input.applyMode !== 'paused' && !inPlace)
    return { mode: 'auto', text: `hot if every changed field is x-apply hot, otherwise ${pausedFor}`, basis, pausedFor, estimateMs: est.ms }
  const changes = input.changes ?? []
  const allHot = changes.length > 0 && changes.every((c) => c.apply === 'hot')
  if (allHot && !input.forcePaused && input.applyMode !== 'paused' && !inPlace)
    return { mode: 'hot', text: 'hot: applied without pausing', basis: 'every changed field is x-apply hot', pausedFor, estimateMs: 0 }
  const why =
    input.changes !== null && !allHot
      ? 'restart'
      : input.forcePaused
        ? 'paused (you asked)'
        : input.applyMode === 'paused'
          ? 'paused (settings workflow.applyMode)'
          : 'paused (in-place write for single-file mounts)'
  return { mode: 'paused', text: `${why}: ${pausedFor}`, basis, pausedFor, estimateMs: est.ms }
}

const CLOCK: Record<'engine' | 'stackdeck', string> = { engine: 'engine events', stackdeck: 'Stackdeck’s clock' }

/** "frozen 212 ms (engine events)", "not paused", or "freeze unknown". */
export function freezeText(r: Pick<RunReport, 'freezeWindowMs' | 'mode' | 'freezeClock'>): string {
  if (r.mode === 'hot' || r.freezeClock === 'none') return 'not paused'
  if (r.freezeWindowMs === null) return 'freeze unknown'
  const clock = r.freezeClock ? ` (${CLOCK[r.freezeClock]})` : ''
  return `frozen ${Math.round(r.freezeWindowMs)} ms${clock}`
}
