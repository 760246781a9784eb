/**
 * The real `stackdeck runs` / `stackdeck run <id>` CLI (out/main/cli.js, a child process) against the
 * real built host process: runs are created and beaten over plain HTTP as an agent would, then the
 * CLI's table and JSON are checked against them; a pause queued by the CLI is checked at its source
 * (runs.get over HTTP), pulled and acknowledged by a stand-in agent while `--wait-ack` waits, and an
 * unknown run answers "no run <id>".
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OperationName, OpResult } from '@core/api/contract'
import type { RunT } from '@core/api/contract/runs'
import {
  makeTokens,
  randomTag,
  resultErrors,
  runCli,
  sha256,
  tokenSettings,
  waitFor,
  type ApiResponse,
  type CliRun,
} from '../../test-support/api-harness'
import { hasTestRedis } from '../../test-support/redis-fixture'
import { startStackdeckUnderTest, type BuiltStackdeck } from '../../test-support/stackdeck-under-test'
import { parseCsv } from './csv-reader'

const enabled = hasTestRedis()
const TAG = randomTag()
const tokens = makeTokens()
// The agents' own tokens: they beat, pull and acknowledge, as the sample HTTP agent does.
const AGENT_A = `clir-a-${TAG}`
const AGENT_B = `clir-b-${TAG}`
const agentToken = `ag-${randomBytes(18).toString('base64url')}`
const RUN_A = `clir-run-a-${TAG}`
const RUN_B = `clir-run-b-${TAG}`

let sut: BuiltStackdeck

const cli = (args: string[], token: string = tokens.read) => runCli(args, { STACKDECK_URL: sut.url, STACKDECK_TOKEN: token })

function expectExit(r: CliRun, code: number): void {
  expect(r.code, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(code)
}

const call = (method: string, path: string, body?: unknown, token = tokens.operate): Promise<ApiResponse> =>
  sut.client.request(method, path, { ...(body === undefined ? {} : { body: body as object }), token })

function ok<N extends OperationName>(op: N, r: ApiResponse, status = 200): OpResult<N> {
  expect(r.status, `${op}: ${r.text.slice(0, 800)}`).toBe(status)
  expect(resultErrors(op, r.json), `${op} result violates the contract`).toEqual([])
  return r.json as OpResult<N>
}

const runPath = (id: string) => `/api/v1/runs/${encodeURIComponent(id)}`
const getRun = async (id: string) => ok('runs.get', await call('GET', runPath(id), undefined, tokens.read))
const beat = async (id: string, step: number, cv: number) =>
  ok('runs.heartbeat', await call('POST', `${runPath(id)}/heartbeat`, { step, checkpoint_version: cv, status: 'training' }, agentToken))

/** The table row of one run, split on its column gaps. */
const rowOf = (table: string, id: string) =>
  table
    .split('\n')
    .find((l) => l.startsWith(`${id} `))
    ?.split(/\s{2,}/)

describe.skipIf(!enabled)('stackdeck runs / run against the built host', () => {
  beforeAll(async () => {
    sut = await startStackdeckUnderTest({
      tokens,
      schedule: { enabled: false },
      api: { tokens: [...tokenSettings(tokens), { name: 'clir-agent', sha256: sha256(agentToken), scope: 'agent', agent: AGENT_A }] },
      // Late soon, unhealthy and lost much later, so a run that stopped beating reads `late` for a while;
      // a long command timeout so nothing expires under a slow machine.
      runs: { lateAfterMs: 1500, unhealthyAfterMs: 60_000, lostAfterMs: 120_000, commandTimeoutMs: 120_000 },
    })
    ok('runs.create', await call('POST', '/api/v1/runs', { id: RUN_A, agent: AGENT_A, strategy: 'mean-revert', version: '1.4.0', overrides: { lookback: 20 } }), 201)
    await beat(RUN_A, 1, 0)
    await beat(RUN_A, 12, 3)
    // Created last, so it is listed first (newest first); it never beats.
    ok('runs.create', await call('POST', '/api/v1/runs', { id: RUN_B, agent: AGENT_B, strategy: 'breakout', version: '2.0.0' }), 201)
  }, 180_000)

  afterAll(async () => {
    await sut?.stop()
  })

  it('runs: a table of both runs; late with its heartbeat age, pending and "-" for the one that never beat', async () => {
    // The beaten run turns late 1.5 s after its last beat (health is judged once a second).
    await waitFor('run A to be late', async () => (await getRun(RUN_A)).run.health === 'late')
    const r = await cli(['runs'])
    expectExit(r, 0)
    expect(r.stdout.split('\n')[0]).toMatch(/^ID\s+AGENT\s+STRATEGY\s+STATE\s+HEALTH\s+STEP\s+CHECKPOINT\s+PENDING$/)
    const a = rowOf(r.stdout, RUN_A)
    expect(a?.slice(0, 4)).toEqual([RUN_A, AGENT_A, 'mean-revert@1.4.0', 'running'])
    expect(a?.[4]).toMatch(/^late \d+(\.\d)?s$/)
    expect(a?.slice(5)).toEqual(['12', '3', '0'])
    expect(rowOf(r.stdout, RUN_B)).toEqual([RUN_B, AGENT_B, 'breakout@2.0.0', 'queued', 'pending', '-', '-', '0'])
    // Newest first.
    expect(r.stdout.indexOf(RUN_B)).toBeLessThan(r.stdout.indexOf(RUN_A))
    expect(r.stderr).toBe('')
  })

  it('runs --agent/--state filter on the host; --format json is a runs.list result, csv has empty fields for unknowns', async () => {
    const j = await cli(['runs', '--agent', AGENT_B, '--format', 'json'])
    expectExit(j, 0)
    const list = JSON.parse(j.stdout) as OpResult<'runs.list'>
    expect(resultErrors('runs.list', list)).toEqual([])
    expect(list.runs.map((x) => x.id)).toEqual([RUN_B])
    expect(list.runs[0]).toMatchObject({ step: null, checkpointVersion: null, health: 'pending' })

    const running = await cli(['runs', '--state', 'running', '--agent', AGENT_A, '--format', 'jsonl'])
    expectExit(running, 0)
    expect(running.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as RunT).id)).toEqual([RUN_A])

    const none = await cli(['runs', '--state', 'completed', '--agent', AGENT_A])
    expectExit(none, 0)
    expect(none.stdout.trim()).toBe(`no runs with state completed, agent ${AGENT_A}`)

    const csv = await cli(['runs', '--agent', AGENT_B, '--format', 'csv'])
    expectExit(csv, 0)
    const [header, row] = parseCsv(csv.stdout)
    expect(row?.[header?.indexOf('step') ?? -1]).toBe('')
    expect(row?.[header?.indexOf('id') ?? -1]).toBe(RUN_B)

    const bad = await cli(['runs', '--state', 'lost'])
    expectExit(bad, 2)
    expect(bad.stderr).toMatch(/--state is one of queued, running, paused/)
  })

  it('run <id>: fields and transitions (table), the runs.get result (json)', async () => {
    const t = await cli(['run', RUN_A])
    expectExit(t, 0)
    expect(t.stdout).toMatch(new RegExp(`^run\\s+${RUN_A}$`, 'm'))
    expect(t.stdout).toMatch(/^strategy\s+mean-revert@1\.4\.0$/m)
    expect(t.stdout).toMatch(/^step\s+12$/m)
    expect(t.stdout).toMatch(/^checkpoint\s+3$/m)
    expect(t.stdout).toMatch(/^overrides\s+\{"lookback":20\}$/m)
    expect(t.stdout).toMatch(/^heartbeat\s+\S+ \(\d+(\.\d)?s ago\), 2 accepted$/m)
    expect(t.stdout).toMatch(/^\S+\s+- -> queued\s+operator\s/m)
    expect(t.stdout).toMatch(/^\S+\s+queued -> running\s+\S+/m)
    expect(t.stdout).toMatch(/^commands: none$/m)

    const j = await cli(['run', RUN_A, '--format', 'json'])
    expectExit(j, 0)
    const d = JSON.parse(j.stdout) as OpResult<'runs.get'>
    expect(resultErrors('runs.get', d)).toEqual([])
    expect(d.run).toMatchObject({ id: RUN_A, step: 12, checkpointVersion: 3, state: 'running' })
    expect(d.transitions.map((x) => x.to)).toEqual(['queued', 'running'])

    const pending = await cli(['run', RUN_B])
    expectExit(pending, 0)
    expect(pending.stdout).toMatch(/^step\s+-$/m)
    expect(pending.stdout).toMatch(/^heartbeat\s+none yet \(0 accepted\)$/m)
  })

  it('run <id> pause: queued by the CLI, seen in runs.get; --wait-ack exits 0 once the agent acknowledges', async () => {
    const r = await cli(['run', RUN_A, 'pause', '--reason', 'lunch'], tokens.operate)
    expectExit(r, 0)
    const id = r.stdout.split('\n')[0] ?? ''
    expect(id).not.toBe('')
    expect(r.stdout).toMatch(new RegExp(`queued: pause \\{"reason":"lunch"\\} for run ${RUN_A}, queued`))
    const cmd = (await getRun(RUN_A)).commands.find((c) => c.id === id)
    expect(cmd).toMatchObject({ type: 'pause', params: { reason: 'lunch' }, status: 'queued', createdBy: 'operator' })
    expect((await getRun(RUN_A)).run.pendingCommands).toBe(1)

    const shown = await cli(['run', RUN_A])
    expectExit(shown, 0)
    expect(shown.stdout).toMatch(new RegExp(`^${id}\\s+pause\\s+\\{"reason":"lunch"\\}\\s+queued\\s+\\S+\\s+-\\s+-\\s+-$`, 'm'))
    // The table's pending column counts it.
    expect(rowOf((await cli(['runs', '--agent', AGENT_A])).stdout, RUN_A)?.[7]).toBe('1')

    // The agent pulls and acknowledges the pause (the one already queued), then a resume, while the CLI waits.
    const next = ok('runs.commands.next', await call('GET', `${runPath(RUN_A)}/commands/next`, undefined, agentToken))
    expect(next.command?.id).toBe(id)
    ok('runs.commands.ack', await call('POST', `${runPath(RUN_A)}/commands/${id}/ack`, { ok: true, message: 'paused at step 12' }, agentToken))
    await waitFor('run A to be paused', async () => (await getRun(RUN_A)).run.state === 'paused')

    const agent = (async () => {
      const n = ok('runs.commands.next', await call('GET', `${runPath(RUN_A)}/commands/next?wait=20`, undefined, agentToken))
      const c = n.command
      if (!c) throw new Error('no command within 20 s')
      ok('runs.commands.ack', await call('POST', `${runPath(RUN_A)}/commands/${c.id}/ack`, { ok: true, message: 'resumed' }, agentToken))
      return c.id
    })()
    const waited = await cli(['run', RUN_A, 'resume', '--wait-ack', '30'], tokens.operate)
    const resumeId = await agent
    expectExit(waited, 0)
    expect(waited.stdout.split('\n')[0]).toBe(resumeId)
    expect(waited.stdout).toMatch(/^acknowledged at \S+: ok: resumed$/m)
    expect((await getRun(RUN_A)).run.state).toBe('running')

    const t = await cli(['run', RUN_A])
    expect(t.stdout).toMatch(new RegExp(`^${id}\\s+pause\\s+\\{"reason":"lunch"\\}\\s+acknowledged(\\s+\\S+){3}\\s+ok: paused at step 12$`, 'm'))
    expect(t.stdout).toMatch(/^\S+\s+running -> paused\s/m)
  })

  it('run <id> tune: JSON values where they parse; --wait-ack exits 5 when no agent acknowledges in time', async () => {
    const r = await cli(['run', RUN_A, 'tune', 'lr=0.01', 'warm=true', 'mode=fast', '--wait-ack', '1'], tokens.operate)
    expectExit(r, 5)
    const id = r.stdout.split('\n')[0] ?? ''
    expect(r.stdout).toMatch(/^not acknowledged within 1s: queued$/m)
    const cmd = (await getRun(RUN_A)).commands.find((c) => c.id === id)
    expect(cmd).toMatchObject({ type: 'tune', params: { lr: 0.01, warm: true, mode: 'fast' }, status: 'queued' })

    const j = await cli(['run', RUN_A, 'tune', 'lr=0.02', '--json'], tokens.operate)
    expectExit(j, 0)
    const q = JSON.parse(j.stdout) as OpResult<'runs.commands.create'>
    expect(resultErrors('runs.commands.create', q)).toEqual([])
    expect(q).toMatchObject({ created: true, command: { type: 'tune', params: { lr: 0.02 } } })
  })

  it('an unknown run: "no run <id>", exit 1; a read token cannot queue (exit 4); a bad id is a usage error', async () => {
    const r = await cli(['run', `nope-${TAG}`])
    expectExit(r, 1)
    expect(r.stderr.trim()).toBe(`stackdeck: no run nope-${TAG}`)
    const j = await cli(['run', `nope-${TAG}`, '--json'])
    expectExit(j, 1)
    expect(JSON.parse(j.stdout)).toMatchObject({ error: { code: 'not_found' } })
    const p = await cli(['run', `nope-${TAG}`, 'pause'], tokens.operate)
    expectExit(p, 1)
    expect(p.stderr.trim()).toBe(`stackdeck: no run nope-${TAG}`)

    const denied = await cli(['run', RUN_A, 'terminate'], tokens.read)
    expectExit(denied, 4)
    const badId = await cli(['run', 'a/b'])
    expectExit(badId, 2)
    expect(badId.stderr).toMatch(/<id> "a\/b" is not a run id/)
  })
})
