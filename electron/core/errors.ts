/**
 * Typed errors thrown inside the core. The contract boundary (dispatcher) turns them into
 * `{ code, message, path? }` values; anything that is not a CoreError becomes `internal`
 * so stack traces never leak to a client.
 */
export const ERROR_CODES = [
  'invalid_input',
  'not_found',
  'conflict',
  'busy',
  'unauthorized',
  'forbidden',
  'rate_limited',
  'unavailable',
  'timeout',
  'parse_error',
  'schema_error',
  'io_error',
  'partial_failure',
  'internal',
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

export interface ErrorDetail {
  /** JSON pointer (`/risk/max_position`) or `file:line:col` locating the fault. */
  path?: string
  message: string
  line?: number
  column?: number
}

export class CoreError extends Error {
  readonly code: ErrorCode
  readonly path?: string
  readonly details?: ErrorDetail[]

  constructor(code: ErrorCode, message: string, opts: { path?: string; details?: ErrorDetail[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'CoreError'
    this.code = code
    if (opts.path !== undefined) this.path = opts.path
    if (opts.details !== undefined) this.details = opts.details
  }
}

export const isCoreError = (e: unknown): e is CoreError => e instanceof CoreError
