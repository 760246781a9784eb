/**
 * Hostile requests beyond the body (api-fuzz.int.test.ts fuzzes bodies; api-input-fuzz.int.test.ts
 * null, non-finite and non-UTF-8 inputs): static and odd paths, duplicate headers on HTTP and on
 * the WebSocket upgrade, and content types, on the REAL built host with the private Docker engine
 * and Redis behind it. Seeded (printed; STACKDECK_FUZZ_SEED replays) and bounded.
 *
 * Asserted for every answer: no 5xx, no stack trace, every 4xx carries error.code and message;
 * plus the status each case must get (400, 415). Operations that change anything only ever get
 * requests that are refused before or by the core.
 */
import { connect } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { operations, type OperationName } from '@core/api/contract'
import { hasTestDocker } from '../../test-support/docker-fixtures'
import { hasTestRedis } from '../../test-support/redis-fixture'
import { ensureBuilt, errorOf, makeTokens, randomTag, type ApiHost } from '../../test-support/api-harness'
import {
  CaseRunner,
  postTargets,
  rawRequest,
  refusedBody,
  startFuzzHost,
  type Case,
} from '../../test-support/request-fuzz'

const enabled = hasTestDocker() && hasTestRedis()
const tokens = makeTokens()
const SEED = Number(process.env['STACKDECK_FUZZ_SEED'] ?? Date.now() % 2_147_483_647)
const tokenFor = (op: OperationName) => tokens[operations[op].scope]
/** As the host decides it: a path `decodeURIComponent` cannot decode is a 400. */
const badPercent = (path: string) => {
  try {
    return decodeURIComponent(new URL(path, 'http://x').pathname) === null
  } catch {
    return true
  }
}

describe.skipIf(!enabled)(
  'fuzzing requests beyond bodies: paths, headers, content types (real host, engine, Redis)',
  () => {
    let host: ApiHost
    let cleanup: (() => Promise<void>) | undefined
    const runner = new CaseRunner()
    const raw = (method: string, path: string, headers: Array<[string, string]>, body?: Buffer | string) =>
      rawRequest(host, method, path, headers, body)
    const runCases = (cases: Case[]) => runner.run(cases)

    beforeAll(async () => {
      ensureBuilt()
      const started = await startFuzzHost(`api-request-fuzz-${randomTag()}`, tokens)
      host = started.host
      cleanup = () => started.cleanup()
      console.log(`[api-request-fuzz] seed ${SEED} (set STACKDECK_FUZZ_SEED to replay)`)
    })
    afterAll(async () => {
      await cleanup?.()
    })

    it('static and odd paths: bad percent-encoding is 400, nothing is 5xx', async () => {
      const segment = fc.oneof(
        fc.constantFrom(
          '%',
          '%zz',
          '%ff',
          '%e9',
          '%00',
          '%2e%2e',
          '..',
          '%2f',
          '',
          'assets',
          'index.html',
          '%c0%af',
          '%%',
          '%u002e',
          '%ed%a0%80',
          'api',
          'rpc',
          'ws',
          'docs',
        ),
        fc.stringMatching(/^[A-Za-z0-9%._~!$&'()*+,;=:@-]{1,24}$/),
        fc.constant('a'.repeat(300)),
      )
      const paths = fc.sample(
        fc
          .tuple(
            fc.array(segment, { minLength: 1, maxLength: 6 }),
            fc.stringMatching(/^(\?[A-Za-z0-9%=&]{0,20})?$/),
          )
          .map(([s, q]) => `/${s.join('/')}${q}`),
        { numRuns: 600, seed: SEED },
      )
      paths.push(
        '/%',
        '/%zz',
        '/assets/%ff',
        '/assets/%e9.js',
        '/%2e%2e/%2e%2e/etc/passwd',
        '/..%2f..%2fetc%2fpasswd',
      )
      const cases: Case[] = paths.flatMap((p) => {
        const expectStatus = badPercent(p) ? 400 : undefined
        return [
          { label: `GET ${p}`, send: () => raw('GET', p, []), ...(expectStatus ? { expectStatus } : {}) },
          {
            label: `GET ${p} (token)`,
            send: () => raw('GET', p, [['authorization', `Bearer ${tokens.read}`]]),
            ...(expectStatus ? { expectStatus } : {}),
          },
        ]
      })
      expect(await runCases(cases), `seed ${SEED}`).toEqual([])
      for (const p of ['/%', '/%zz', '/assets/%ff']) expect((await raw('GET', p, [])).status, p).toBe(400)
      expect(host.alive()).toBe(true)
    })

    it('duplicate Host, Authorization, Origin and Content-Type headers are 400, on HTTP and on the WS upgrade', async () => {
      const h = host.hostHeader
      const own = `http://${h}`
      const auth = `Bearer ${tokens.read}`
      const dups: Array<[string, Array<[string, string]>]> = [
        [
          'two equal Hosts',
          [
            ['host', h],
            ['host', h],
          ],
        ],
        [
          'an allowed and a foreign Host',
          [
            ['host', h],
            ['host', 'evil.example'],
          ],
        ],
        [
          'a foreign and an allowed Host',
          [
            ['host', 'evil.example'],
            ['host', h],
          ],
        ],
        [
          'two Authorizations',
          [
            ['authorization', auth],
            ['authorization', 'Bearer nope-0123456789abcdef'],
          ],
        ],
        [
          'two Origins',
          [
            ['origin', own],
            ['origin', own],
          ],
        ],
        [
          'two Content-Types',
          [
            ['content-type', 'application/json'],
            ['content-type', 'text/plain'],
          ],
        ],
      ]
      const cases: Case[] = []
      for (const [what, headers] of dups) {
        const withAuth: Array<[string, string]> = headers.some(([k]) => k === 'authorization')
          ? headers
          : [...headers, ['authorization', auth]]
        cases.push({
          label: `GET /status, ${what}`,
          send: () => raw('GET', '/status', withAuth),
          expectStatus: 400,
        })
        cases.push({
          label: `GET /health, ${what}`,
          send: () => raw('GET', '/health', headers),
          expectStatus: 400,
        })
        cases.push({
          label: `POST /api/rpc/app.info, ${what}`,
          send: () => raw('POST', '/api/rpc/app.info', withAuth, '{}'),
          expectStatus: 400,
        })
      }
      expect(await runCases(cases)).toEqual([])
      const one = await raw('GET', '/health', [
        ['host', h],
        ['host', h],
      ])
      expect(errorOf(one)?.message).toBe('The request carries 2 host headers; send exactly one')

      // The upgrade, by hand: ws clients cannot send a header twice.
      const upgrade = (extra: string) =>
        new Promise<string>((resolve, reject) => {
          const sock = connect(host.port, '127.0.0.1')
          let got = ''
          // The answer's head is all we need; a 101 leaves the socket open, so stop reading there.
          sock.on('data', (d: Buffer) => {
            got += d.toString('latin1')
            if (got.includes('\r\n\r\n')) {
              sock.destroy()
              resolve(got)
            }
          })
          sock.on('close', () => resolve(got))
          sock.on('error', reject)
          sock.write(
            `GET /api/ws HTTP/1.1\r\nHost: ${h}\r\n${extra}Upgrade: websocket\r\nConnection: Upgrade\r\n` +
              `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n` +
              `Sec-WebSocket-Protocol: stackdeck.v1, bearer.${tokens.read}\r\n\r\n`,
          )
        })
      expect(await upgrade(`Host: evil.example\r\n`)).toMatch(/^HTTP\/1\.1 400 /)
      expect(await upgrade(`Origin: ${own}\r\nOrigin: https://evil.example\r\n`)).toMatch(/^HTTP\/1\.1 400 /)
      expect(await upgrade('')).toMatch(/^HTTP\/1\.1 101 /)
      expect(host.alive()).toBe(true)
    })

    it('content types: anything but JSON is 415 on every POST target; a body without one is 415 too', async () => {
      const notJson = [
        'text/plain',
        'text/plain;charset=UTF-8',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/jsonp',
        'json',
        '',
        'application/json; charset=latin1',
        'application/json; charset=utf-16',
        '*/*',
      ]
      const json = [
        'application/json',
        'APPLICATION/JSON',
        'application/json; charset=utf-8',
        'application/json;charset="UTF-8"',
        'application/merge-patch+json',
      ]
      const cases: Case[] = []
      for (const t of postTargets) {
        const token = tokenFor(t.op)
        const body = JSON.stringify(refusedBody(t.op))
        for (const ct of notJson) {
          cases.push({
            label: `POST ${t.path} content-type "${ct}"`,
            send: () =>
              raw(
                'POST',
                t.path,
                [
                  ['authorization', `Bearer ${token}`],
                  ['content-type', ct],
                ],
                body,
              ),
            expectStatus: 415,
          })
        }
        // JSON types pass the door and meet the validator: 400 for the unknown key, never 415.
        for (const ct of json) {
          cases.push({
            label: `POST ${t.path} content-type "${ct}"`,
            send: () =>
              raw(
                'POST',
                t.path,
                [
                  ['authorization', `Bearer ${token}`],
                  ['content-type', ct],
                ],
                body,
              ),
            expectStatus: 400,
          })
        }
        cases.push({
          label: `POST ${t.path} body without content-type`,
          send: () => raw('POST', t.path, [['authorization', `Bearer ${token}`]], body),
          expectStatus: 415,
        })
      }
      expect(await runCases(cases)).toEqual([])
      // An empty body with no content type is "no input": fine where the input is all optional.
      expect(
        (await raw('POST', '/api/rpc/app.info', [['authorization', `Bearer ${tokens.read}`]])).status,
      ).toBe(200)
      expect(host.alive()).toBe(true)
    })

    it('afterwards: the host is up, answered no 5xx, and logged no internal error', async () => {
      console.log(`[api-request-fuzz] statuses: ${runner.summary()}`)
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
