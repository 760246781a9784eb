/**
 * The checks of `stackdeck runs` and `stackdeck run <id> [action]`. Pure: every bad value is a
 * usage error (exit 2) that names the argument, before anything is sent.
 */
import type { OpInput } from '../core/api/contract'
import type { RunState } from '../core/api/contract/runs'
import { intOption, stringOption, type Parsed } from './args'
import { usageError } from './exit-codes'
import { ID_RE, MAX_KEY, RUN_ACTIONS, RUN_STATES, WAIT_ACK_MAX_S, type RunAction } from './runs-args'

export type RunsFormat = 'table' | 'json' | 'jsonl' | 'csv'

/** --format (checked against the history formats in args.ts), or json with --json. */
export function runsFormat(parsed: Parsed): RunsFormat {
  const f = stringOption(parsed.values, 'format')
  if (f === 'json' || f === 'jsonl' || f === 'csv' || f === 'table') return f
  return parsed.global.json ? 'json' : 'table'
}

const isState = (s: string): s is RunState => RUN_STATES.some((x) => x === s)
const isAction = (s: string): s is RunAction => RUN_ACTIONS.some((x) => x === s)

export function runsListInput(values: Parsed['values']): OpInput<'runs.list'> {
  const input: OpInput<'runs.list'> = {}
  const state = stringOption(values, 'state')
  if (state !== undefined) {
    if (!isState(state)) throw usageError(`--state is one of ${RUN_STATES.join(', ')}, got "${state}"`)
    input.state = state
  }
  const agent = stringOption(values, 'agent')
  if (agent !== undefined) {
    if (!ID_RE.test(agent)) throw usageError(`--agent "${agent}" is not an agent id (1 to 128 of A-Z a-z 0-9 _ . : @ -)`)
    input.agent = agent
  }
  const limit = intOption(values, 'limit')
  if (limit !== undefined) {
    if (limit < 1 || limit > 1000) throw usageError(`--limit is 1 to 1000, got ${limit}`)
    input.limit = limit
  }
  return input
}

/**
 * A tune value: JSON when it parses (numbers, booleans, null, quoted strings, arrays, objects),
 * else the text itself, so `lr=0.001` sends a number and `mode=fast` a string.
 */
export function tuneValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

export function tuneParams(pairs: readonly string[]): Record<string, unknown> {
  if (pairs.length === 0) throw usageError('run <id> tune needs at least one key=value (e.g. lr=0.001)')
  const params: Record<string, unknown> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw usageError(`tune: "${pair}" is not key=value`)
    const key = pair.slice(0, eq)
    if (key.length > MAX_KEY) throw usageError(`tune: the key of "${pair.slice(0, 40)}…" is longer than ${MAX_KEY} characters`)
    if (Object.prototype.hasOwnProperty.call(params, key)) throw usageError(`tune: "${key}" is given twice`)
    params[key] = tuneValue(pair.slice(eq + 1))
  }
  return params
}

/** What `run <id> ...` asks for: show the run, or queue one command (and maybe wait for its ack). */
export type RunRequest =
  | { kind: 'show'; id: string; format: 'table' | 'json' }
  | { kind: 'command'; id: string; type: RunAction; params: Record<string, unknown> | undefined; waitAckS: number | undefined }

export function runRequest(parsed: Parsed): RunRequest {
  const { values } = parsed
  const [id, action, ...rest] = parsed.positionals as [string, string | undefined, ...string[]]
  if (!ID_RE.test(id)) throw usageError(`run: <id> "${id}" is not a run id (1 to 128 of A-Z a-z 0-9 _ . : @ -)`)
  const reason = stringOption(values, 'reason')
  const waitRaw = values['wait-ack']
  if (action === undefined) {
    if (reason !== undefined) throw usageError('run: --reason goes with pause, resume or terminate')
    if (waitRaw !== undefined) throw usageError('run: --wait-ack goes with an action (pause, resume, terminate, tune)')
    const f = runsFormat(parsed)
    if (f !== 'table' && f !== 'json') throw usageError(`run <id>: --format is table or json, got "${f}"`)
    return { kind: 'show', id, format: f }
  }
  if (!isAction(action)) throw usageError(`run: unknown action "${action}" (${RUN_ACTIONS.join(', ')})`)
  if (values['format'] !== undefined && values['format'] !== 'json' && values['format'] !== 'table')
    throw usageError(`run ${action}: --format is table or json`)
  let waitAckS: number | undefined
  if (waitRaw !== undefined) {
    waitAckS = intOption(values, 'wait-ack')
    if (waitAckS === undefined || waitAckS < 1 || waitAckS > WAIT_ACK_MAX_S)
      throw usageError(`--wait-ack is 1 to ${WAIT_ACK_MAX_S} seconds, got "${String(waitRaw)}"`)
  }
  if (action === 'tune') {
    // The reason would be sent as a field to tune; a tune that wants one says reason=... itself.
    if (reason !== undefined) throw usageError('run tune: --reason is not taken (tune sends only key=value fields; add reason=... if the agent reads one)')
    return { kind: 'command', id, type: action, params: tuneParams(rest), waitAckS }
  }
  if (rest.length > 0) throw usageError(`run ${action}: unexpected argument "${rest[0]}" (only tune takes key=value)`)
  if (reason !== undefined && reason.trim() === '') throw usageError('--reason is empty')
  if (reason !== undefined && reason.length > 500) throw usageError('--reason is longer than 500 characters')
  return { kind: 'command', id, type: action, params: reason === undefined ? undefined : { reason }, waitAckS }
}
