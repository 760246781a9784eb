import { describe, expect, it } from 'vitest'
import { fakeHostClient, fakeIo, type CapturedOutput as Captured, type FakeAnswers as Answers } from '../../test-support/cli-fakes'
import type { RunCommandT, RunT } from '../core/api/contract/runs'
import { helpText, parseCommandLine } from './args'
import { parseCsv } from './csv-reader'
import { CliError, EXIT } from './exit-codes'
import { run as runCli } from './run'
import { ackExit, run, runs, type RunsDeps } from './runs'
import * as rf from './runs-format'
import { runRequest, runsListInput, tuneParams, tuneValue } from './runs-input'
import { toCsv } from './tabular'

const parse = (args: string[]) => parseCommandLine(args, {})

function usage(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(CliError)
    expect((err as CliError).exit).toBe(EXIT.usage)
    return (err as CliError).message
  }
  throw new Error('no usage error')
}

function runOf(over: Partial<RunT> = {}): RunT {
  return {
    id: 'run-1',
    agent: 'trainer-1',
    strategy: 'mean-revert',
    version: '1.4.0',
    overrides: null,
    container: null,
    createdBy: 'operator',
    createdAt: '2026-12-03T10:00:00.000Z',
    state: 'running',
    stateSince: '2026-12-03T10:00:01.000Z',
    health: 'late',
    healthSince: '2026-12-03T10:05:00.000Z',
    lastHeartbeatAt: '2026-12-03T10:04:53.000Z',
    heartbeatAgeMs: 7_000,
    step: 120,
    checkpointVersion: 3,
    runtimeStatus: 'training',
    metrics: { loss: 0.42 },
    heartbeats: 120,
    pendingCommands: 1,
    ...over,
  }
}

function cmdOf(over: Partial<RunCommandT> = {}): RunCommandT {
  return {
    id: 'cmd-1',
    runId: 'run-1',
    type: 'pause',
    params: {},
    createdBy: 'operator',
    createdAt: '2026-12-03T10:05:00.000Z',
    deliveredAt: null,
    acknowledgedAt: null,
    expiresAt: '2026-12-03T10:06:00.000Z',
    status: 'queued',
    result: null,
    ...over,
  }
}

const PENDING = runOf({ id: 'run-2', state: 'queued', health: 'pending', lastHeartbeatAt: null, heartbeatAgeMs: null, step: null, checkpointVersion: null, heartbeats: 0, pendingCommands: 0, runtimeStatus: null, metrics: null })

describe('runs / run command lines', () => {
  it('runs: --state, --agent, --limit become the runs.list input', () => {
    expect(runsListInput(parse(['runs', '--state', 'running', '--agent', 'trainer-1', '--limit', '5']).values)).toEqual({ state: 'running', agent: 'trainer-1', limit: 5 })
    expect(runsListInput(parse(['runs']).values)).toEqual({})
  })

  it('runs: a bad value is a usage error naming the argument', () => {
    expect(usage(() => runsListInput(parse(['runs', '--state', 'lost']).values))).toMatch(/^--state is one of queued, running, paused, completed, failed, terminated, got "lost"/)
    expect(usage(() => runsListInput(parse(['runs', '--agent', 'a b']).values))).toMatch(/^--agent "a b" is not an agent id/)
    expect(usage(() => runsListInput(parse(['runs', '--limit', '0']).values))).toMatch(/^--limit is 1 to 1000/)
    expect(usage(() => runsListInput(parse(['runs', '--limit', 'ten']).values))).toMatch(/^--limit takes a whole number/)
    expect(usage(() => parse(['runs', '--format', 'xml']))).toMatch(/^--format is one of/)
    expect(usage(() => parse(['runs', 'extra']))).toMatch(/^runs: expected 0 argument/)
  })

  it('run <id>: show, with table or json', () => {
    expect(runRequest(parse(['run', 'run-1']))).toEqual({ kind: 'show', id: 'run-1', format: 'table' })
    expect(runRequest(parse(['run', 'run-1', '--format', 'json']))).toEqual({ kind: 'show', id: 'run-1', format: 'json' })
    expect(runRequest(parse(['--json', 'run', 'run-1']))).toMatchObject({ format: 'json' })
    expect(usage(() => runRequest(parse(['run', 'run-1', '--format', 'csv'])))).toMatch(/^run <id>: --format is table or json, got "csv"/)
    expect(usage(() => parse(['run']))).toMatch(/^run: expected 1 to/)
    expect(usage(() => runRequest(parse(['run', 'bad/id'])))).toMatch(/^run: <id> "bad\/id" is not a run id/)
    expect(usage(() => runRequest(parse(['run', 'run-1', '--reason', 'x'])))).toMatch(/--reason goes with pause, resume or terminate/)
    expect(usage(() => runRequest(parse(['run', 'run-1', '--wait-ack', '5'])))).toMatch(/--wait-ack goes with an action/)
  })

  it('run <id> pause|resume|terminate [--reason R] [--wait-ack N]', () => {
    expect(runRequest(parse(['run', 'run-1', 'pause', '--reason', 'lunch']))).toEqual({ kind: 'command', id: 'run-1', type: 'pause', params: { reason: 'lunch' }, waitAckS: undefined })
    expect(runRequest(parse(['run', 'run-1', 'resume', '--wait-ack', '10']))).toEqual({ kind: 'command', id: 'run-1', type: 'resume', params: undefined, waitAckS: 10 })
    expect(runRequest(parse(['run', 'run-1', 'terminate']))).toMatchObject({ type: 'terminate', params: undefined })
    expect(usage(() => runRequest(parse(['run', 'run-1', 'stop'])))).toMatch(/^run: unknown action "stop" \(pause, resume, terminate, tune\)/)
    expect(usage(() => runRequest(parse(['run', 'run-1', 'pause', 'now'])))).toMatch(/^run pause: unexpected argument "now"/)
    expect(usage(() => runRequest(parse(['run', 'run-1', 'pause', '--wait-ack', '0'])))).toMatch(/^--wait-ack is 1 to 600 seconds, got "0"/)
    expect(usage(() => runRequest(parse(['run', 'run-1', 'pause', '--wait-ack', '2s'])))).toMatch(/^--wait-ack takes a whole number, got "2s"/)
    expect(usage(() => runRequest(parse(['run', 'run-1', 'pause', '--reason', ' '])))).toMatch(/^--reason is empty/)
    expect(usage(() => runRequest(parse(['run', 'run-1', 'pause', '--format', 'csv'])))).toMatch(/^run pause: --format is table or json/)
  })

  it('run <id> tune key=value ...: values are JSON when they parse, else strings', () => {
    expect(runRequest(parse(['run', 'run-1', 'tune', 'lr=0.001', 'warm=true', 'mode=fast', 'name=01', 'tag="7"', 'w=[1,2]', 'e=']))).toEqual({
      kind: 'command',
      id: 'run-1',
      type: 'tune',
      params: { lr: 0.001, warm: true, mode: 'fast', name: '01', tag: '7', w: [1, 2], e: '' },
      waitAckS: undefined,
    })
    expect(tuneValue('-3')).toBe(-3)
    expect(tuneValue('null')).toBeNull()
    expect(tuneValue('a=b')).toBe('a=b')
    // Only the first = splits.
    expect(tuneParams(['expr=a=b'])).toEqual({ expr: 'a=b' })
    expect(usage(() => runRequest(parse(['run', 'run-1', 'tune'])))).toMatch(/tune needs at least one key=value/)
    expect(usage(() => tuneParams(['lr']))).toMatch(/^tune: "lr" is not key=value/)
    expect(usage(() => tuneParams(['=1']))).toMatch(/^tune: "=1" is not key=value/)
    expect(usage(() => tuneParams(['a=1', 'a=2']))).toMatch(/^tune: "a" is given twice/)
    expect(usage(() => runRequest(parse(['run', 'run-1', 'tune', 'a=1', '--reason', 'r'])))).toMatch(/^run tune: --reason is not taken/)
  })

  it('help lists both commands', () => {
    const h = helpText(null)
    expect(h).toMatch(/^ {2}runs /m)
    expect(h).toMatch(/^ {2}run /m)
    expect(helpText(parse(['run', '--help']).command)).toMatch(/usage: stackdeck run <id>/)
  })
})

describe('runs formatting', () => {
  it('health with the heartbeat age; the health alone without a beat', () => {
    expect(rf.healthText({ health: 'late', heartbeatAgeMs: 7_000 })).toBe('late 7s')
    expect(rf.healthText({ health: 'healthy', heartbeatAgeMs: 420 })).toBe('healthy 0.4s')
    expect(rf.healthText({ health: 'lost', heartbeatAgeMs: 65_000 })).toBe('lost 1m05s')
    expect(rf.healthText({ health: 'pending', heartbeatAgeMs: null })).toBe('pending')
  })

  it('the runs table: strategy@version, and "-" for an unknown step or checkpoint, never 0', () => {
    const text = rf.formatRuns([runOf(), PENDING])
    const [head, first, second] = text.split('\n')
    expect(head).toMatch(/^ID\s+AGENT\s+STRATEGY\s+STATE\s+HEALTH\s+STEP\s+CHECKPOINT\s+PENDING$/)
    expect(first?.split(/\s{2,}/)).toEqual(['run-1', 'trainer-1', 'mean-revert@1.4.0', 'running', 'late 7s', '120', '3', '1'])
    expect(second?.split(/\s{2,}/)).toEqual(['run-2', 'trainer-1', 'mean-revert@1.4.0', 'queued', 'pending', '-', '-', '0'])
    expect(rf.formatRuns([])).toBe('no runs')
    expect(rf.formatRuns([], { state: 'paused', agent: 'a' })).toBe('no runs with state paused, agent a')
  })

  it('an expired command says plainly whether it ever reached the agent', () => {
    expect(rf.commandStatusText(cmdOf({ status: 'expired' }))).toBe('EXPIRED (never delivered)')
    expect(rf.commandStatusText(cmdOf({ status: 'expired', deliveredAt: '2026-12-03T10:05:01.000Z' }))).toBe('EXPIRED (delivered, never acknowledged)')
    expect(rf.commandResultText(cmdOf({ result: { ok: false, message: 'no checkpoint' } }))).toBe('REFUSED: no checkpoint')
    expect(rf.commandResultText(cmdOf({ result: { ok: true, message: null } }))).toBe('ok')
    expect(rf.commandResultText(cmdOf())).toBe('-')
  })

  it('run detail: fields, transitions and commands', () => {
    const text = rf.formatRunDetail({
      run: runOf({ overrides: { lookback: 20 } }),
      transitions: [
        { at: '2026-12-03T10:00:00.000Z', from: null, to: 'queued', who: 'operator', why: 'created' },
        { at: '2026-12-03T10:00:01.000Z', from: 'queued', to: 'running', who: 'agent:trainer-1', why: 'first heartbeat' },
      ],
      commands: [
        cmdOf({ status: 'acknowledged', deliveredAt: '2026-12-03T10:05:01.000Z', acknowledgedAt: '2026-12-03T10:05:02.000Z', result: { ok: true, message: 'paused' } }),
        cmdOf({ id: 'cmd-2', type: 'tune', params: { lr: 0.01 }, status: 'expired' }),
      ],
    })
    expect(text).toMatch(/^run\s+run-1$/m)
    expect(text).toMatch(/^strategy\s+mean-revert@1\.4\.0$/m)
    expect(text).toMatch(/^health\s+late 7s \(since 2026-12-03T10:05:00\.000Z\)$/m)
    expect(text).toMatch(/^heartbeat\s+2026-12-03T10:04:53\.000Z \(7s ago\), 120 accepted$/m)
    expect(text).toMatch(/^overrides\s+\{"lookback":20\}$/m)
    expect(text).toMatch(/^2026-12-03T10:00:00\.000Z\s+- -> queued\s+operator\s+created$/m)
    expect(text).toMatch(/^2026-12-03T10:00:01\.000Z\s+queued -> running\s+agent:trainer-1\s+first heartbeat$/m)
    expect(text).toMatch(/^cmd-1\s+pause\s+-\s+acknowledged\s+2026-12-03T10:05:00\.000Z\s+2026-12-03T10:05:01\.000Z\s+2026-12-03T10:05:02\.000Z\s+ok: paused$/m)
    expect(text).toMatch(/^cmd-2\s+tune\s+\{"lr":0\.01\}\s+EXPIRED \(never delivered\)\s+2026-12-03T10:05:00\.000Z\s+-\s+-\s+-$/m)
  })

  it('run detail of a run without a beat: none yet, "-" for step and checkpoint', () => {
    const text = rf.formatRunDetail({ run: PENDING, transitions: [], commands: [] })
    expect(text).toMatch(/^heartbeat\s+none yet \(0 accepted\)$/m)
    expect(text).toMatch(/^step\s+-$/m)
    expect(text).toMatch(/^checkpoint\s+-$/m)
    expect(text).toMatch(/^health\s+pending /m)
    expect(text).toMatch(/^commands: none$/m)
  })

  it('CSV: a null step is an empty field, not 0', () => {
    const records = parseCsv(toCsv(rf.RUN_COLUMNS, [runOf(), PENDING]))
    const header = records[0] ?? []
    const step = header.indexOf('step')
    expect(records[1]?.[step]).toBe('120')
    expect(records[2]?.[step]).toBe('')
  })
})

const notFound = () => {
  throw new CliError(EXIT.failed, 'runs.get failed: not_found: No run nope at /id', { code: 'not_found', message: 'No run nope', path: '/id' })
}

/** A clock that sleeps instantly. */
function fakeDeps(): RunsDeps & { slept: number } {
  let t = 0
  const d = {
    slept: 0,
    now: () => t,
    sleep: async (ms: number) => {
      t += ms
      d.slept += ms
    },
  }
  return d
}

async function exec(args: string[], answers: Answers, deps?: RunsDeps) {
  const calls: Array<[string, unknown]> = []
  const c: Captured = { out: '', err: '' }
  const parsed = parse(args)
  const ctx = { client: fakeHostClient(answers, calls), parsed, io: fakeIo(c) }
  const res = parsed.command?.name === 'runs' ? await runs(ctx) : await run(ctx, deps)
  return { res, calls, out: c.out }
}

describe('runs / run against a fake host', () => {
  it('runs: the table, jsonl one run a line, csv with a header', async () => {
    const answers = { 'runs.list': () => ({ runs: [runOf(), PENDING] }) }
    const t = await exec(['runs', '--state', 'running'], answers)
    expect(t.calls).toEqual([['runs.list', { state: 'running' }]])
    expect(t.res.text).toMatch(/^run-2 .* pending\s+-\s+-\s+0$/m)
    const j = await exec(['runs', '--format', 'jsonl'], answers)
    expect(j.res.text.trimEnd().split('\n').map((l) => (JSON.parse(l) as RunT).id)).toEqual(['run-1', 'run-2'])
    const c = await exec(['runs', '--format', 'csv'], answers)
    const rec = parseCsv(c.res.text)
    expect(rec[0]?.slice(0, 5)).toEqual(['id', 'agent', 'strategy', 'version', 'state'])
    expect(rec).toHaveLength(3)
  })

  it('run <id>: a 404 says "no run <id>" (exit 1)', async () => {
    await expect(exec(['run', 'nope'], { 'runs.get': notFound })).rejects.toMatchObject({ message: 'no run nope', exit: EXIT.failed })
    await expect(exec(['run', 'nope', 'pause'], { 'runs.commands.create': notFound })).rejects.toMatchObject({ message: 'no run nope' })
    await expect(exec(['run', 'pause'], { 'runs.get': notFound })).rejects.toMatchObject({ message: 'no run pause (the id comes first: stackdeck run <id> pause)' })
  })

  it('run <id> pause --reason: queues the command and prints its id first', async () => {
    const r = await exec(['run', 'run-1', 'pause', '--reason', 'lunch'], {
      'runs.commands.create': () => ({ command: cmdOf({ params: { reason: 'lunch' } }), created: true }),
    })
    expect(r.calls).toEqual([['runs.commands.create', { id: 'run-1', type: 'pause', params: { reason: 'lunch' } }]])
    expect(r.res.text.split('\n')[0]).toBe('cmd-1')
    expect(r.res.text).toMatch(/queued: pause \{"reason":"lunch"\} for run run-1, queued/)
    expect(r.res.exit).toBe(EXIT.ok)
  })

  it('--wait-ack: 0 once acknowledged ok, 1 refused or expired, 5 when the time runs out', async () => {
    const states: RunCommandT[] = [cmdOf(), cmdOf({ status: 'delivered', deliveredAt: 'd' }), cmdOf({ status: 'acknowledged', deliveredAt: 'd', acknowledgedAt: 'a', result: { ok: true, message: null } })]
    let i = 0
    const acked = await exec(['run', 'run-1', 'pause', '--wait-ack', '10'], {
      'runs.commands.create': () => ({ command: cmdOf(), created: true }),
      'runs.get': () => ({ run: runOf(), transitions: [], commands: [states[Math.min(i++, 2)]] }),
    }, fakeDeps())
    expect(acked.res.exit).toBe(EXIT.ok)
    expect(acked.out).toMatch(/^cmd-1$/m)
    expect(acked.res.text).toBe('acknowledged at a: ok')
    expect(acked.res.json).toMatchObject({ acknowledged: true, command: { status: 'acknowledged' } })

    const deps = fakeDeps()
    const never = await exec(['run', 'run-1', 'resume', '--wait-ack', '3'], {
      'runs.commands.create': () => ({ command: cmdOf({ type: 'resume' }), created: true }),
      'runs.get': () => ({ run: runOf(), transitions: [], commands: [cmdOf({ type: 'resume' })] }),
    }, deps)
    expect(never.res.exit).toBe(EXIT.partial)
    expect(never.res.text).toBe('not acknowledged within 3s: queued')
    expect(deps.slept).toBe(3000)

    const expired = await exec(['run', 'run-1', 'pause', '--wait-ack', '3'], {
      'runs.commands.create': () => ({ command: cmdOf(), created: true }),
      'runs.get': () => ({ run: runOf(), transitions: [], commands: [cmdOf({ status: 'expired' })] }),
    }, fakeDeps())
    expect(expired.res.exit).toBe(EXIT.failed)
    expect(expired.res.text).toMatch(/^EXPIRED \(never delivered\): the agent will not act on it$/)

    expect(ackExit(cmdOf({ status: 'acknowledged', result: { ok: false, message: 'no' } }))).toBe(EXIT.failed)
    expect(ackExit(null)).toBe(EXIT.partial)
  })

  it('tune sends the parsed params', async () => {
    const r = await exec(['run', 'run-1', 'tune', 'lr=0.5', 'mode=fast'], {
      'runs.commands.create': (input: { params: Record<string, unknown> }) => ({ command: cmdOf({ type: 'tune', params: input.params }), created: true }),
    })
    expect(r.calls[0]?.[1]).toEqual({ id: 'run-1', type: 'tune', params: { lr: 0.5, mode: 'fast' } })
  })

  it('the whole CLI: a usage error exits 2 naming the argument, before any request', async () => {
    const c: Captured = { out: '', err: '' }
    const code = await runCli(['runs', '--state', 'nope'], fakeIo(c), {})
    expect(code).toBe(EXIT.usage)
    expect(c.err).toMatch(/--state is one of/)
  })
})
