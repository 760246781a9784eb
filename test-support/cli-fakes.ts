/**
 * Stand-ins for the CLI's two outside parts, for unit tests of command handlers (pure logic):
 * a host client that answers from a table and records each call, and an Io that captures output.
 */
import type { HostClient } from '../electron/cli/client'
import type { Io } from '../electron/cli/commands'

/** Per operation: what the host answers (or throws) for an input. */
export type FakeAnswers = Partial<Record<string, (input: never) => unknown>>

/** A client whose `call` answers from `answers`, records `[op, input]` in `calls`, and fails on any other operation. */
export function fakeHostClient(answers: FakeAnswers, calls: Array<[string, unknown]>): HostClient {
  return {
    url: 'http://test',
    call: async (op: string, input: unknown) => {
      calls.push([op, input])
      const fn = answers[op]
      if (!fn) throw new Error(`unexpected ${op}`)
      return fn(input as never)
    },
  } as unknown as HostClient
}

export interface CapturedOutput {
  out: string
  err: string
}

/** A non-interactive Io writing each line (newline added when missing) into `c`. */
export function fakeIo(c: CapturedOutput): Io {
  const line = (t: string) => (t.endsWith('\n') ? t : `${t}\n`)
  return {
    out: (t) => (c.out += line(t)),
    err: (t) => (c.err += line(t)),
    interactive: false,
    readStdin: async () => '',
    confirm: async () => false,
    onInterrupt: () => () => undefined,
  }
}
