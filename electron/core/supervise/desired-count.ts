import type { SupervisedContainer } from './ports'

const GONE_OR_DOWN = new Set(['exited', 'dead', 'removing'])

/**
 * Desired vs actual. Stackdeck heals containers that exist; it never creates one (that is compose's
 * or the deployer's job), so a shortfall of containers is reported, not fixed.
 */
export interface DesiredCount {
  desired: number
  /** Running now (paused not included). */
  running: number
  paused: number
  /** Containers in any state except 'removing'. */
  existing: number
  /** desired minus the containers that exist at all: these Stackdeck cannot bring back. */
  missing: number
}

export function countContainers(containers: readonly SupervisedContainer[], desired: number): DesiredCount {
  const running = containers.filter((c) => c.state === 'running').length
  const paused = containers.filter((c) => c.state === 'paused').length
  const existing = containers.filter((c) => c.state !== 'removing').length
  return { desired, running, paused, existing, missing: Math.max(0, desired - existing) }
}

/**
 * Which exited/dead containers to start: only as many as are needed to reach `desired` counting the
 * ones that are up (running, paused, restarting, created). Extra stopped containers (an old replica,
 * a finished one-shot) are left alone. Picked by name so the choice is stable from check to check.
 */
export function exitedToHeal(containers: readonly SupervisedContainer[], desired: number): Set<string> {
  const up = containers.filter((c) => !GONE_OR_DOWN.has(c.state)).length
  const need = Math.max(0, desired - up)
  const down = containers
    .filter((c) => c.state === 'exited' || c.state === 'dead')
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
  return new Set(down.slice(0, need).map((c) => c.id))
}

export function shortfallText(count: DesiredCount): string | null {
  if (count.running + count.paused >= count.desired) return null
  if (count.missing > 0) {
    return `${count.existing} of ${count.desired} desired containers exist; Stackdeck restarts containers but does not create them`
  }
  return `${count.running + count.paused} of ${count.desired} desired containers running`
}
