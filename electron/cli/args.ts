import { parseArgs, type ParseArgsConfig } from 'node:util'
import { usageError } from './exit-codes'

type Options = NonNullable<ParseArgsConfig['options']>

export const DEFAULT_URL = 'http://127.0.0.1:7420'

export const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options

export interface CommandSpec {
  name: string
  usage: string
  summary: string
  options: Options
  /** Allowed number of positionals after the command name. */
  args: [min: number, max: number]
}

const reason = { reason: { type: 'string' } } as const
const target = { service: { type: 'string' }, container: { type: 'string' } } as const

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'status',
    usage: 'status',
    summary: 'Stack state, killswitch and trading window at a glance.',
    options: {},
    args: [0, 0],
  },
  {
    name: 'health',
    usage: 'health [--strict]',
    summary: 'Is the host up? Needs no token. --strict: exit 5 when degraded.',
    options: { strict: { type: 'boolean' } },
    args: [0, 0],
  },
  {
    name: 'info',
    usage: 'info',
    summary: 'Host version, process and who you are to it.',
    options: {},
    args: [0, 0],
  },
  {
    name: 'pause',
    usage: 'pause [--service S | --container C] [--reason R]',
    summary: 'Pause the stack, one service or one container.',
    options: { ...target, ...reason },
    args: [0, 0],
  },
  {
    name: 'resume',
    usage: 'resume [--service S | --container C] [--reason R]',
    summary: 'Unpause the stack, one service or one container.',
    options: { ...target, ...reason },
    args: [0, 0],
  },
  {
    name: 'save-restart',
    usage: 'save-restart --file config.toml [--yes] [--reason R] [--no-verify] [--base-hash H] [--paused | --hot]',
    summary:
      'Save & Restart with a new config.toml: validate, pause, write, unpause, reload, verify. Hot changes apply without pausing; --paused forces the pause, --hot refuses a change that needs a restart.',
    options: {
      file: { type: 'string' },
      paused: { type: 'boolean' },
      hot: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      ...reason,
      'no-verify': { type: 'boolean' },
      'base-hash': { type: 'string' },
    },
    args: [0, 0],
  },
  {
    name: 'config-views',
    usage: 'config-views [--read]',
    summary:
      'How each container sees config.toml (directory, single file, volume, not mounted, unknown) and the compose fix for a single-file mount; --read also compares the bytes each one sees with the host file (exit 5 if one differs).',
    options: { read: { type: 'boolean' } },
    args: [0, 0],
  },
  {
    name: 'killswitch',
    usage: 'killswitch [status] | killswitch engage|release|resume --reason R --yes',
    summary:
      'Show, engage (stop trading now) or release (admin) the killswitch; a release leaves trading disabled until `killswitch resume` (admin: Resume trading).',
    options: { ...reason, yes: { type: 'boolean', short: 'y' } },
    args: [0, 1],
  },
  {
    name: 'agents',
    usage: 'agents',
    summary: 'Agents seen on the bus, with liveness.',
    options: {},
    args: [0, 0],
  },
  {
    name: 'events',
    usage: 'events [--since N] [--limit N] [--type T] [--source S] [--follow]',
    summary: 'Bus events; --follow streams new ones over the WebSocket until Ctrl-C.',
    options: {
      since: { type: 'string' },
      limit: { type: 'string' },
      type: { type: 'string' },
      source: { type: 'string' },
      follow: { type: 'boolean', short: 'f' },
    },
    args: [0, 0],
  },
  {
    name: 'schedule',
    usage: 'schedule',
    summary: 'Trading window: state, source, next transitions.',
    options: {},
    args: [0, 0],
  },
  {
    name: 'audit',
    usage: 'audit [--limit N] [--action A] [--who W] [--outcome O] [--since SEQ]',
    summary: 'The audit log, newest last.',
    options: {
      limit: { type: 'string' },
      action: { type: 'string' },
      who: { type: 'string' },
      outcome: { type: 'string' },
      since: { type: 'string' },
    },
    args: [0, 0],
  },
  {
    name: 'call',
    usage: "call <operation> ['<json input>' | -]",
    summary: 'Call any operation by name (input from the argument or stdin with -).',
    options: {},
    args: [1, 2],
  },
]

export interface Parsed {
  command: CommandSpec | null
  positionals: string[]
  values: Record<string, string | boolean | undefined>
  global: { url: string; token: string | undefined; json: boolean; timeoutMs: number; help: boolean }
}

const VALUE_OPTIONS = new Set(
  Object.entries(GLOBAL_OPTIONS)
    .filter(([, o]) => o.type === 'string')
    .map(([k]) => `--${k}`),
)

/** The command is the first word that is neither an option nor a global option's value. */
function findCommandName(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--') return argv[i + 1] ?? null
    if (VALUE_OPTIONS.has(a)) {
      i++
      continue
    }
    if (!a.startsWith('-')) return a
  }
  return null
}

export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): Parsed {
  const name = findCommandName(argv)
  const command = name === null ? null : (COMMANDS.find((c) => c.name === name) ?? null)
  if (name !== null && !command) throw usageError(`unknown command "${name}"; see stackdeck --help`)

  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...GLOBAL_OPTIONS, ...(command?.options ?? {}) },
      allowPositionals: true,
      strict: true,
    })
  } catch (err) {
    throw usageError(
      `${(err as Error).message.split('\n')[0] ?? 'bad arguments'}${command ? `\nusage: stackdeck ${command.usage}` : ''}`,
    )
  }
  const values = parsed.values as Record<string, string | boolean | undefined>
  const positionals = parsed.positionals.slice(1)
  const help = values['help'] === true

  if (command && !help) {
    const [min, max] = command.args
    if (positionals.length < min || positionals.length > max) {
      throw usageError(
        `${command.name}: expected ${min === max ? min : `${min} to ${max}`} argument(s), got ${positionals.length}\nusage: stackdeck ${command.usage}`,
      )
    }
  }

  const timeoutRaw = values['timeout']
  let timeoutMs = 300_000
  if (typeof timeoutRaw === 'string') {
    const s = Number(timeoutRaw)
    if (!Number.isFinite(s) || s <= 0) throw usageError(`--timeout takes seconds, got "${timeoutRaw}"`)
    timeoutMs = Math.round(s * 1000)
  }
  const url = (typeof values['url'] === 'string' ? values['url'] : env['STACKDECK_URL']) || DEFAULT_URL
  if (!/^https?:\/\/[^/]+/.test(url))
    throw usageError(`--url must be an http:// or https:// URL, got "${url}"`)
  const token = typeof values['token'] === 'string' ? values['token'] : env['STACKDECK_TOKEN'] || undefined
  return {
    command,
    positionals,
    values,
    global: { url: url.replace(/\/+$/, ''), token, json: values['json'] === true, timeoutMs, help },
  }
}

/** A non-negative integer option, or undefined when absent. */
export function intOption(values: Parsed['values'], name: string): number | undefined {
  const v = values[name]
  if (v === undefined) return undefined
  if (typeof v !== 'string' || !/^\d+$/.test(v))
    throw usageError(`--${name} takes a whole number, got "${String(v)}"`)
  return Number(v)
}

export function stringOption(values: Parsed['values'], name: string): string | undefined {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

export function helpText(command: CommandSpec | null): string {
  if (command) return `usage: stackdeck ${command.usage}\n\n${command.summary}\n\n${GLOBAL_HELP}`
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)
  return `usage: stackdeck <command> [options]\n\nControl a running Stackdeck from scripts and terminals.\n\ncommands:\n${lines.join('\n')}\n\n${GLOBAL_HELP}\n\n${EXIT_HELP}`
}

const GLOBAL_HELP = `global options:
  --url URL      host to talk to (env STACKDECK_URL, default ${DEFAULT_URL})
  --token T      API token (env STACKDECK_TOKEN)
  --json         machine output: the result as JSON on stdout; failures as {"error": {...}}
  --timeout S    seconds to wait for an answer (default 300)
  -h, --help     this help`

const EXIT_HELP = `exit codes: 0 ok, 1 operation failed, 2 usage error, 3 cannot connect, 4 unauthorized/forbidden, 5 partial or unconfirmed`
