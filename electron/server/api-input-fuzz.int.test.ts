/**
 * Inputs that used to be silently rewritten or defaulted, on the REAL built host with the private
 * Docker engine and Redis behind it: `null` bodies, empty bodies where input is required,
 * non-finite numbers (1e999: whatever the validator makes of them, never a 5xx and never an act),
 * invalid UTF-8 (400 naming the byte offset), lone surrogates (400 naming the field), and the
 * status of Save & Restart outcomes. Seeded (printed; STACKDECK_FUZZ_SEED replays) and bounded.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { operations, type OperationName } from '@core/api/contract'
import { hasTestDocker } from '../../test-support/docker-fixtures'
import { hasTestRedis } from '../../test-support/redis-fixture'
import {
  ensureBuilt,
  errorOf,
  makeTokens,
  randomTag,
  type ApiHost,
  type ApiResponse,
} from '../../test-support/api-harness'
import {
  baseOf,
  CaseRunner,
  HASH,
  isSafe,
  postTargets,
  rawRequest,
  required,
  startFuzzHost,
  type Case,
} from '../../test-support/request-fuzz'

const enabled = hasTestDocker() && hasTestRedis()
const tokens = makeTokens()
const SEED = Number(process.env['STACKDECK_FUZZ_SEED'] ?? Date.now() % 2_147_483_647)
const tokenFor = (op: OperationName) => tokens[operations[op].scope]

describe.skipIf(!enabled)(
  'fuzzing inputs: null, non-finite numbers, invalid UTF-8, outcome statuses (real host, engine, Redis)',
  () => {
    let host: ApiHost
    let cleanup: (() => Promise<void>) | undefined
    const runner = new CaseRunner()
    const raw = (method: string, path: string, headers: Array<[string, string]>, body?: Buffer | string) =>
      rawRequest(host, method, path, headers, body)
    const runCases = (cases: Case[]) => runner.run(cases)

    beforeAll(async () => {
      ensureBuilt()
      const started = await startFuzzHost(`api-input-fuzz-${randomTag()}`, tokens)
      host = started.host
      cleanup = () => started.cleanup()
      console.log(`[api-input-fuzz] seed ${SEED} (set STACKDECK_FUZZ_SEED to replay)`)
    })
    afterAll(async () => {
      await cleanup?.()
    })

    it('null bodies are refused on every POST target; an empty body is refused where input is required', async () => {
      const cases: Case[] = []
      for (const t of postTargets) {
        const token = [
          ['authorization', `Bearer ${tokenFor(t.op)}`],
          ['content-type', 'application/json'],
        ] as Array<[string, string]>
        for (const body of ['null', ' null ', '\nnull\n', '\uFEFFnull']) {
          const isBom = body.startsWith('\uFEFF')
          cases.push({
            label: `POST ${t.path} ${JSON.stringify(body)}`,
            send: () => raw('POST', t.path, token, body),
            expectStatus: 400,
            check: (r) =>
              isBom || (errorOf(r)?.path === '/' && String(errorOf(r)?.message).includes('not null'))
                ? []
                : ['the refusal does not say null at path /'],
          })
        }
        // An empty body for an operation that changes things and needs no input would act: only send it where it must be refused.
        if (required(t.op)) {
          cases.push({
            label: `POST ${t.path} (empty, input required)`,
            send: () => raw('POST', t.path, token),
            expectStatus: 400,
            check: (r) =>
              typeof errorOf(r)?.path === 'string' && errorOf(r)?.path !== '/' ? [] : ['no field named'],
          })
        }
      }
      expect(await runCases(cases)).toEqual([])
      expect(host.alive()).toBe(true)
    })

    it('non-finite numbers (1e999, -1e999, 1e400) anywhere: no 5xx, and nothing acts', async () => {
      const cases: Case[] = []
      const NON_FINITE = ['1e999', '-1e999', '1e400', '-1e400']
      for (const t of postTargets) {
        const base = baseOf(t.op)
        const token: Array<[string, string]> = [
          ['authorization', `Bearer ${tokenFor(t.op)}`],
          ['content-type', 'application/json'],
        ]
        const props = Object.keys((operations[t.op].input as { properties?: object }).properties ?? {})
        for (const n of NON_FINITE) {
          // As an unknown key: refused by every op whatever ajv makes of the number.
          cases.push({
            label: `POST ${t.path} {"x":${n}}`,
            send: () => raw('POST', t.path, token, `{"~x":${n}}`),
            expectStatus: 400,
          })
          cases.push({ label: `POST ${t.path} ${n}`, send: () => raw('POST', t.path, token, n) })
          if (!base) continue
          // In each real field of a body the core refuses (or, for read operations, answers).
          for (const f of props) {
            const body = JSON.stringify({ ...base, [f]: '@@' }).replace('"@@"', n)
            cases.push({
              label: `POST ${t.path} ${f}=${n}`,
              send: () => raw('POST', t.path, token, body),
              check: (r) =>
                !isSafe(t.op) && r.status < 300 ? ['an operation that changes things answered 2xx'] : [],
            })
          }
        }
      }
      // And in GET query strings, which are converted to numbers by type.
      for (const q of ['limit=1e999', 'since=1e999', 'limit=Infinity', 'since=-1e400', 'limit=NaN']) {
        for (const p of ['/bus/events', '/audit', '/workflow/history'])
          cases.push({
            label: `GET ${p}?${q}`,
            send: () => raw('GET', `${p}?${q}`, [['authorization', `Bearer ${tokens.read}`]]),
          })
      }
      expect(await runCases(cases)).toEqual([])
      expect(host.alive()).toBe(true)
    })

    it('invalid UTF-8 is 400 naming the byte offset; a lone surrogate is 400 naming the field', async () => {
      const auth: Array<[string, string]> = [
        ['authorization', `Bearer ${tokens.read}`],
        ['content-type', 'application/json'],
      ]
      const r = await raw(
        'POST',
        '/config/validate',
        auth,
        Buffer.concat([Buffer.from('{"text":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]),
      )
      expect(r.status).toBe(400)
      expect(errorOf(r)?.message).toBe('Body is not valid UTF-8: byte 0xE9 at offset 12')
      const s = await raw('POST', '/config/validate', auth, '{"text":"x = \\"\\ud800\\""}')
      expect(s.status).toBe(400)
      expect(errorOf(s)?.path).toBe('/text')
      expect(errorOf(s)?.message).toContain('lone surrogate (U+D800) at character offset 5')

      const BAD = [
        [0xe9],
        [0xff],
        [0xc0, 0x80],
        [0xed, 0xa0, 0x80],
        [0xf4, 0x90, 0x80, 0x80],
        [0x80],
        [0xe2, 0x82],
      ]
      const bodies = fc.sample(
        fc.tuple(fc.string({ maxLength: 20 }), fc.constantFrom(...BAD), fc.string({ maxLength: 20 })),
        { numRuns: 300, seed: SEED + 7 },
      )
      const cases: Case[] = bodies.flatMap(([pre, bad, post]) => {
        const head = Buffer.from(`{"text":${JSON.stringify(pre).slice(0, -1)}`)
        const body = Buffer.concat([head, Buffer.from(bad), Buffer.from(`${JSON.stringify(post).slice(1)}}`)])
        return postTargets
          .filter(
            (t) => t.op === 'config.validate' || t.op === 'config.save' || t.op === 'workflow.saveAndRestart',
          )
          .map((t) => ({
            label: `POST ${t.path} bad byte after ${head.length}`,
            send: () =>
              raw(
                'POST',
                t.path,
                [
                  ['authorization', `Bearer ${tokens.admin}`],
                  ['content-type', 'application/json'],
                ],
                body,
              ),
            expectStatus: 400,
            check: (a: ApiResponse) =>
              String(errorOf(a)?.message).includes(`at offset ${head.length}`)
                ? []
                : [`offset ${head.length} not named`],
          }))
      })
      expect(await runCases(cases)).toEqual([])
    })

    it('POST /save-and-restart says its outcome in the status: 422 for a refused config, 409 for a stale hash', async () => {
      const loaded = await host.client.get('/config', tokens.read)
      expect(loaded.status).toBe(200)
      const { hash, text } = loaded.json as { hash: string; text: string }
      const broken = await host.client.post(
        '/save-and-restart',
        { text: 'this is [[ not toml', baseHash: hash, reason: 'fuzz' },
        tokens.operate,
      )
      expect(broken.status, broken.text.slice(0, 300)).toBe(422)
      expect(broken.json).toMatchObject({ outcome: 'failed', errorCode: 'parse_error' })
      const stale = await host.client.post(
        '/save-and-restart',
        { text, baseHash: HASH, reason: 'fuzz' },
        tokens.operate,
      )
      expect(stale.status).toBe(409)
      expect(stale.json).toMatchObject({ outcome: 'failed', errorCode: 'conflict' })
      // The RPC door keeps 200 for the same report: its clients read the envelope.
      const rpc = await host.client.post(
        '/api/rpc/workflow.saveAndRestart',
        { text, baseHash: HASH },
        tokens.operate,
      )
      expect(rpc.status).toBe(200)
      expect(rpc.json).toMatchObject({ ok: true, result: { outcome: 'failed', errorCode: 'conflict' } })
      // Only 'text' with 'value' as well: refused naming the field.
      const both = await host.client.post('/api/rpc/config.validate', { text, value: {} }, tokens.read)
      expect(both.status).toBe(400)
      expect(errorOf(both)?.path).toBe('/value')
    })

    it('afterwards: the host is up, answered no 5xx, and logged no internal error', async () => {
      console.log(`[api-input-fuzz] statuses: ${runner.summary()}`)
      expect([...runner.statuses.keys()].filter((s) => s >= 500)).toEqual([])
      expect(host.alive()).toBe(true)
      expect((await host.client.get('/health')).status).toBe(200)
      expect(host.output()).not.toMatch(/request failed|internal error|FATAL/)
      const audit = await host.client.get('/audit?limit=500', tokens.read)
      const records = (audit.json as { records: Array<{ action: string; outcome: string }> }).records
      expect(records.filter((r) => r.outcome === 'ok' || r.outcome === 'partial')).toEqual([])
    })
  },
)
