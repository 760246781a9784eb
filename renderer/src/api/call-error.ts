import type { ContractError } from '@contract'

/** A contract error rebuilt on the client side, whichever door carried it. */
export class CallError extends Error implements ContractError {
  readonly code: ContractError['code']
  readonly path?: string
  readonly details?: ContractError['details']
  constructor(e: ContractError) {
    super(e.message)
    this.name = 'CallError'
    this.code = e.code
    if (e.path !== undefined) this.path = e.path
    if (e.details !== undefined) this.details = e.details
  }
}

export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))
