import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CallContext } from '../api/call-context'
import { CoreError } from '../errors'
import { AuditLog } from './audit-log'
import { auditedHandlers, defaultOutcomeOf } from './audited-handlers'
import { createAuditHandlers } from './audit-handlers'
import { canonicalJson, digestInput } from './input-digest'

let dir: string
let log: AuditLog
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stackdeck-audited-'))
  log = new AuditLog({ path: join(dir, 'audit.jsonl') })
})
afterEach(async () => {
  await log.close()
  await rm(dir, { recursive: true, force: true })
})

const ctx: CallContext = { who: 'trader', door: 'ws' }

function table() {
  const calls: string[] = []
  const handlers = {
    'stack.pause': async (input: { target?: { service?: string }; reason?: string }, _c: CallContext) => {
      calls.push('pause')
      return { ok: true, target: input.target ?? {} }
    },
    'stack.resume': async (_input: { reason?: string }, _c: CallContext) => ({ ok: false }),
    'config.save': async (_input: { text: string; baseHash: string; token?: string }, _c: CallContext) => {
      throw new CoreError('conflict', 'the file changed on disk')
    },
    'bus.command': async (_input: { agentId: string }, _c: CallContext) => {
      throw new CoreError('unavailable', 'redis is down')
    },
    'workflow.saveAndRestart': async (_input: { baseHash: string }, _c: CallContext) => ({
      outcome: 'applied_unconfirmed',
      newHash: 'b'.repeat(64),
      diff: { summary: '1 change', changes: [{ pointer: '/risk/max', apply: 'reload' }] },
    }),
    'app.info': async (_input: object, _c: CallContext) => ({ name: 'stackdeck' }),
    'app.crash': async (_input: object, _c: CallContext) => {
      throw new TypeError('boom')
    },
  }
  return { handlers, calls }
}

describe('auditedHandlers', () => {
  it('records who, door, target, reason and outcome of a successful call, after the call', async () => {
    const { handlers, calls } = table()
    const h = auditedHandlers(handlers, log, ['stack.pause'])
    const result = await h['stack.pause']({ target: { service: 'scanner' }, reason: 'lunch' }, ctx)
    expect(result).toEqual({ ok: true, target: { service: 'scanner' } })
    expect(calls).toEqual(['pause'])
    const { records } = await log.query({})
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({
      who: 'trader',
      door: 'ws',
      action: 'stack.pause',
      target: 'service:scanner',
      reason: 'lunch',
      outcome: 'ok',
      detail: {
        input: { target: { service: 'scanner' }, reason: 'lunch' },
        inputSha256: expect.stringMatching(/^[a-f0-9]{64}$/) as unknown,
      },
    })
  })

  it('maps results and error codes to outcomes, and rethrows errors unchanged', async () => {
    const { handlers } = table()
    const h = auditedHandlers(handlers, log, [
      'stack.resume',
      'config.save',
      'bus.command',
      'workflow.saveAndRestart',
      'app.crash',
    ])
    await h['stack.resume']({}, ctx)
    await expect(h['config.save']({ text: 'a = 1', baseHash: 'a'.repeat(64) }, ctx)).rejects.toMatchObject({
      code: 'conflict',
    })
    await expect(h['bus.command']({ agentId: 'exec-1' }, ctx)).rejects.toMatchObject({ code: 'unavailable' })
    await h['workflow.saveAndRestart']({ baseHash: 'a'.repeat(64) }, ctx)
    await expect(h['app.crash']({}, ctx)).rejects.toBeInstanceOf(TypeError)
    const { records } = await log.query({})
    expect(records.map((r) => [r.action, r.outcome])).toEqual([
      ['stack.resume', 'partial'],
      ['config.save', 'refused'],
      ['bus.command', 'failed'],
      ['workflow.saveAndRestart', 'partial'],
      ['app.crash', 'failed'],
    ])
    expect(records[1]?.detail).toMatchObject({
      error: { code: 'conflict', message: 'the file changed on disk' },
    })
    expect(records[2]?.target).toBe('agent:exec-1')
    expect(records[3]?.configDiffHash).toMatch(/^[a-f0-9]{64}$/)
    expect(records[3]?.detail).toMatchObject({ config: { from: 'a'.repeat(64), to: 'b'.repeat(64) } })
    expect(records[4]?.detail).toMatchObject({ error: { code: 'internal', message: 'boom' } })
  })

  it('leaves unlisted operations alone', async () => {
    const { handlers } = table()
    const h = auditedHandlers(handlers, log, ['stack.pause'])
    expect(h['app.info']).toBe(handlers['app.info'])
    await h['app.info']({}, ctx)
    expect((await log.query({})).records).toHaveLength(0)
  })

  it('refuses to wrap an operation that has no handler (a typo would go unaudited)', () => {
    const { handlers } = table()
    expect(() => auditedHandlers(handlers, log, ['stack.pasue'])).toThrow(/stack\.pasue/)
  })

  it('never stores secrets or whole config texts', async () => {
    const { handlers } = table()
    const h = auditedHandlers(handlers, log, ['config.save'])
    const text = `[risk]\nmax_position = 5\n${'# padding\n'.repeat(100)}`
    await h['config.save']({ text, baseHash: 'a'.repeat(64), token: 'sup3r-s3cret-t0ken' }, ctx).catch(
      () => undefined,
    )
    const raw = await readFile(join(dir, 'audit.jsonl'), 'utf8')
    expect(raw).not.toContain('sup3r-s3cret-t0ken')
    expect(raw).not.toContain('max_position = 5')
    expect(raw).toContain('[redacted]')
    expect(raw).toMatch(/\[\d+ chars, sha256 [a-f0-9]{16}\]/)
  })

  it('answers the caller even when the audit record cannot be written', async () => {
    const { handlers } = table()
    const problems: string[] = []
    const h = auditedHandlers(handlers, log, ['stack.pause'], { log: (m) => problems.push(m) })
    await log.close()
    await expect(h['stack.pause']({}, ctx)).resolves.toMatchObject({ ok: true })
    expect(problems).toEqual([expect.stringContaining('could not record stack.pause by trader')])
  })

  it('lets the composition root override outcome and description', async () => {
    const { handlers } = table()
    const h = auditedHandlers(handlers, log, ['stack.pause'], {
      outcomeOf: () => 'partial',
      describe: (action) => ({ target: `custom:${action}`, detail: { extra: 1 } }),
    })
    await h['stack.pause']({}, ctx)
    const [r] = (await log.query({})).records
    expect(r).toMatchObject({ outcome: 'partial', target: 'custom:stack.pause', detail: { extra: 1 } })
  })
})

describe('outcome reading', () => {
  it('reads the contract result shapes', () => {
    expect(defaultOutcomeOf('x', undefined)).toBe('ok')
    expect(defaultOutcomeOf('x', { ok: true })).toBe('ok')
    expect(defaultOutcomeOf('x', { outcome: 'applied' })).toBe('ok')
    expect(defaultOutcomeOf('x', { outcome: 'unpause_failed' })).toBe('failed')
    expect(
      defaultOutcomeOf('x', { actions: { store: { status: 'ok' }, trading: { status: 'failed' } } }),
    ).toBe('partial')
  })
})

describe('input digest', () => {
  it('hashes equal inputs equally whatever the key order, and differently otherwise', () => {
    expect(digestInput({ a: 1, b: { c: 2, d: 3 } }).sha256).toBe(
      digestInput({ b: { d: 3, c: 2 }, a: 1 }).sha256,
    )
    expect(digestInput({ a: 1 }).sha256).not.toBe(digestInput({ a: 2 }).sha256)
    expect(canonicalJson({ b: [1, { y: 1, x: 2 }], a: null })).toBe('{"a":null,"b":[1,{"x":2,"y":1}]}')
  })

  it('does not let a secret influence the hash', () => {
    expect(digestInput({ password: 'one' }).sha256).toBe(digestInput({ password: 'two' }).sha256)
  })
})

describe('createAuditHandlers', () => {
  it('serves audit.query from the log', async () => {
    await log.append({ who: 'a', door: 'system', action: 'x.y', outcome: 'ok' })
    const h = createAuditHandlers(log)
    const page = await h['audit.query']({ limit: 10 }, ctx)
    expect(page.records.map((r) => r.action)).toEqual(['x.y'])
  })
})
