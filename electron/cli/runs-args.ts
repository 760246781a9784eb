/**
 * The command specs of `stackdeck runs` and `stackdeck run <id> [action]` (their checks are in
 * runs-input.ts). Types only from args.ts, which lists these specs: no import cycle.
 */
import type { OpInput } from '../core/api/contract'
import type { RunState } from '../core/api/contract/runs'
import type { CommandSpec } from './args'

// Copies of the contract's lists: the CLI bundle carries no contract code (see client.ts). The
// type checks below fail the typecheck when the contract gains or loses a value.
export const RUN_STATES = ['queued', 'running', 'paused', 'completed', 'failed', 'terminated'] as const satisfies readonly RunState[]
type MissingState = Exclude<RunState, (typeof RUN_STATES)[number]>
const _allStates: MissingState extends never ? true : MissingState = true

export const RUN_ACTIONS = ['pause', 'resume', 'terminate', 'tune'] as const satisfies ReadonlyArray<
  OpInput<'runs.commands.create'>['type']
>
type MissingAction = Exclude<OpInput<'runs.commands.create'>['type'], (typeof RUN_ACTIONS)[number]>
const _allActions: MissingAction extends never ? true : MissingAction = true
export type RunAction = (typeof RUN_ACTIONS)[number]

/** The contract's id pattern (runs.ts `Id`): a bad one is refused before sending, naming the argument. */
export const ID_RE = /^[A-Za-z0-9_.:@-]{1,128}$/
/** The contract's caps on params (`Params`): 64 fields, names up to 128 characters. */
export const MAX_PARAMS = 64
export const MAX_KEY = 128
/** `--wait-ack` longer than the host's default command timeout (60 s) times ten is surely a typo. */
export const WAIT_ACK_MAX_S = 600

export const RUNS_COMMAND: CommandSpec = {
  name: 'runs',
  usage: `runs [--state ${RUN_STATES.join('|')}] [--agent A] [--limit N] [--format table|json|jsonl|csv]`,
  summary:
    'Runs of HTTP agents, newest first: id, agent, strategy@version, state, health with heartbeat age, step, checkpoint, pending commands.',
  options: {
    state: { type: 'string' },
    agent: { type: 'string' },
    limit: { type: 'string' },
    format: { type: 'string' },
  },
  args: [0, 0],
}

export const RUN_COMMAND: CommandSpec = {
  name: 'run',
  usage:
    'run <id> [--format table|json] | run <id> pause|resume|terminate [--reason R] [--wait-ack S] | run <id> tune key=value ... [--wait-ack S]',
  summary:
    'One run: its fields, transitions and commands; or queue a command for its agent and print the command id. --wait-ack S waits up to S seconds: exit 0 acknowledged ok, 1 refused by the agent or expired, 5 not acknowledged yet.',
  options: {
    format: { type: 'string' },
    reason: { type: 'string' },
    'wait-ack': { type: 'string' },
  },
  // The id, the action, then up to MAX_PARAMS key=value pairs for tune.
  args: [1, 2 + MAX_PARAMS],
}

