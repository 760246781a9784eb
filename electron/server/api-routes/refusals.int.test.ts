/**
 * Every REST route's refusals against the REAL built host process, the private Docker engine and Redis
 * (test-support/route-stack.ts): bad input, a missing or wrong token, a scope too weak, a foreign
 * Host or Origin, each answered with its status and a typed error and never a stack trace; and the
 * rate limit, on a host of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { operations, type OperationName } from '@core/api/contract'
import { hasTestDocker } from '../../../test-support/docker-fixtures'
import { hasTestRedis } from '../../../test-support/redis-fixture'
import { errorOf, inputAccepted, STACK_TRACE_RE, type ApiResponse } from '../../../test-support/api-harness'
import { routes, useRouteStack } from '../../../test-support/route-stack'
import { startStackdeckUnderTest, type BuiltStackdeck } from '../../../test-support/stackdeck-under-test'
import type { Route } from '../routes'

const enabled = hasTestDocker() && hasTestRedis()

describe.skipIf(!enabled)('control API routes: refusals, for every route', () => {
  const rs = useRouteStack()

  // ---- refusals, for every route ---------------------------------------------------------------------

  /**
   * A schema-valid input for each POST route and the one field we then break: the 400 must name
   * exactly that field. Everything sent here is refused before any handler runs.
   */
  const HASH = 'a'.repeat(64)
  const BAD_POST: Partial<
    Record<OperationName, { valid: Record<string, unknown>; field: string; bad: unknown }>
  > = {
    'stack.pause': { valid: { target: { service: 'orch' }, reason: 'x' }, field: 'reason', bad: 42 },
    'stack.resume': { valid: { target: { service: 'orch' } }, field: 'target', bad: 'orch' },
    'stack.restart': { valid: { target: { service: 'scan' } }, field: 'target', bad: ['scan'] },
    'stack.signal': {
      valid: { target: { service: 'orch' }, signal: 'SIGUSR1' },
      field: 'signal',
      bad: 'SIGSTOP',
    },
    'workflow.saveAndRestart': {
      valid: { text: 'a = 1', baseHash: HASH },
      field: 'baseHash',
      bad: 'not-a-hash',
    },
    'workflow.recover': { valid: { action: 'dismiss' }, field: 'action', bad: 'explode' },
    'bus.killswitch.engage': { valid: { reason: 'r', confirm: true }, field: 'confirm', bad: false },
    'bus.killswitch.release': { valid: { reason: 'r', confirm: true }, field: 'reason', bad: '   ' },
    'trading.resume': { valid: { reason: 'r', confirm: true }, field: 'confirm', bad: false },
    'bus.command': {
      valid: { agentId: 'dev-agent-1', type: 'pause' },
      field: 'agentId',
      bad: 'no spaces allowed',
    },
    'config.validate': { valid: { text: 'a = 1' }, field: 'text', bad: 5 },
    'config.save': { valid: { text: 'a = 1', baseHash: HASH }, field: 'baseHash', bad: HASH.toUpperCase() },
    'config.diff': {
      valid: { backup: 'config.toml.bak.20250101_000000' },
      field: 'backup',
      bad: '../../etc/passwd',
    },
    'config.restore': {
      valid: { backup: 'config.toml.bak.20250101_000000', baseHash: HASH },
      field: 'backup',
      bad: '/etc/config.toml.bak.20250101_000000',
    },
    'schedule.preview': { valid: { rules: { start: '09:30', stop: '16:00' } }, field: 'n', bad: 0 },
    'schedule.override': { valid: { value: true }, field: 'value', bad: 'on' },
    'supervise.reset': { valid: { service: 'scan' }, field: 'service', bad: '' },
    'supervise.restart': { valid: { service: 'scan' }, field: 'reason', bad: 'x'.repeat(501) },
    'services.create': { valid: { name: 'refused', selector: { a: 'b' } }, field: 'selector', bad: {} },
    'services.update': { valid: { name: 'refused', selector: { a: 'b' } }, field: 'reload', bad: 'SIGHUP' },
    // Runs: the path's {id} and {cmd} are 'refused' too, so the body names the same run.
    'runs.create': { valid: { agent: 'refused', strategy: 's', version: '1' }, field: 'agent', bad: 'no spaces' },
    'runs.heartbeat': { valid: { id: 'refused', step: 1, checkpoint_version: 1 }, field: 'step', bad: -1 },
    'runs.transition': { valid: { id: 'refused', to: 'completed', reason: 'r' }, field: 'to', bad: 'done' },
    'runs.commands.create': { valid: { id: 'refused', type: 'pause' }, field: 'type', bad: 'explode' },
    'runs.commands.ack': { valid: { id: 'refused', cmd: 'refused', ok: true }, field: 'ok', bad: 'yes' },
  }
  /** A route path with its `{param}` segments filled in: a service, run or command named 'refused'. */
  const filled = (r: Route) => r.path.replace(/\{\w+\}/g, 'refused')

  /** GET routes with required parameters: a valid query, so the broken one is the only fault. */
  const GET_BASE: Partial<Record<OperationName, string>> = {
    'history.counts': 'from=2026-01-01T00:00:00.000Z&to=2026-01-01T01:00:00.000Z',
    'history.agent': 'agent=no-such-agent',
  }
  const withBase = (r: Route, extra: string) => `${filled(r)}?${[GET_BASE[r.op], extra].filter(Boolean).join('&')}`

  /** The bad request for a route: a broken field (POST), limit=0 (GET with a limit) or an unknown query parameter. */
  function badRequest(r: Route): {
    send: (token?: string, headers?: Record<string, string>) => Promise<ApiResponse>
    field: string
  } {
    if (r.method === 'POST' || r.method === 'PUT') {
      const spec = BAD_POST[r.op]
      if (!spec) throw new Error(`no bad-input case for ${r.op}`)
      const body = { ...spec.valid, [spec.field]: spec.bad }
      // The case must really be "valid except this field", or the test proves nothing.
      expect(inputAccepted(r.op, spec.valid), `${r.op} base input`).toBe(true)
      expect(inputAccepted(r.op, body), `${r.op} broken input`).toBe(false)
      return {
        field: `/${spec.field}`,
        send: (t, h) => rs.sut.host.client.request(r.method, filled(r), { body, ...(t ? { token: t } : {}), ...(h ? { headers: h } : {}) }),
      }
    }
    if (r.method === 'DELETE') {
      return {
        field: '/bogus',
        send: (t, h) => rs.sut.host.client.request('DELETE', `${filled(r)}?bogus=1`, { ...(t ? { token: t } : {}), ...(h ? { headers: h } : {}) }),
      }
    }
    const props = (operations[r.op].input as { properties?: Record<string, unknown> }).properties ?? {}
    if ('limit' in props)
      return { field: '/limit', send: (t, h) => rs.sut.host.client.get(withBase(r, 'limit=0'), t, h) }
    return { field: '/bogus', send: (t, h) => rs.sut.host.client.get(withBase(r, 'bogus=1'), t, h) }
  }

  function expectError(res: ApiResponse, status: number, code: string): void {
    expect(res.status, res.text.slice(0, 500)).toBe(status)
    expect(errorOf(res)?.code).toBe(code)
    expect(typeof errorOf(res)?.message).toBe('string')
    expect(res.text).not.toMatch(STACK_TRACE_RE)
  }

  const tokenFor = (r: Route) => rs.tokens[r.scope]

  describe('bad input -> 400 naming the field', () => {
    for (const r of routes) {
      it(`${r.method} ${r.path}`, async () => {
        const bad = badRequest(r)
        const res = await bad.send(r.public ? undefined : tokenFor(r))
        expectError(res, 400, 'invalid_input')
        expect(errorOf(res)?.path).toBe(bad.field)
        expect(errorOf(res)?.message).toContain(bad.field)
        if (r.method === 'GET' && bad.field === '/limit') {
          // And an unknown query parameter is named too.
          const unknown = await rs.sut.host.client.get(withBase(r, 'bogus=1'), tokenFor(r))
          expectError(unknown, 400, 'invalid_input')
          expect(errorOf(unknown)?.path).toBe('/bogus')
        }
      })
    }
  })

  describe('no token -> 401, wrong token -> 401 (the public /health answers without one)', () => {
    for (const r of routes) {
      it(`${r.method} ${r.path}`, async () => {
        const bad = badRequest(r)
        const none = await bad.send()
        if (r.public) {
          expect(r.path).toBe('/health')
          expectError(none, 400, 'invalid_input')
          expect((await rs.sut.host.client.get(r.path)).status).toBe(200)
          return
        }
        expectError(none, 401, 'unauthorized')
        expectError(await bad.send(rs.tokens.wrong), 401, 'unauthorized')
        // A malformed Authorization header is no better than none.
        expectError(await bad.send(undefined, { authorization: tokenFor(r) }), 401, 'unauthorized')
      })
    }
  })

  describe('wrong scope -> 403', () => {
    const below: Record<'operate' | 'admin', Array<'read' | 'operate'>> = {
      operate: ['read'],
      admin: ['read', 'operate'],
    }
    for (const r of routes.filter((x) => x.scope !== 'read')) {
      it(`${r.method} ${r.path} (needs ${r.scope})`, async () => {
        for (const weaker of below[r.scope as 'operate' | 'admin']) {
          const res = await badRequest(r).send(rs.tokens[weaker])
          expectError(res, 403, 'forbidden')
          expect(errorOf(res)?.message).toContain(r.scope)
        }
      })
    }
    it('every read route answers the read token (no hidden scope)', async () => {
      for (const r of routes.filter((x) => x.scope === 'read' && x.method === 'GET')) {
        const res = await rs.sut.host.client.get(GET_BASE[r.op] ? withBase(r, '') : filled(r), rs.tokens.read)
        // A path naming one thing ('refused') may find nothing: 404 is an answer, a 403 is not.
        if (r.params.length > 0 && res.status === 404) expect(errorOf(res)?.code).toBe('not_found')
        else expect(res.status, `${r.path}: ${res.text.slice(0, 300)}`).toBe(200)
      }
    })
  })

  describe('foreign Host -> 421, foreign Origin -> 403', () => {
    for (const r of routes) {
      it(`${r.method} ${r.path}`, async () => {
        const bad = badRequest(r)
        const token = r.public ? undefined : tokenFor(r)
        expectError(await bad.send(token, { host: `evil.example:${rs.sut.host.port}` }), 421, 'forbidden')
        expectError(await bad.send(token, { host: `127.0.0.1:${rs.sut.host.port + 1}` }), 421, 'forbidden')
        expectError(await bad.send(token, { origin: 'https://evil.example' }), 403, 'forbidden')
        expectError(
          await bad.send(token, { origin: `http://127.0.0.1.evil.example:${rs.sut.host.port}` }),
          403,
          'forbidden',
        )
        // Its own origin passes the guard (and then meets the 400 of the bad input).
        expectError(
          await bad.send(token, { origin: `http://127.0.0.1:${rs.sut.host.port}` }),
          400,
          'invalid_input',
        )
      })
    }
    it('guards the public documents too', async () => {
      for (const p of ['/openapi.json', '/docs', '/health']) {
        expect(
          (await rs.sut.host.client.get(p, undefined, { host: `evil.example:${rs.sut.host.port}` })).status,
        ).toBe(421)
        expect((await rs.sut.host.client.get(p, undefined, { origin: 'https://evil.example' })).status).toBe(
          403,
        )
      }
    })
  })

  describe('rate limit -> 429 (a host of its own, so nothing else is throttled)', () => {
    let limited: BuiltStackdeck
    beforeAll(async () => {
      limited = await startStackdeckUnderTest({
        tokens: rs.tokens,
        tag: `${rs.sut.tag}-rl`,
        api: { rateLimitPerMinute: 5 },
        schedule: { enabled: false },
      })
    })
    afterAll(async () => {
      await limited?.stop()
    })

    it('answers 429 with rate_limited once a token spends its budget, per token', async () => {
      const statuses: number[] = []
      let refused: ApiResponse | undefined
      for (let i = 0; i < 8; i++) {
        const r = await limited.client.get('/status', rs.tokens.read)
        statuses.push(r.status)
        if (r.status === 429) refused ??= r
      }
      // A budget of 5 per minute: 5 pass (a 6th at most if a refill landed), then refusals.
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200])
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2)
      expect(statuses.every((s) => s === 200 || s === 429)).toBe(true)
      expect(refused && errorOf(refused)?.code).toBe('rate_limited')
      expect(typeof (refused && errorOf(refused)?.message)).toBe('string')
      // Buckets are per token, and the public health check is not metered.
      expect((await limited.client.get('/status', rs.tokens.operate)).status).toBe(200)
      expect((await limited.client.get('/health')).status).toBe(200)
    })
  })
})
