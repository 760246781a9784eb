import { ALLOWED_SIGNALS } from '../api/contract/stack-values'

export { ALLOWED_SIGNALS }
import { CoreError } from '../errors'

export type AllowedSignal = (typeof ALLOWED_SIGNALS)[number]

const allowed = new Set<string>(ALLOWED_SIGNALS)

/** Accepts `SIGHUP`, `HUP` or `hup`; returns the canonical `SIGHUP` form or throws invalid_input. */
export function normalizeSignal(sig: string, path = '/signal'): AllowedSignal {
  const up = sig.trim().toUpperCase()
  const full = up.startsWith('SIG') ? up : `SIG${up}`
  if (!allowed.has(full)) {
    throw new CoreError(
      'invalid_input',
      `signal ${JSON.stringify(sig)} is not allowed (one of ${ALLOWED_SIGNALS.join(', ')})`,
      {
        path,
      },
    )
  }
  return full as AllowedSignal
}
