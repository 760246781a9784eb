import { StateBadge } from './StateBadge'
import { useStackFeed, useStackStore } from '../features/stack/use-stack'

/** Running/paused at a glance, from the same live feed the Stack tab uses. */
export function StackChip() {
  useStackFeed()
  const snapshot = useStackStore((s) => s.snapshot)
  if (!snapshot) return null
  const all = snapshot.services.flatMap((s) => s.containers)
  const paused = all.filter((c) => c.state === 'paused').length
  const running = all.filter((c) => c.state === 'running').length
  const unreachable = snapshot.endpoints.filter((e) => !e.reachable).length
  const state = unreachable ? 'unreachable' : paused > 0 && running === 0 ? 'paused' : paused > 0 ? 'degraded' : 'running'
  const label = unreachable
    ? `${unreachable} engine(s) unreachable`
    : paused > 0
      ? `stack: ${paused} paused / ${running} running`
      : `stack: ${running} running`
  return (
    <span data-testid="stack-chip" data-state={state}>
      <StateBadge state={state} label={label} />
    </span>
  )
}
