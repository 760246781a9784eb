/** Exit codes of the `stackdeck` CLI; documented in electron/cli/README.md. Scripts rely on them. */
export const EXIT = {
  ok: 0,
  /** The operation ran and failed, or the host answered with an error (also: a run command `--wait-ack` saw refused or expired). */
  failed: 1,
  /** Bad command line: unknown command or option, missing argument, unconfirmed destructive act. */
  usage: 2,
  /** No answer from the host: connection refused, DNS failure, timeout. */
  unreachable: 3,
  /** Token missing, wrong, or lacking the scope. */
  denied: 4,
  /** Partly done or not confirmed (some containers failed, a reload not proved, health degraded with --strict, a run command not acknowledged within --wait-ack). */
  partial: 5,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

export interface WireError {
  code: string
  message: string
  path?: string
  details?: Array<{ path?: string; message: string; line?: number; column?: number }>
}

/** A failure that ends the command with a given exit code and one message for the user. */
export class CliError extends Error {
  readonly exit: ExitCode
  readonly error: WireError
  constructor(exit: ExitCode, message: string, error?: WireError) {
    super(message)
    this.name = 'CliError'
    this.exit = exit
    this.error = error ?? {
      code: exit === EXIT.usage ? 'usage' : exit === EXIT.unreachable ? 'unreachable' : 'failed',
      message,
    }
  }
}

export const usageError = (message: string) => new CliError(EXIT.usage, message)
