/**
 * The value lists the stack contract is built from. They live in the contract (which imports no
 * domain code); electron/core/stack imports them from here.
 */
export const CONTAINER_STATES = [
  'running',
  'paused',
  'restarting',
  'exited',
  'dead',
  'created',
  'removing',
] as const

export const CONTAINER_HEALTHS = ['healthy', 'unhealthy', 'starting', 'none'] as const

/** Per-container outcome of a stack action. */
export const OUTCOMES = ['ok', 'already', 'skipped', 'gone', 'failed', 'timeout'] as const

/**
 * Signals Stackdeck will send. STOP/CONT/TSTP are left out on purpose: they would fight with the
 * freezer-based pause and make the shown state a lie.
 */
export const ALLOWED_SIGNALS = [
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGTERM',
  'SIGKILL',
  'SIGWINCH',
  'SIGALRM',
  'SIGPWR',
] as const
