import { CoreError } from '../errors'
import type { SupervisedContainer } from './ports'
import { errText } from './runtime'

/** Same reference rules as the stack module's targets: full id, unique id prefix of 4+ chars, or name. */
export function matchesContainer(c: Pick<SupervisedContainer, 'id' | 'name'>, ref: string): boolean {
  const name = ref.startsWith('/') ? ref.slice(1) : ref
  if (c.id === ref || c.name === name || c.name === `/${name}`) return true
  return ref.length >= 4 && /^[0-9a-f]+$/i.test(ref) && c.id.toLowerCase().startsWith(ref.toLowerCase())
}

/**
 * The containers a manual restart acts on: every container of `service`, or the one container named
 * (searched in `service`, else in every supervised service, in settings order).
 */
export async function pickTargets<S extends { name: string }>(
  scope: readonly S[],
  target: { service?: string; container?: string },
  list: (scope: S) => Promise<SupervisedContainer[]>,
): Promise<Array<{ scope: S; c: SupervisedContainer }>> {
  const unreachable: string[] = []
  const lists = await Promise.all(
    scope.map(async (s) => {
      try {
        return { s, list: await list(s) }
      } catch (err) {
        if (target.service !== undefined) throw new CoreError('unavailable', `cannot list ${s.name}: ${errText(err)}`, { cause: err })
        unreachable.push(s.name)
        return { s, list: [] }
      }
    }),
  )
  const picks: Array<{ scope: S; c: SupervisedContainer }> = []
  const ids = new Set<string>()
  for (const { s, list } of lists) {
    for (const c of list) {
      if (target.container !== undefined && !matchesContainer(c, target.container)) continue
      // A container matching several services is restarted once, under the first.
      if (ids.has(c.id)) continue
      ids.add(c.id)
      picks.push({ scope: s, c })
    }
  }
  if (target.container === undefined) return picks
  if (picks.length === 0) {
    const tail = unreachable.length > 0 ? `; could not list ${unreachable.join(', ')}` : ''
    throw new CoreError(unreachable.length > 0 ? 'unavailable' : 'not_found', `no supervised container ${JSON.stringify(target.container)}${tail}`, {
      path: '/container',
    })
  }
  if (picks.length > 1) {
    throw new CoreError('invalid_input', `${JSON.stringify(target.container)} matches ${picks.map((p) => p.c.name).join(', ')}`, { path: '/container' })
  }
  return picks
}
