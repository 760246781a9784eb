import type { Handler } from '../api/contract'
import { CoreError } from '../errors'

/**
 * `api.rotateToken` belongs to the headless host (it owns the tokens), but the handler table, and
 * so the audit wrapper, is the core's. The core therefore holds a slot the host fills at start and
 * empties at close; the audited handler calls whatever is in it. With no host (the desktop window),
 * there is no token to rotate and the call says so.
 */
export interface TokenRotation {
  /** Installs the host's rotation; returns the uninstall. */
  install(rotate: Handler<'api.rotateToken'>): () => void
}

export function createTokenRotation(): TokenRotation & { handler: Handler<'api.rotateToken'> } {
  let current: Handler<'api.rotateToken'> | null = null
  return {
    install(rotate) {
      current = rotate
      return () => {
        if (current === rotate) current = null
      }
    },
    handler: (input, ctx) => {
      if (!current) throw new CoreError('unavailable', 'No headless host is running here: only the headless host has an admin token to rotate')
      return current(input, ctx)
    },
  }
}
