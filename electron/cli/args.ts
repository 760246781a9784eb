import { parseArgs, type ParseArgsConfig } from 'node:util'
import { checkHostUrl } from '../core/api/host-url'
import { usageError } from './exit-codes'
import { HISTORY_COMMAND, HISTORY_FORMATS } from './history-args'
import { RUN_COMMAND, RUNS_COMMAND } from './runs-args'

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
  /** Allowed number of positionals after the command name (after the subcommand, if it has those). */
  args: [min: number, max: number]
  /** A command family (`history events`, `history status`): the first word after it picks one. */
  subcommands?: readonly SubcommandSpec[]
}

export interface SubcommandSpec {
  name: string
  usage: string
  summary: string
  /** Longer help: options one a line. */
  details?: string
  options: Options
  /** Allowed number of positionals after the subcommand's name. */
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
    usage: 'audit [--limit N] [--action A] [--who W] [--outcome O] [--door D] [--since SEQ]',
    summary: 'The audit log, newest last.',
    options: {
      limit: { type: 'string' },
      action: { type: 'string' },
      who: { type: 'string' },
      outcome: { type: 'string' },
      door: { type: 'string' },
      since: { type: 'string' },
    },
    args: [0, 0],
  },
  {
    name: 'token',
    usage: 'token rotate [--reason R] --yes',
    summary:
      'Replace the headless host\'s own admin token (admin): prints the new token and its URL; the old one stops working at once. Refused when STACKDECK_TOKEN or api.token fixes the token.',
    options: { ...reason, yes: { type: 'boolean', short: 'y' } },
    args: [1, 1],
  },
  HISTORY_COMMAND,
  RUNS_COMMAND,
  RUN_COMMAND,
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
  /** The subcommand of a command family; null for plain commands (and `history --help`). */
  subcommand: SubcommandSpec | null
  positionals: string[]
  values: Record<string, string | boolean | undefined>
  global: { url: string; token: string | undefined; json: boolean; timeoutMs: number; help: boolean }
}

const VALUE_OPTIONS = new Set(
  Object.entries(GLOBAL_OPTIONS)
    .filter(([, o]) => o.type === 'string')
    .map(([k]) => `--${k}`),
)

/**
 * The command is the first word that is neither an option nor a global option's value; a
 * subcommand is the next such word (skipping the values of the family's own options too).
 */
function findWord(argv: readonly string[], valueOptions: ReadonlySet<string>, skip = 0): { word: string; at: number } | null {
  let seen = 0
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--') {
      const rest = argv.slice(i + 1)
      const w = rest[skip - seen]
      return w === undefined ? null : { word: w, at: i + 1 + skip - seen }
    }
    if (valueOptions.has(a)) {
      i++
      continue
    }
    if (!a.startsWith('-')) {
      if (seen === skip) return { word: a, at: i }
      seen++
    }
  }
  return null
}

function findCommandName(argv: readonly string[]): string | null {
  return findWord(argv, VALUE_OPTIONS)?.word ?? null
}

function valueOptionsOf(options: Options): string[] {
  return Object.entries(options).flatMap(([k, o]) =>
    o.type === 'string' ? [`--${k}`, ...(o.short ? [`-${o.short}`] : [])] : [],
  )
}

export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): Parsed {
  const name = findCommandName(argv)
  const command = name === null ? null : (COMMANDS.find((c) => c.name === name) ?? null)
  if (name !== null && !command) throw usageError(`unknown command "${name}"; see stackdeck --help`)

  let subcommand: SubcommandSpec | null = null
  if (command?.subcommands) {
    const family = new Set([...VALUE_OPTIONS, ...command.subcommands.flatMap((c) => valueOptionsOf(c.options))])
    const subName = findWord(argv, family, 1)?.word ?? null
    subcommand = command.subcommands.find((c) => c.name === subName) ?? null
    const names = command.subcommands.map((c) => c.name).join(', ')
    if (subName !== null && !subcommand)
      throw usageError(`${command.name}: unknown subcommand "${subName}" (${names}); see stackdeck ${command.name} --help`)
    if (subName === null && !argv.includes('--help') && !argv.includes('-h'))
      throw usageError(`${command.name} needs a subcommand: ${names}\nusage: stackdeck ${command.usage}`)
  }
  const spec = subcommand ?? command
  const usage = spec ? `\nusage: stackdeck ${spec.usage}` : ''

  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...GLOBAL_OPTIONS, ...(spec?.options ?? {}) },
      allowPositionals: true,
      strict: true,
    })
  } catch (err) {
    throw usageError(`${(err as Error).message.split('\n')[0] ?? 'bad arguments'}${usage}`)
  }
  const values = parsed.values as Record<string, string | boolean | undefined>
  // After the command's name (and the subcommand's, for a family).
  const positionals = parsed.positionals.slice(subcommand ? 2 : 1)
  const help = values['help'] === true

  if (spec && !help) {
    const [min, max] = spec.args
    if (positionals.length < min || positionals.length > max) {
      const what = subcommand && command ? `${command.name} ${subcommand.name}` : (command?.name ?? '')
      throw usageError(
        `${what}: expected ${min === max ? min : `${min} to ${max}`} argument(s), got ${positionals.length}${usage}`,
      )
    }
  }

  // --format (history, runs, run): json is --json, so failures are JSON on stdout too; others conflict with it.
  const format = values['format']
  if (typeof format === 'string') {
    if (!HISTORY_FORMATS.some((f) => f === format))
      throw usageError(`--format is one of ${HISTORY_FORMATS.join(', ')}, got "${format}"${usage}`)
    if (values['json'] === true && format !== 'json') throw usageError(`--json is --format json; give one of them${usage}`)
  }

  const timeoutRaw = values['timeout']
  let timeoutMs = 300_000
  if (typeof timeoutRaw === 'string') {
    const s = Number(timeoutRaw)
    if (!Number.isFinite(s) || s <= 0) throw usageError(`--timeout takes seconds, got "${timeoutRaw}"`)
    timeoutMs = Math.round(s * 1000)
  }
  const url = (typeof values['url'] === 'string' ? values['url'] : env['STACKDECK_URL']) || DEFAULT_URL
  // The token rides in every request: plain http only to this machine (core/api/host-url.ts).
  const checked = checkHostUrl(url)
  if (!checked.ok) throw usageError(`--url: ${checked.reason}`)
  const token = typeof values['token'] === 'string' ? values['token'] : env['STACKDECK_TOKEN'] || undefined
  return {
    command,
    subcommand,
    positionals,
    values,
    global: { url: url.replace(/\/+$/, ''), token, json: values['json'] === true || format === 'json', timeoutMs, help },
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

export function helpText(command: CommandSpec | null, subcommand: SubcommandSpec | null = null): string {
  if (command && subcommand)
    return `usage: stackdeck ${subcommand.usage}\n\n${subcommand.summary}${subcommand.details ? `\n\n${subcommand.details}` : ''}\n\n${GLOBAL_HELP}`
  if (command?.subcommands) {
    const width = Math.max(...command.subcommands.map((c) => c.name.length))
    const lines = command.subcommands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)
    return `usage: stackdeck ${command.usage}\n\n${command.summary}\n\nsubcommands (stackdeck ${command.name} <subcommand> --help for each):\n${lines.join('\n')}\n\n${GLOBAL_HELP}`
  }
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
