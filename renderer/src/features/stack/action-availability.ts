/**
 * Which of Pause and Resume make sense for a set of containers, and why not: a Resume button that
 * is enabled over a running stack invites a click that does nothing, and a trader reading the bar
 * in a hurry takes an enabled button for "this is the thing to do". null = available.
 */
export interface ActionAvailability {
  pause: string | null
  resume: string | null
}

export function pauseResumeAvailability(containers: ReadonlyArray<{ state: string }>): ActionAvailability {
  const running = containers.filter((c) => c.state === 'running').length
  const paused = containers.filter((c) => c.state === 'paused').length
  return {
    pause: running > 0 ? null : containers.length === 0 ? 'no containers' : 'nothing is running',
    resume: paused > 0 ? null : containers.length === 0 ? 'no containers' : 'nothing is paused',
  }
}
