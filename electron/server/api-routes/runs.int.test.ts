/**
 * The runs routes and the HTTP agent protocol against the REAL built host process: a run's whole
 * life over plain HTTP (create, heartbeats, a command pulled by long-poll and acknowledged, the state
 * it moves to), health that escalates as heartbeats stop, runs and undelivered commands that survive
 * a SIGKILL of the host, agent tokens held to their own agent's runs, and the heartbeat's own 16 KiB
 * body cap.
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { WS_PATH, WS_PROTOCOL } from '@core/api/wire'
import type { OperationName, OpResult } from '@core/api/contract'
import { HEARTBEAT_MAX_BYTES, type RunT } from '@core/api/contract/runs'
import {
  errorOf,
  makeTokens,
  resultErrors,
  sha256,
  startApiHost,
  tokenSettings,
  waitFor,
  type ApiClient,
  type ApiHost,
  type ApiResponse,
} from '../../../test-support/api-harness'
import { hasTestRedis } from '../../../test-support/redis-fixture'
import { happyPaths } from '../../../test-support/route-stack'
import { startStackdeckUnderTest, type BuiltStackdeck } from '../../../test-support/stackdeck-under-test'

const enabled = hasTestRedis()

describe.skipIf(!enabled)('control API routes: runs, heartbeats and agent commands (real host)', () => {
  let sut: BuiltStackdeck
  let client: ApiClient
  const tokens = makeTokens()
  // Agent tokens: each may beat, pull and ack for its own agent's runs only.
  const alpha = `ag-${randomBytes(18).toString('base64url')}`
  const beta = `ag-${randomBytes(18).toString('base64url')}`
  const restarted: ApiHost[] = []

  beforeAll(async () => {
    sut = await startStackdeckUnderTest({
      tokens,
      schedule: { enabled: false },
      api: {
        tokens: [
          ...tokenSettings(tokens),
          { name: 'alpha-agent', sha256: sha256(alpha), scope: 'agent', agent: 'alpha' },
          { name: 'beta-agent', sha256: sha256(beta), scope: 'agent', agent: 'beta' },
        ],
      },
      // Short thresholds so escalation is seen in seconds; a long command timeout so a command
      // queued before the restart is still deliverable after it.
      runs: { lateAfterMs: 700, unhealthyAfterMs: 1400, lostAfterMs: 2500, commandTimeoutMs: 120_000 },
    })
    client = sut.client
  }, 120_000)

  afterAll(async () => {
    for (const h of restarted) await h.dispose()
    await sut?.stop()
  })

  const call = (method: string, path: string, body?: unknown, token = tokens.operate): Promise<ApiResponse> =>
    client.request(method, path, { ...(body === undefined ? {} : { body: body as object }), token })
  const ok = <N extends OperationName>(op: N, r: ApiResponse, status = 200): OpResult<N> => {
    expect(r.status, `${op}: ${r.text.slice(0, 800)}`).toBe(status)
    expect(resultErrors(op, r.json), `${op} result violates the contract`).toEqual([])
    return r.json as OpResult<N>
  }
  const create = async (agent: string, extra: Record<string, unknown> = {}) =>
    ok(
      'runs.create',
      await call('POST', '/api/v1/runs', { agent, strategy: 'mean-revert', version: '1.4.0', ...extra }),
      201,
    ).run
  const beat = (
    id: string,
    step: number,
    cv: number,
    token = tokens.operate,
    extra: Record<string, unknown> = {},
  ) =>
    call(
      'POST',
      `/api/v1/runs/${encodeURIComponent(id)}/heartbeat`,
      { step, checkpoint_version: cv, ...extra },
      token,
    )
  const getRun = async (id: string) =>
    ok('runs.get', await call('GET', `/api/v1/runs/${encodeURIComponent(id)}`, undefined, tokens.read))
  const inOrder = (...isoTimes: Array<string | null | undefined>) => {
    const ms = isoTimes.map((t) => {
      expect(t, 'a timestamp that should be set').toBeTruthy()
      return Date.parse(t as string)
    })
    for (let i = 1; i < ms.length; i++)
      expect(ms[i], `timestamp ${i} after ${i - 1}: ${isoTimes.join(' ≤ ')}`).toBeGreaterThanOrEqual(
        ms[i - 1] as number,
      )
  }

  let lifecycle: RunT
  let commandId = ''

  const happy: Array<[OperationName, () => Promise<void>]> = [
    [
      'runs.create',
      async () => {
        lifecycle = await create('alpha', { id: 'run-life', overrides: { lookback: 20 } })
        expect(lifecycle).toMatchObject({
          id: 'run-life',
          agent: 'alpha',
          state: 'queued',
          health: 'pending',
          heartbeats: 0,
          createdBy: 'operator',
        })
        // The same id and fields again: the same run, 200 not 201 (an agent may retry its create).
        const again = ok(
          'runs.create',
          await call('POST', '/api/v1/runs', {
            id: 'run-life',
            agent: 'alpha',
            strategy: 'mean-revert',
            version: '1.4.0',
            overrides: { lookback: 20 },
          }),
          200,
        )
        expect(again).toMatchObject({ created: false, run: { id: 'run-life' } })
        // The same id with other fields is a conflict naming the id.
        const clash = await call('POST', '/api/v1/runs', {
          id: 'run-life',
          agent: 'alpha',
          strategy: 'other',
          version: '1',
        })
        expect(clash.status).toBe(409)
        expect(errorOf(clash)?.path).toBe('/id')
      },
    ],
    [
      'runs.heartbeat',
      async () => {
        // The agent beats with its own token: the first beat makes the run running.
        const first = ok(
          'runs.heartbeat',
          await beat('run-life', 1, 1, alpha, { status: 'training', metrics: { loss: 0.9 } }),
        )
        expect(first).toMatchObject({
          duplicate: false,
          run: {
            state: 'running',
            health: 'healthy',
            step: 1,
            checkpointVersion: 1,
            runtimeStatus: 'training',
            metrics: { loss: 0.9 },
            heartbeats: 1,
          },
        })
        // An exact repeat is accepted as a duplicate and not counted.
        const dup = ok(
          'runs.heartbeat',
          await beat('run-life', 1, 1, alpha, { status: 'training', metrics: { loss: 0.9 } }),
        )
        expect(dup).toMatchObject({ duplicate: true, run: { heartbeats: 1 } })
        ok('runs.heartbeat', await beat('run-life', 5, 2, alpha))
        // Going backwards is refused, naming the field and both values.
        const back = await beat('run-life', 4, 2, alpha)
        expect(back.status, back.text).toBe(409)
        expect(errorOf(back)?.path).toBe('/step')
        expect(errorOf(back)?.message).toMatch(/4.*5|5.*4/)
        const cvBack = await beat('run-life', 6, 1, alpha)
        expect(cvBack.status).toBe(409)
        expect(errorOf(cvBack)?.path).toBe('/checkpoint_version')
        // A beat for a run that does not exist is a 404 (operate token: the agent check needs the run).
        expect((await beat('no-such-run', 1, 1)).status).toBe(404)
      },
    ],
    [
      'runs.get',
      async () => {
        const r = await getRun('run-life')
        expect(r.run).toMatchObject({ state: 'running', step: 5, checkpointVersion: 2, heartbeats: 2 })
        expect(r.transitions.map((t) => [t.from, t.to])).toEqual([
          [null, 'queued'],
          ['queued', 'running'],
        ])
        expect(r.transitions[1]).toMatchObject({ who: 'agent:alpha', why: 'first heartbeat' })
        inOrder(r.run.createdAt, r.transitions[1]?.at, r.run.lastHeartbeatAt)
        expect((await call('GET', '/api/v1/runs/nope', undefined, tokens.read)).status).toBe(404)
      },
    ],
    [
      'runs.list',
      async () => {
        await create('beta', { id: 'run-beta' })
        const all = ok('runs.list', await call('GET', '/api/v1/runs', undefined, tokens.read))
        expect(all.runs.map((r) => r.id)).toEqual(expect.arrayContaining(['run-life', 'run-beta']))
        const mine = ok(
          'runs.list',
          await call('GET', '/api/v1/runs?agent=alpha&state=running', undefined, tokens.read),
        )
        expect(mine.runs.map((r) => r.id)).toEqual(['run-life'])
        const one = ok('runs.list', await call('GET', '/api/v1/runs?limit=1', undefined, tokens.read))
        expect(one.runs).toHaveLength(1)
      },
    ],
    [
      'runs.commands.create',
      async () => {
        // A tune with no field to change says which field is missing.
        const empty = await call('POST', '/api/v1/runs/run-life/commands', { type: 'tune', params: {} })
        expect(empty.status, empty.text).toBe(400)
        expect(errorOf(empty)?.path).toBe('/params')
        // The agent is already waiting (long-poll) when the trader queues the pause.
        const waiting = call('GET', '/api/v1/runs/run-life/commands/next?wait=10', undefined, alpha)
        await new Promise((r) => setTimeout(r, 300))
        const queued = ok(
          'runs.commands.create',
          await call('POST', '/api/v1/runs/run-life/commands', {
            type: 'pause',
            params: { reason: 'drawdown' },
            commandId: 'cmd-pause',
          }),
          201,
        )
        expect(queued).toMatchObject({
          created: true,
          command: { id: 'cmd-pause', type: 'pause', status: 'queued', deliveredAt: null },
        })
        commandId = queued.command.id
        // The same commandId again is the same command (a retried click never queues twice).
        const again = ok(
          'runs.commands.create',
          await call('POST', '/api/v1/runs/run-life/commands', {
            type: 'pause',
            params: { reason: 'drawdown' },
            commandId: 'cmd-pause',
          }),
          200,
        )
        expect(again.created).toBe(false)
        const delivered = ok('runs.commands.next', await waiting)
        expect(delivered.command).toMatchObject({ id: 'cmd-pause', status: 'delivered' })
        inOrder(queued.command.createdAt, delivered.command?.deliveredAt)
      },
    ],
    [
      'runs.commands.next',
      async () => {
        // Nothing waiting: 204 and no body, at once with wait=0, after the wait otherwise.
        const none = await call('GET', '/api/v1/runs/run-life/commands/next', undefined, alpha)
        expect(none.status, none.text).toBe(204)
        expect(none.text).toBe('')
        const t0 = Date.now()
        expect(
          (await call('GET', '/api/v1/runs/run-life/commands/next?wait=1', undefined, alpha)).status,
        ).toBe(204)
        expect(Date.now() - t0).toBeGreaterThanOrEqual(900)
        const r = await getRun('run-life')
        expect(r.run.pendingCommands).toBe(1) // delivered, not yet acknowledged
      },
    ],
    [
      'runs.commands.ack',
      async () => {
        const acked = ok(
          'runs.commands.ack',
          await call(
            'POST',
            `/api/v1/runs/run-life/commands/${commandId}/ack`,
            { ok: true, message: 'paused at step 5' },
            alpha,
          ),
        )
        expect(acked.command).toMatchObject({
          status: 'acknowledged',
          result: { ok: true, message: 'paused at step 5' },
        })
        // An acknowledged pause moves the run.
        expect(acked.run).toMatchObject({ state: 'paused', health: 'paused', pendingCommands: 0 })
        inOrder(acked.command.createdAt, acked.command.deliveredAt, acked.command.acknowledgedAt)
        // A repeat with the same result is fine; another result is a conflict.
        ok(
          'runs.commands.ack',
          await call(
            'POST',
            `/api/v1/runs/run-life/commands/${commandId}/ack`,
            { ok: true, message: 'paused at step 5' },
            alpha,
          ),
        )
        expect(
          (await call('POST', `/api/v1/runs/run-life/commands/${commandId}/ack`, { ok: false }, alpha))
            .status,
        ).toBe(409)
        expect(
          (await call('POST', '/api/v1/runs/run-life/commands/nope/ack', { ok: true }, alpha)).status,
        ).toBe(404)
        // Resume, the same way round.
        const resume = ok(
          'runs.commands.create',
          await call('POST', '/api/v1/runs/run-life/commands', { type: 'resume' }),
          201,
        )
        const next = ok(
          'runs.commands.next',
          await call('GET', '/api/v1/runs/run-life/commands/next', undefined, alpha),
        )
        expect(next.command?.id).toBe(resume.command.id)
        const resumed = ok(
          'runs.commands.ack',
          await call('POST', `/api/v1/runs/run-life/commands/${resume.command.id}/ack`, { ok: true }, alpha),
        )
        expect(resumed.run.state).toBe('running')
      },
    ],
    [
      'runs.transition',
      async () => {
        const illegal = await call('POST', '/api/v1/runs/run-beta/state', {
          to: 'paused',
          reason: 'not running yet',
        })
        expect(illegal.status, illegal.text).toBe(409)
        const done = ok(
          'runs.transition',
          await call('POST', '/api/v1/runs/run-life/state', { to: 'completed', reason: 'target reached' }),
        )
        expect(done.run).toMatchObject({ state: 'completed', health: 'ended' })
        const r = await getRun('run-life')
        expect(r.transitions.map((t) => t.to)).toEqual([
          'queued',
          'running',
          'paused',
          'running',
          'completed',
        ])
        inOrder(...r.transitions.map((t) => t.at))
        expect(r.transitions.at(-1)).toMatchObject({ who: 'operator', why: 'target reached' })
        // A finished run takes no more beats nor commands.
        expect((await beat('run-life', 9, 9, alpha)).status).toBe(409)
        expect((await call('POST', '/api/v1/runs/run-life/commands', { type: 'pause' })).status).toBe(409)
        // Each act is in the audit log under the token that did it.
        const audit = ok(
          'audit.query',
          await call('GET', '/audit?action=runs&limit=100', undefined, tokens.read),
        )
        const acts = audit.records.filter((x) => x.outcome === 'ok').map((x) => [x.action, x.who])
        expect(acts).toEqual(
          expect.arrayContaining([
            ['runs.create', 'operator'],
            ['runs.heartbeat', 'agent:alpha'],
            ['runs.commands.create', 'operator'],
            ['runs.commands.next', 'agent:alpha'],
            ['runs.commands.ack', 'agent:alpha'],
            ['runs.transition', 'operator'],
          ]),
        )
        // A refused regression is recorded too, and the refused beats did not count.
        expect(audit.records.some((x) => x.action === 'runs.heartbeat' && x.outcome === 'refused')).toBe(true)
      },
    ],
  ]

  happyPaths('runs', happy)

  it('health escalates as heartbeats stop: healthy, late, unhealthy, lost; a beat makes it healthy again', async () => {
    const run = await create('alpha')
    ok('runs.heartbeat', await beat(run.id, 1, 1, alpha))
    const seen: string[] = []
    await waitFor(
      'the run to be lost',
      async () => {
        const h = (await getRun(run.id)).run.health
        if (seen.at(-1) !== h) seen.push(h)
        return h === 'lost'
      },
      15_000,
    )
    // In order, and nothing skipped back (the registry ticks once a second; a step may be quick).
    const order = ['healthy', 'late', 'unhealthy', 'lost']
    expect(seen[0]).toBe('healthy')
    expect(seen.at(-1)).toBe('lost')
    expect(seen.map((h) => order.indexOf(h))).toEqual(
      [...seen.map((h) => order.indexOf(h))].sort((a, b) => a - b),
    )
    const r = await getRun(run.id)
    expect(r.run.heartbeatAgeMs).toBeGreaterThanOrEqual(2500)
    expect(r.run.state).toBe('running') // lost is health, not a state: nobody ended it
    const back = ok('runs.heartbeat', await beat(run.id, 2, 1, alpha))
    expect(back.run.health).toBe('healthy')
  }, 30_000)

  it('an agent token is held to its own runs and to the agent routes', async () => {
    const mine = await create('alpha')
    const theirs = await create('beta')
    ok('runs.heartbeat', await beat(mine.id, 1, 1, alpha))
    const foreign = await beat(theirs.id, 1, 1, alpha)
    expect(foreign.status, foreign.text).toBe(403)
    expect(errorOf(foreign)?.message).toContain('beta')
    expect((await call('GET', `/api/v1/runs/${theirs.id}/commands/next`, undefined, alpha)).status).toBe(403)
    // Its own token works for its own run.
    ok('runs.heartbeat', await beat(theirs.id, 1, 1, beta))
    // Nothing else: not the config, not the stack, not creating runs, not even reading runs.
    for (const [method, path, body] of [
      ['GET', '/config', undefined],
      ['GET', '/stack', undefined],
      ['POST', '/api/v1/runs', { agent: 'alpha', strategy: 's', version: '1' }],
      ['GET', `/api/v1/runs/${mine.id}`, undefined],
      ['POST', '/risk/killswitch', { reason: 'x', confirm: true }],
    ] as const) {
      const r = await call(method, path, body, alpha)
      expect(r.status, `${method} ${path}: ${r.text}`).toBe(403)
      expect(errorOf(r)?.code).toBe('forbidden')
    }
    // The same through the RPC door.
    const rpc = await call('POST', '/api/rpc/config.load', {}, alpha)
    expect(rpc.status).toBe(403)
  })

  it('a heartbeat over 16 KiB is refused with 413 before it is parsed, on both doors', async () => {
    const run = await create('alpha')
    const big = JSON.stringify({
      step: 1,
      checkpoint_version: 1,
      message: 'x',
      metrics: { blob: 'y'.repeat(HEARTBEAT_MAX_BYTES) },
    })
    const rest = await client.request('POST', `/api/v1/runs/${run.id}/heartbeat`, { body: big, token: alpha })
    expect(rest.status, rest.text).toBe(413)
    expect(errorOf(rest)?.message).toContain(String(HEARTBEAT_MAX_BYTES))
    const rpc = await client.request('POST', '/api/rpc/runs.heartbeat', {
      body: JSON.stringify({ id: run.id, ...JSON.parse(big) }),
      token: alpha,
    })
    expect(rpc.status).toBe(413)
    // Other routes keep the host's bigger cap: the same size is fine for a run's overrides.
    const create2 = await call('POST', '/api/v1/runs', {
      agent: 'alpha',
      strategy: 's',
      version: '1',
      overrides: { blob: 'y'.repeat(HEARTBEAT_MAX_BYTES) },
    })
    expect(create2.status, create2.text.slice(0, 300)).toBe(201)
    expect((await getRun(run.id)).run.heartbeats).toBe(0)
  })

  it('a long-poll whose client hung up takes no command: the next poll gets it', async () => {
    const run = await create('alpha')
    // A poll that waits, then its connection is cut (an agent killed, a proxy timing out).
    const req = httpRequest({
      host: '127.0.0.1',
      port: sut.host.port,
      path: `/api/v1/runs/${run.id}/commands/next?wait=20`,
      headers: { host: sut.hostHeader, authorization: `Bearer ${alpha}` },
    })
    req.on('error', () => undefined)
    req.end()
    await new Promise((r) => setTimeout(r, 400))
    req.destroy()
    await new Promise((r) => setTimeout(r, 200))
    const queued = ok(
      'runs.commands.create',
      await call('POST', `/api/v1/runs/${run.id}/commands`, { type: 'pause' }),
      201,
    )
    await new Promise((r) => setTimeout(r, 200))
    const next = ok(
      'runs.commands.next',
      await call('GET', `/api/v1/runs/${run.id}/commands/next`, undefined, alpha),
    )
    expect(next.command?.id).toBe(queued.command.id)
  })

  it('the same over the WebSocket door: a long-poll on a socket that closes takes no command', async () => {
    const run = await create('alpha')
    const ws = new WebSocket(`ws://127.0.0.1:${sut.host.port}${WS_PATH}`, WS_PROTOCOL, {
      headers: { host: sut.hostHeader, authorization: `Bearer ${alpha}` },
    })
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res())
      ws.once('error', rej)
    })
    ws.send(JSON.stringify({ id: 1, op: 'runs.commands.next', input: { id: run.id, wait: 20 } }))
    await new Promise((r) => setTimeout(r, 400))
    ws.terminate()
    await new Promise((r) => setTimeout(r, 200))
    const queued = ok(
      'runs.commands.create',
      await call('POST', `/api/v1/runs/${run.id}/commands`, { type: 'pause' }),
      201,
    )
    await new Promise((r) => setTimeout(r, 200))
    const next = ok(
      'runs.commands.next',
      await call('GET', `/api/v1/runs/${run.id}/commands/next`, undefined, alpha),
    )
    expect(next.command?.id).toBe(queued.command.id)
  })

  it('runs and an undelivered command survive a SIGKILL of the host', async () => {
    const run = await create('alpha', { id: 'run-crash' })
    ok('runs.heartbeat', await beat(run.id, 7, 3, alpha))
    const queued = ok(
      'runs.commands.create',
      await call('POST', `/api/v1/runs/${run.id}/commands`, { type: 'tune', params: { lr: 0.01 } }),
      201,
    )
    const settings = JSON.parse(await readFile(sut.host.settingsPath, 'utf8')) as Record<string, unknown>
    await sut.host.kill()
    const host = await startApiHost(settings, tokens)
    restarted.push(host)
    client = host.client
    const r = await getRun(run.id)
    expect(r.run).toMatchObject({ state: 'running', step: 7, checkpointVersion: 3, agent: 'alpha' })
    expect(r.commands.find((c) => c.id === queued.command.id)).toMatchObject({
      status: 'queued',
      deliveredAt: null,
    })
    // The agent, reconnecting, gets it exactly once, and its step history still holds.
    const next = ok(
      'runs.commands.next',
      await call('GET', `/api/v1/runs/${run.id}/commands/next`, undefined, alpha),
    )
    expect(next.command).toMatchObject({ id: queued.command.id, type: 'tune', params: { lr: 0.01 } })
    expect((await call('GET', `/api/v1/runs/${run.id}/commands/next`, undefined, alpha)).status).toBe(204)
    expect((await beat(run.id, 6, 3, alpha)).status).toBe(409)
    ok('runs.heartbeat', await beat(run.id, 8, 3, alpha))
  }, 60_000)
})
