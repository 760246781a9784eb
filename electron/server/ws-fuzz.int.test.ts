/**
 * The WebSocket door under hostile frames, on the REAL built host with the private Docker engine
 * and Redis behind it (one malformed frame used to end the process).
 *
 * - The 11 protocol cases, each on its own raw socket (test-support/ws-raw.ts builds frames no
 *   library will): `null`, a non-JSON frame, `input: null`, invalid UTF-8 (1007), over the size
 *   limit (1009), unmasked, opcode 3, RSV1, a stray continuation, close code 999 and a 200-byte
 *   ping (1002). Each is answered or closes only its own socket with that code.
 * - At least 1,000 random frames, seeded (printed; STACKDECK_FUZZ_SEED replays): messages through a
 *   real client (every one must be answered) and raw frames with random header bits (each socket is
 *   closed, or still answers a probe sent after the garbage).
 * After each batch `/health` answers, a bystander connection still answers, the process is alive,
 * and the stack was never touched (the fuzzing token has the read scope; unsafe ops are forbidden).
 */
import fc from 'fast-check'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { operations, type OperationName } from '@core/api/contract'
import { hasTestDocker } from '../../test-support/docker-fixtures'
import { hasTestRedis } from '../../test-support/redis-fixture'
import { startStackdeckUnderTest } from '../../test-support/stackdeck-under-test'
import {
  dockerStates,
  makeTokens,
  randomTag,
  type ApiHost,
} from '../../test-support/api-harness'
import { closeFrame, encodeFrame, openRawWs, textFrame, type RawWs } from '../../test-support/ws-raw'

const enabled = hasTestDocker() && hasTestRedis()
const RUN = `wsfuzz-${randomTag()}`
const TAG = `ws-${RUN}`
const tokens = makeTokens()
const SEED = Number(process.env['STACKDECK_FUZZ_SEED'] ?? Date.now() % 2_147_483_647)
const RANDOM_FRAMES = Number(process.env['STACKDECK_WS_FUZZ_FRAMES'] ?? 1200)
const MAX_PAYLOAD = 65_536
const BATCH = 100

const opNames = Object.keys(operations) as OperationName[]
const PROBE = '{"id":"probe","op":"app.health","input":{}}'

type Reply = {
  id?: unknown
  frame?: unknown
  ok?: unknown
  error?: { code?: unknown; message?: unknown; path?: unknown }
  event?: unknown
}

describe.skipIf(!enabled)('fuzzing the WebSocket door (real host, engine, Redis)', () => {
  let host: ApiHost
  let fixtures: string[] = []
  let stop: (() => Promise<void>) | undefined
  let bystander: WebSocket
  const bystanderReplies: Reply[] = []

  const open = (token = tokens.read) =>
    openRawWs(host.port, host.hostHeader, ['stackdeck.v1', `bearer.${token}`])
  const replies = (r: RawWs) =>
    (r.messages() as Reply[]).filter((m) => m && typeof m === 'object' && m.event === undefined)

  /** The host is alive, /health answers, and a connection that sent nothing wrong still answers. */
  async function stillServing(label: string) {
    expect(host.alive(), `${label}: host process alive`).toBe(true)
    const h = await host.client.get('/health')
    expect(h.status, `${label}: /health`).toBe(200)
    const id = `by-${label}-${Date.now()}`
    bystander.send(JSON.stringify({ id, op: 'app.info', input: {} }))
    await expect
      .poll(() => bystanderReplies.some((r) => r.id === id && r.ok === true), { timeout: 5000 })
      .toBe(true)
  }

  beforeAll(async () => {
    const sut = await startStackdeckUnderTest({
      run: RUN,
      tag: TAG,
      tokens,
      fixtures: { orch: { count: 1 } },
      services: (labels) => [
        { name: 'orch', selector: labels('orch'), reload: { signal: 'SIGUSR1', timeoutMs: 5000 } },
      ],
      api: { maxBodyBytes: MAX_PAYLOAD, rateLimitPerMinute: 100_000 },
    })
    stop = sut.stop
    host = sut.host
    fixtures = sut.fixtures['orch'] ?? []
    bystander = new WebSocket(`ws://127.0.0.1:${host.port}/api/ws`, ['stackdeck.v1', `bearer.${tokens.read}`])
    await new Promise((res, rej) => {
      bystander.once('open', res)
      bystander.once('error', rej)
    })
    bystander.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString('utf8')) as Reply
      if (m.event === undefined) bystanderReplies.push(m)
    })
    console.log(`[ws-fuzz] seed ${SEED} (set STACKDECK_FUZZ_SEED to replay), ${RANDOM_FRAMES} random frames`)
  })

  afterAll(async () => {
    bystander?.close()
    await stop?.()
  })

  // ---- the 11 protocol cases ----------------------------------------------------------------------

  const answered: Array<[string, string | Buffer, (r: Reply) => void]> = [
    [
      'the text frame null',
      'null',
      (r) =>
        expect(r).toMatchObject({
          id: null,
          frame: 1,
          ok: false,
          error: {
            code: 'invalid_input',
            path: '/',
            message: 'frame 1 must be a JSON object {"id", "op", "input"}, not null',
          },
        }),
    ],
    [
      'a frame that is not JSON',
      '{"id":1,',
      (r) =>
        expect(r).toMatchObject({
          id: null,
          frame: 1,
          ok: false,
          error: {
            code: 'invalid_input',
            path: '/',
            message: expect.stringMatching(/^frame 1 is not JSON/) as unknown,
          },
        }),
    ],
    [
      'input: null (even with the operate scope)',
      '{"id":5,"op":"stack.pause","input":null}',
      (r) =>
        expect(r).toMatchObject({
          id: 5,
          frame: 1,
          ok: false,
          error: {
            code: 'invalid_input',
            path: '/',
            message: 'stack.pause: input must be a JSON object, not null',
          },
        }),
    ],
  ]
  for (const [what, frame, check] of answered) {
    it(`answers ${what} with an error naming the frame, and the socket stays usable`, async () => {
      const c = await open(tokens.operate)
      c.write(textFrame(frame))
      c.write(textFrame(PROBE))
      expect(await c.until(() => replies(c).length >= 2)).toBe(true)
      check(replies(c)[0] as Reply)
      expect(replies(c)[1]).toMatchObject({ id: 'probe', ok: true })
      c.destroy()
      await stillServing(what)
    })
  }

  const closing: Array<[string, () => Buffer, number]> = [
    ['a text frame with invalid UTF-8', () => textFrame(Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d])), 1007],
    [
      'a frame over the size limit',
      () => encodeFrame({ opcode: 1, payload: Buffer.alloc(16, 0x20), declaredLength: MAX_PAYLOAD + 1 }),
      1009,
    ],
    ['an unmasked frame', () => encodeFrame({ opcode: 1, payload: Buffer.from(PROBE), masked: false }), 1002],
    ['opcode 3 (reserved)', () => encodeFrame({ opcode: 3, payload: Buffer.from('x') }), 1002],
    [
      'RSV1 without a negotiated extension',
      () => encodeFrame({ opcode: 1, payload: Buffer.from(PROBE), rsv: 4 }),
      1002,
    ],
    ['a stray continuation frame', () => encodeFrame({ opcode: 0, payload: Buffer.from('x') }), 1002],
    ['close code 999', () => closeFrame(999), 1002],
    ['a 200-byte ping', () => encodeFrame({ opcode: 9, payload: Buffer.alloc(200, 0x61) }), 1002],
  ]
  for (const [what, frame, code] of closing) {
    it(`closes only the socket that sent ${what}, with ${code}`, async () => {
      const c = await open()
      c.write(frame())
      expect(await c.until(() => c.closeCode() !== null || c.ended())).toBe(true)
      expect(c.closeCode()).toBe(code)
      c.destroy()
      await stillServing(what)
    })
  }

  it('covers the 11 protocol cases of the issue', () => {
    expect(answered.length + closing.length).toBe(11)
  })

  // ---- random frames --------------------------------------------------------------------------------

  /** Messages a real client can send: all must be answered, one reply each. */
  const messageArb = fc.oneof(
    { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    {
      weight: 6,
      arbitrary: fc
        .record(
          {
            id: fc.oneof(
              fc.integer(),
              fc.string({ maxLength: 8 }),
              fc.constant(null),
              fc.jsonValue({ maxDepth: 1 }),
            ),
            op: fc.oneof(
              fc.constantFrom(...opNames),
              fc.string({ maxLength: 20 }),
              fc.jsonValue({ maxDepth: 1 }),
            ),
            input: fc.oneof(
              fc.constant(null),
              fc.jsonValue({ maxDepth: 3 }),
              fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
            ),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    },
    { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{"op":"app.info","input":{"s":"\\ud800"}}',
        '{"op":"bus.events","input":{"since":1e999}}',
        '[]',
        '""',
        '0',
        'true',
        '{}',
        '{"id":[]}',
      ),
    },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
  )

  /** Raw frames with random header bits, always complete (declared length = sent length). */
  const rawArb = fc
    .record({
      opcode: fc.integer({ min: 0, max: 15 }),
      fin: fc.boolean(),
      rsv: fc.oneof(
        { weight: 3, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) },
      ),
      masked: fc.oneof(
        { weight: 4, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      ),
      payload: fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        fc.string({ maxLength: 100 }).map((s) => new TextEncoder().encode(s)),
      ),
      oversize: fc.oneof(
        { weight: 12, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
    })
    .map((f) =>
      f.oversize
        ? encodeFrame({
            opcode: 1,
            payload: Buffer.alloc(8),
            declaredLength: MAX_PAYLOAD + 1 + f.payload.length,
          })
        : encodeFrame({
            opcode: f.opcode,
            fin: f.fin,
            rsv: f.rsv,
            masked: f.masked,
            payload: Buffer.from(f.payload),
          }),
    )

  it(`${RANDOM_FRAMES} random frames: every message answered, every raw socket closed or still answering; /health after each batch`, async () => {
    const half = Math.ceil(RANDOM_FRAMES / 2)
    const messages = fc.sample(messageArb, { numRuns: half, seed: SEED })
    const raws = fc.sample(rawArb, { numRuns: RANDOM_FRAMES - half, seed: SEED + 1 })
    const failures: string[] = []
    const started = Date.now()

    for (let b = 0; b * BATCH < Math.max(messages.length, raws.length); b++) {
      // Messages through one real client: one reply per frame, each refusal naming its frame.
      const batch = messages.slice(b * BATCH, (b + 1) * BATCH)
      if (batch.length > 0) {
        const c = await open()
        for (const m of batch)
          c.write(typeof m === 'string' ? textFrame(m) : encodeFrame({ opcode: 2, payload: m }))
        const ok = await c.until(() => replies(c).length >= batch.length, 10_000)
        if (!ok)
          failures.push(
            `batch ${b}: ${replies(c).length}/${batch.length} messages answered, close code ${c.closeCode()}`,
          )
        for (const r of replies(c)) {
          if (r.ok === false && (typeof r.error?.code !== 'string' || typeof r.error.message !== 'string'))
            failures.push(`batch ${b}: refusal without code/message: ${JSON.stringify(r).slice(0, 200)}`)
          if (r.ok === false && r.error?.code === 'invalid_input' && typeof r.error.path !== 'string')
            failures.push(`batch ${b}: invalid_input without a path: ${JSON.stringify(r).slice(0, 200)}`)
          if (r.ok === false && typeof r.frame !== 'number')
            failures.push(`batch ${b}: refusal without its frame number`)
          if (r.error?.code === 'internal')
            failures.push(`batch ${b}: internal error: ${JSON.stringify(r).slice(0, 200)}`)
        }
        c.destroy()
      }
      // Raw frames, one socket each: closed with a code (or dropped), or still answering a probe.
      const rb = raws.slice(b * BATCH, (b + 1) * BATCH)
      await Promise.all(
        rb.map(async (frame, i) => {
          const c = await open()
          c.write(frame)
          c.write(textFrame(PROBE))
          const probed = () => replies(c).some((r) => r.id === 'probe')
          const done = await c.until(() => probed() || c.closeCode() !== null || c.ended(), 10_000)
          if (!done)
            failures.push(
              `batch ${b} raw ${i}: neither closed nor answered: ${frame.subarray(0, 16).toString('hex')}`,
            )
          const code = c.closeCode()
          // Codes a server may send: the protocol ones, or (answering a client's close) the client's own valid code.
          const valid =
            code === null ||
            (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) ||
            (code >= 3000 && code <= 4999)
          if (!valid)
            failures.push(
              `batch ${b} raw ${i}: unexpected close code ${code}: ${frame.subarray(0, 16).toString('hex')}`,
            )
          c.destroy()
        }),
      )
      expect(failures.slice(0, 10), `seed ${SEED}`).toEqual([])
      await stillServing(`batch ${b}`)
    }
    console.log(
      `[ws-fuzz] ${messages.length} messages + ${raws.length} raw frames in ${Date.now() - started} ms`,
    )
  })

  it('afterwards: alive, the stack untouched, and no fatal or internal error logged', async () => {
    expect(host.alive()).toBe(true)
    expect(await dockerStates(fixtures)).toEqual(['running'])
    expect(host.output()).not.toMatch(/FATAL|internal error|frame \d+ from .* failed/)
    // Protocol errors were logged per socket, as the policy says.
    expect(host.output()).toMatch(/\[ws\] .*closed that socket/)
  })
})
