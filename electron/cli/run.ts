import { createInterface } from 'node:readline/promises'
import { helpText, parseCommandLine } from './args'
import { HostClient } from './client'
import { HANDLERS, type Io } from './commands'
import { CliError, EXIT, type ExitCode } from './exit-codes'

/** Runs one command line and returns the exit code; never throws. */
export async function run(argv: readonly string[], io: Io, env: NodeJS.ProcessEnv): Promise<ExitCode> {
  // Until the line is parsed (a usage error): --json or --format json asked for JSON failures.
  let json = argv.includes('--json') || argv.includes('--format=json') || argv.some((a, i) => a === '--format' && argv[i + 1] === 'json')
  try {
    const parsed = parseCommandLine(argv, env)
    json = parsed.global.json
    if (parsed.global.help || !parsed.command) {
      io.out(helpText(parsed.command, parsed.subcommand))
      return parsed.global.help ? EXIT.ok : EXIT.usage
    }
    const handler = HANDLERS[parsed.command.name]
    if (!handler) throw new CliError(EXIT.usage, `command ${parsed.command.name} is not implemented`)
    const client = new HostClient({
      url: parsed.global.url,
      token: parsed.global.token,
      timeoutMs: parsed.global.timeoutMs,
    })
    const out = await handler({ client, parsed, io })
    if (!out.streamed) io.out(json ? JSON.stringify(out.json, null, 2) : out.text)
    return out.exit
  } catch (err) {
    if (err instanceof CliError) {
      if (json) io.out(JSON.stringify({ error: err.error }, null, 2))
      io.err(`stackdeck: ${err.message}`)
      return err.exit
    }
    io.err(`stackdeck: unexpected failure: ${(err as Error).stack ?? String(err)}`)
    return EXIT.failed
  }
}

export function processIo(): Io {
  return {
    out: (t) => {
      if (t !== '') process.stdout.write(t.endsWith('\n') ? t : `${t}\n`)
    },
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
    async readStdin() {
      const chunks: Buffer[] = []
      for await (const c of process.stdin) chunks.push(c as Buffer)
      return Buffer.concat(chunks).toString('utf8')
    },
    async confirm(question) {
      // Asked on stderr so stdout stays clean for --json.
      const rl = createInterface({ input: process.stdin, output: process.stderr })
      try {
        return /^y(es)?$/i.test((await rl.question(question)).trim())
      } finally {
        rl.close()
      }
    },
    onInterrupt(fn) {
      process.on('SIGINT', fn)
      process.on('SIGTERM', fn)
      return () => {
        process.off('SIGINT', fn)
        process.off('SIGTERM', fn)
      }
    },
  }
}
