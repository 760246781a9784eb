import type { OpResult } from '@contract'
import { plural } from '../../lib/format'

type ActionResult = OpResult<'stack.pause'>
export type ActionTarget = { service?: string; container?: string }

/**
 * What a toast says the action was done to: with two services paused a minute apart, "Paused 2
 * containers" does not tell the trader which. A container target is named by its name as the
 * engine reported it (the id only if the answer lacks it).
 */
export function actionTargetText(t: ActionTarget, r: Pick<ActionResult, 'containers'>): string {
  if (t.container) return `container ${r.containers.find((c) => c.id === t.container)?.name ?? t.container.slice(0, 12)}`
  if (t.service) return `service ${t.service}`
  return 'the whole stack'
}

/** "Paused service scanner: 2 containers in 41 ms: 2 ok". */
export function summarizeAction(verb: string, t: ActionTarget, r: Pick<ActionResult, 'containers' | 'totals' | 'ms'>): string {
  const n = r.totals
  const parts = (['ok', 'already', 'skipped', 'gone', 'failed', 'timeout'] as const).filter((k) => n[k] > 0).map((k) => `${n[k]} ${k}`)
  const what = n.all === 0 ? 'no containers' : plural(n.all, 'container')
  return `${verb} ${actionTargetText(t, r)}: ${what} in ${Math.round(r.ms)} ms: ${parts.join(', ') || 'nothing to do'}`
}
