/**
 * `stackdeck runs` and `stackdeck run <id> [pause|resume|terminate|tune ...]`: the runs API
 * (runs.list, runs.get, runs.commands.create). A command is only queued here; the agent pulls it,
 * so `--wait-ack` polls runs.get for the agent's acknowledgement instead of assuming it.
 */
import type { OpInput } from '../core/api/contract'
import type { RunCommandT } from '../core/api/contract/runs'
import type { CommandContext, CommandOutput } from './commands'
import { CliError, EXIT, type ExitCode } from './exit-codes'
import { RUN_ACTIONS } from './runs-args'
import { runRequest, runsFormat, runsListInput } from './runs-input'
import * as rf from './runs-format'
import { toCsv, toJsonl } from './tabular'

/** How often --wait-ack asks: an agent long-polls, so an ack usually lands within a second. */
export const WAIT_ACK_POLL_MS = 500

export interface RunsDeps {
  sleep: (ms: number) => Promise<void>
  now: () => number
}

const realDeps: RunsDeps = {
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => Date.now(),
}

/** Formatting must never hide a result: a host of another version may answer another shape. */
function render<T>(format: (v: T) => string, value: T): string {
  try {
    return format(value)
  } catch {
    return JSON.stringify(value, null, 2)
  }
}

const isAction = (s: string) => RUN_ACTIONS.some((a) => a === s)

/** The host's 404 for the run (not for an operation it lacks) says plainly which run is missing. */
async function forRun<T>(id: string, p: Promise<T>): Promise<T> {
  try {
    return await p
  } catch (err) {
    if (err instanceof CliError && err.error.code === 'not_found' && !/^Unknown operation/.test(err.error.message))
      throw new CliError(
        EXIT.failed,
        // `stackdeck run pause` (the id forgotten) asks for a run named "pause": say how the line goes.
        `no run ${id}${isAction(id) ? ` (the id comes first: stackdeck run <id> ${id})` : ''}`,
        err.error,
      )
    throw err
  }
}

export async function runs(ctx: CommandContext): Promise<CommandOutput> {
  const input = runsListInput(ctx.parsed.values)
  const format = runsFormat(ctx.parsed)
  const r = await ctx.client.call('runs.list', input)
  const text =
    format === 'csv'
      ? toCsv(rf.RUN_COLUMNS, r.runs)
      : format === 'jsonl'
        ? toJsonl(r.runs)
        : render((x: typeof r) => rf.formatRuns(x.runs, { state: input.state, agent: input.agent }), r)
  return { json: r, text, exit: EXIT.ok }
}

/** The exit code of a waited-for command: 0 acknowledged ok, 1 refused or expired, 5 not yet. */
export function ackExit(c: Pick<RunCommandT, 'status' | 'result'> | null): ExitCode {
  if (c?.status === 'acknowledged') return c.result?.ok === false ? EXIT.failed : EXIT.ok
  if (c?.status === 'expired') return EXIT.failed
  return EXIT.partial
}

/** Polls runs.get until the command is acknowledged or expired, or `seconds` have passed. */
export async function waitForAck(
  ctx: CommandContext,
  runId: string,
  commandId: string,
  seconds: number,
  deps: RunsDeps = realDeps,
): Promise<RunCommandT | null> {
  const deadline = deps.now() + seconds * 1000
  let last: RunCommandT | null = null
  for (;;) {
    const d = await forRun(runId, ctx.client.call('runs.get', { id: runId }))
    last = d.commands.find((c) => c.id === commandId) ?? last
    if (last && (last.status === 'acknowledged' || last.status === 'expired')) return last
    const left = deadline - deps.now()
    if (left <= 0) return last
    await deps.sleep(Math.min(WAIT_ACK_POLL_MS, left))
  }
}

export async function run(ctx: CommandContext, deps: RunsDeps = realDeps): Promise<CommandOutput> {
  const req = runRequest(ctx.parsed)
  if (req.kind === 'show') {
    const d = await forRun(req.id, ctx.client.call('runs.get', { id: req.id }))
    return { json: d, text: render(rf.formatRunDetail, d), exit: EXIT.ok }
  }
  const input: OpInput<'runs.commands.create'> = { id: req.id, type: req.type }
  if (req.params) input.params = req.params
  const q = await forRun(req.id, ctx.client.call('runs.commands.create', input))
  const queued = render((x: typeof q) => rf.formatQueued(x.command, x.created), q)
  if (req.waitAckS === undefined) return { json: q, text: queued, exit: EXIT.ok }

  // The id is printed before the wait, so a script (or a Ctrl-C) has it even if the wait is long.
  // (--format json is --json: one JSON document at the end instead.)
  if (!ctx.parsed.global.json) ctx.io.out(queued)
  const latest = await waitForAck(ctx, req.id, q.command.id, req.waitAckS, deps)
  const outcome = rf.formatAckOutcome(latest, req.waitAckS)
  const json = { command: latest ?? q.command, created: q.created, acknowledged: latest?.status === 'acknowledged' }
  return { json, text: outcome, exit: ackExit(latest) }
}
