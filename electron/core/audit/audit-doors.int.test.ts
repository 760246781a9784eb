/**
 * The audit log records control acts from every door into the core, on the real engine and Redis:
 *
 * - the window (IPC): `registerIpcAdapter` exactly as Electron main wires it, over the REAL
 *   dispatcher and core; only the transport (ipcMain) is a stand-in that calls the handlers;
 * - the API: HTTP and WebSocket, through the real headless host (startHost, in process);
 * - the scheduler: its start-up correction, a transition fired by its timer (a [schedule] window
 *   opening a minute from now), and the transition that follows an override;
 * - and a record survives a crash: the REAL host process is SIGKILLed right after answering, and
 *   the record is in `<stateDir>/audit.jsonl` and served by GET /audit after a restart.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Core } from '@core/wiring/create-core'
import { osUser } from '@core/wiring/app-handlers'
import { createDispatcher } from '@core/api/dispatcher'
import type { Envelope, OperationName } from '@core/api/contract'
import type { AuditRecordT } from '@core/api/contract/audit'
import { OP_CHANNEL_PREFIX } from '@core/api/ipc-channels'
import { registerIpcAdapter, type IpcInvokeEvent, type IpcTransport } from '../../main/ipc-adapter'
import type { Host } from '../../server/host'
import {
  hasTestDocker,
  removeFixtures,
  startFixtures,
  waitForLog,
} from '../../../test-support/docker-fixtures'
import { hasTestRedis, newTestRedis } from '../../../test-support/redis-fixture'
import { startStackdeckUnderTest, type InProcessStackdeck } from '../../../test-support/stackdeck-under-test'
import {
  type ApiClient,
  createApiWorkspace,
  dockerStates,
  ensureBuilt,
  hostSettings,
  makeTokens,
  randomTag,
  redisKeysFor,
  startApiHost,
  TOKEN_NAMES,
  waitFor,
  type ApiHost,
  type ApiWorkspace,
} from '../../../test-support/api-harness'

const enabled = hasTestDocker() && hasTestRedis()
const RUN = `audit-${randomTag()}`
const TAG = `api-${RUN}`
const tokens = makeTokens()
const OWN_RENDERER = pathToFileURL('/opt/stackdeck/out/renderer/index.html').href
const pad = (n: number) => String(n).padStart(2, '0')

/** A [schedule] whose window opens at the next whole minute at least `leadMs` away (UTC, every day). */
function windowSoon(leadMs: number): { toml: string; opensAt: Date } {
  const opensAt = new Date(Math.ceil((Date.now() + leadMs) / 60_000) * 60_000)
  const closes = new Date(opensAt.getTime() + 2 * 3_600_000)
  const hhmm = (d: Date) => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
  return {
    opensAt,
    toml: `[schedule]\nstart = "${hhmm(opensAt)}"\nstop = "${hhmm(closes)}"\ntimezone = "UTC"\ndays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n\n`,
  }
}

async function auditFile(stateDir: string): Promise<AuditRecordT[]> {
  const text = await readFile(join(stateDir, 'audit.jsonl'), 'utf8').catch(() => '')
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as AuditRecordT)
}

/** Waits until the file holds a record matching `pred` (appends from the scheduler are not awaited by anyone). */
function recordIn(
  stateDir: string,
  what: string,
  pred: (r: AuditRecordT) => boolean,
  timeoutMs = 10_000,
): Promise<AuditRecordT> {
  return waitFor(what, async () => (await auditFile(stateDir)).find(pred), timeoutMs)
}

describe.skipIf(!enabled)('audit records from every door (real core, engine and Redis)', () => {
  let sut: InProcessStackdeck
  let ws: ApiWorkspace
  let core: Core
  let host: Host
  let client: ApiClient
  let fixtures: string[] = []
  let opensAt: Date
  const coreLog: string[] = []
  const appended: AuditRecordT[] = []

  // The IPC door as Electron wires it: ipcMain.handle(channel, listener) per operation.
  const channels = new Map<string, (event: IpcInvokeEvent, input: unknown) => Promise<Envelope<unknown>>>()
  const transport: IpcTransport = {
    handle: (channel, listener) => void channels.set(channel, listener),
    removeHandler: (channel) => void channels.delete(channel),
  }
  let unregister: () => void = () => undefined
  async function invoke(
    op: OperationName,
    input: unknown,
    frameUrl = `${OWN_RENDERER}#/stack`,
  ): Promise<Envelope<unknown>> {
    const listener = channels.get(OP_CHANNEL_PREFIX + op)
    if (!listener) throw new Error(`no IPC handler for ${op}`)
    // ipcMain hands listeners a structured clone of what the renderer sent.
    return listener({ senderFrame: { url: frameUrl, parent: null } }, structuredClone(input)) // a main frame
  }

  beforeAll(async () => {
    ensureBuilt()
    const soon = windowSoon(40_000)
    opensAt = soon.opensAt
    const example = await readFile(join(import.meta.dirname, '../../../config.example.toml'), 'utf8')
    const config = example.replace(/\[schedule\][\s\S]*?(?=\[risk\])/, soon.toml)
    expect(config).toContain(soon.toml)
    sut = await startStackdeckUnderTest({
      run: RUN,
      tag: TAG,
      tokens,
      config,
      fixtures: { orch: { count: 2 } },
      services: (labels) => [
        { name: 'orch', selector: labels('orch'), reload: { signal: 'SIGUSR1', timeoutMs: 10_000 } },
      ],
      inProcess: {
        env: {},
        log: (l) => coreLog.push(l),
        validateResults: true,
        // Subscribed before the core starts, so the scheduler's start-up record is seen too.
        onCore: (c) => c.hub.on('audit.appended', (r) => appended.push(r)),
        start: true,
      },
    })
    ;({ core, host, client } = sut)
    ws = sut.ws as ApiWorkspace
    fixtures = sut.fixtures['orch'] ?? []
    unregister = registerIpcAdapter(transport, createDispatcher(core.handlers, { validateResults: true }), {
      isTrustedFrame: (url) => url.split('#')[0] === OWN_RENDERER,
      who: osUser(),
    })
  })

  afterAll(async () => {
    unregister()
    await sut?.stop()
  })

  it('the scheduler recorded its start-up correction (who schedule, door scheduler)', async () => {
    const r = await recordIn(
      ws.stateDir,
      'the start-up transition',
      (x) => x.action === 'schedule.transition',
    )
    expect(r).toMatchObject({ who: 'schedule', door: 'scheduler', outcome: 'ok', target: 'trading off' })
    expect(r.detail).toMatchObject({ trigger: 'startup', kind: 'stop', enabled: false, source: 'schedule' })
    // The same record, through the API.
    const page = await client.get('/audit?action=schedule.transition', tokens.read)
    expect((page.json as { records: AuditRecordT[] }).records).toContainEqual(r)
  })

  it('the window door (IPC): the act is recorded with the OS user and door ipc', async () => {
    const reason = `from the window ${RUN}`
    const env = await invoke('stack.pause', { target: { service: 'orch' }, reason })
    expect(env.ok, JSON.stringify(env)).toBe(true)
    expect(await dockerStates(fixtures)).toEqual(['paused', 'paused'])
    const r = await recordIn(ws.stateDir, 'the IPC pause', (x) => x.reason === reason)
    expect(r).toMatchObject({
      who: osUser(),
      door: 'ipc',
      action: 'stack.pause',
      target: 'service:orch',
      outcome: 'ok',
    })
    expect(appended).toContainEqual(r)

    const back = await invoke('stack.resume', { target: { service: 'orch' }, reason: `${reason} (resume)` })
    expect(back.ok).toBe(true)
    expect(await dockerStates(fixtures)).toEqual(['running', 'running'])
    await recordIn(
      ws.stateDir,
      'the IPC resume',
      (x) => x.reason === `${reason} (resume)` && x.door === 'ipc',
    )

    // The adapter's frame check holds: another page cannot act, and nothing is done.
    const foreign = await invoke('stack.pause', { reason: 'foreign frame' }, 'https://evil.example/')
    expect(foreign).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await dockerStates(fixtures)).toEqual(['running', 'running'])
  })

  it('the API door (HTTP): the token name and door http, refusals too', async () => {
    const reason = `over http ${RUN}`
    const r1 = await client.post('/stack/pause', { reason }, tokens.operate)
    expect(r1.status, r1.text).toBe(200)
    const rec = await recordIn(ws.stateDir, 'the HTTP pause', (x) => x.reason === reason)
    expect(rec).toMatchObject({
      who: TOKEN_NAMES.operate,
      door: 'http',
      action: 'stack.pause',
      target: 'stack',
      outcome: 'ok',
    })
    expect((await client.post('/stack/resume', { reason }, tokens.operate)).status).toBe(200)
    expect(await dockerStates(fixtures)).toEqual(['running', 'running'])

    const refused = await client.post(
      '/stack/restart',
      { target: { service: 'nosuch' }, reason: `refused ${RUN}` },
      tokens.operate,
    )
    expect(refused.status).toBe(404)
    const rr = await recordIn(ws.stateDir, 'the refused restart', (x) => x.reason === `refused ${RUN}`)
    expect(rr).toMatchObject({
      who: TOKEN_NAMES.operate,
      door: 'http',
      action: 'stack.restart',
      target: 'service:nosuch',
      outcome: 'refused',
    })
    expect(rr.detail).toMatchObject({ error: { code: 'not_found' } })
  })

  it('the API door (WebSocket) and the bus: killswitch engaged over ws, released through the window', async () => {
    const sock = new WebSocket(`ws://127.0.0.1:${host.port}/api/ws`, [
      'stackdeck.v1',
      `bearer.${tokens.operate}`,
    ])
    await new Promise((res, rej) => {
      sock.once('open', res)
      sock.once('error', rej)
    })
    const replies = new Map<number, { ok: boolean; error?: unknown }>()
    sock.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString('utf8')) as { id?: number; ok?: boolean; error?: unknown }
      if (typeof m.id === 'number') replies.set(m.id, m as { ok: boolean })
    })
    try {
      const reason = `ws drill ${RUN}`
      sock.send(JSON.stringify({ id: 1, op: 'bus.killswitch.engage', input: { reason, confirm: true } }))
      await expect.poll(() => replies.get(1), { timeout: 20_000 }).toMatchObject({ ok: true })
      const eng = await recordIn(
        ws.stateDir,
        'the ws engage',
        (x) => x.action === 'bus.killswitch.engage' && x.reason === reason,
      )
      expect(eng).toMatchObject({ who: TOKEN_NAMES.operate, door: 'ws', outcome: 'ok' })
      // The killswitch paused the stack (killswitchPausesStack).
      expect(await dockerStates(fixtures)).toEqual(['paused', 'paused'])

      const rel = await invoke('bus.killswitch.release', { reason: `window release ${RUN}`, confirm: true })
      expect(rel.ok, JSON.stringify(rel)).toBe(true)
      const relRec = await recordIn(
        ws.stateDir,
        'the ipc release',
        (x) => x.action === 'bus.killswitch.release' && x.reason === `window release ${RUN}`,
      )
      expect(relRec).toMatchObject({ who: osUser(), door: 'ipc', outcome: 'ok' })
      // The release latched trading off; lifting the latch is its own audited act (and the scheduler
      // test below needs the schedule to decide again).
      const resumed = await invoke('trading.resume', { reason: `window resume ${RUN}`, confirm: true })
      expect(resumed.ok, JSON.stringify(resumed)).toBe(true)
      const resRec = await recordIn(
        ws.stateDir,
        'the ipc trading resume',
        (x) => x.action === 'trading.resume' && x.reason === `window resume ${RUN}`,
      )
      expect(resRec).toMatchObject({ who: osUser(), door: 'ipc', outcome: 'ok' })

      sock.send(JSON.stringify({ id: 2, op: 'stack.resume', input: { reason: `ws resume ${RUN}` } }))
      await expect.poll(() => replies.get(2), { timeout: 20_000 }).toMatchObject({ ok: true })
      const res = await recordIn(ws.stateDir, 'the ws resume', (x) => x.reason === `ws resume ${RUN}`)
      expect(res).toMatchObject({
        who: TOKEN_NAMES.operate,
        door: 'ws',
        action: 'stack.resume',
        outcome: 'ok',
      })
      expect(await dockerStates(fixtures)).toEqual(['running', 'running'])
    } finally {
      sock.close()
    }
  })

  it('the scheduler door: its timer opens the window and the transition is recorded', async () => {
    const left = opensAt.getTime() - Date.now()
    expect(
      left,
      'setup took longer than the lead time; the window opened before the core started',
    ).toBeGreaterThan(0)
    const r = await recordIn(
      ws.stateDir,
      `the timer transition at ${opensAt.toISOString()}`,
      (x) => x.action === 'schedule.transition' && (x.detail as { trigger?: string }).trigger === 'timer',
      left + 20_000,
    )
    expect(r).toMatchObject({ who: 'schedule', door: 'scheduler', outcome: 'ok', target: 'trading on' })
    expect(r.detail).toMatchObject({ kind: 'start', enabled: true, source: 'schedule' })
    expect(Date.parse(r.at)).toBeGreaterThanOrEqual(opensAt.getTime())
    // Redis holds what the scheduler wrote.
    const redis = newTestRedis()
    try {
      expect(JSON.parse((await redis.get(redisKeysFor(TAG).tradingKey)) ?? 'null')).toMatchObject({
        value: true,
        who: 'schedule',
      })
    } finally {
      redis.disconnect()
    }
  }, 150_000)

  it('an override over WebSocket is recorded for its caller, and the write it causes for the scheduler', async () => {
    const sock = new WebSocket(`ws://127.0.0.1:${host.port}/api/ws`, [
      'stackdeck.v1',
      `bearer.${tokens.operate}`,
    ])
    await new Promise((res, rej) => {
      sock.once('open', res)
      sock.once('error', rej)
    })
    const replies = new Map<number, { ok: boolean }>()
    sock.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString('utf8')) as { id?: number; ok: boolean }
      if (typeof m.id === 'number') replies.set(m.id, m)
    })
    try {
      const before = (await auditFile(ws.stateDir)).length
      const reason = `ws override ${RUN}`
      sock.send(
        JSON.stringify({ id: 1, op: 'schedule.override', input: { value: false, until: 'cleared', reason } }),
      )
      await expect.poll(() => replies.get(1), { timeout: 20_000 }).toMatchObject({ ok: true })
      const ov = await recordIn(
        ws.stateDir,
        'the override',
        (x) => x.action === 'schedule.override' && x.reason === reason,
      )
      expect(ov).toMatchObject({ who: TOKEN_NAMES.operate, door: 'ws', outcome: 'ok' })
      const tr = await recordIn(
        ws.stateDir,
        'the override transition',
        (x) =>
          x.seq > before &&
          x.action === 'schedule.transition' &&
          (x.detail as { trigger?: string }).trigger === 'override',
      )
      expect(tr).toMatchObject({ who: 'schedule', door: 'scheduler', target: 'trading off' })
      expect(tr.detail).toMatchObject({ source: 'override', enabled: false, who: TOKEN_NAMES.operate })
      sock.send(
        JSON.stringify({ id: 2, op: 'schedule.override', input: { value: null, reason: `clear ${reason}` } }),
      )
      await expect.poll(() => replies.get(2), { timeout: 20_000 }).toMatchObject({ ok: true })
    } finally {
      sock.close()
    }
    // Every record so far is well formed and in order.
    const all = await auditFile(ws.stateDir)
    expect(all.map((r) => r.seq)).toEqual(all.map((_, i) => i + 1))
    expect([...new Set(all.map((r) => r.door))]).toEqual(
      expect.arrayContaining(['ipc', 'http', 'ws', 'scheduler']),
    )
  })
})

describe.skipIf(!enabled)('audit records survive a crash of the real host process', () => {
  const run = `${RUN}-crash`
  let ws: ApiWorkspace
  let settings: Record<string, unknown>
  let host: ApiHost | undefined
  let fixtures: string[] = []

  beforeAll(async () => {
    ensureBuilt()
    ws = await createApiWorkspace()
    fixtures = await startFixtures({
      count: 1,
      service: 'orch',
      labels: { sdapi: run, role: 'orch' },
      configDir: ws.configDir,
    })
    await waitForLog(fixtures[0] as string, /started pid=/)
    settings = hostSettings({
      workspace: ws,
      tokens,
      tag: `${TAG}-crash`,
      services: [{ name: 'orch', selector: { sdapi: run, role: 'orch' }, reload: { signal: 'SIGUSR1' } }],
      schedule: { enabled: false },
    })
    host = await startApiHost(settings, tokens)
  })

  afterAll(async () => {
    await host?.dispose()
    if (enabled) await removeFixtures({ sdapi: run })
    await ws?.cleanup()
    const redis = newTestRedis()
    try {
      const k = redisKeysFor(`${TAG}-crash`)
      await redis.del(k.tradingKey, k.killswitchKey)
    } finally {
      redis.disconnect()
    }
  })

  it('SIGKILL right after the answer: every answered act is in audit.jsonl, and GET /audit serves it after a restart', async () => {
    const h = host as ApiHost
    const reason = `before the crash ${run}`
    // A real act, answered, then the process dies at once: no shutdown handler, no flush.
    const paused = await h.client.post('/stack/pause', { reason }, tokens.operate)
    expect(paused.status, paused.text).toBe(200)
    await h.kill()
    await h.dispose()
    expect(await dockerStates(fixtures)).toEqual(['paused'])

    // And a burst racing the kill: whatever was answered before the kill must be on disk too.
    const again = await startApiHost(settings, tokens)
    host = again
    expect(
      (await again.client.post('/stack/resume', { reason: `between the crashes ${run}` }, tokens.operate))
        .status,
    ).toBe(200)
    const answered: string[] = []
    let killed = false
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const why = `burst ${i} ${run}`
        try {
          const r = await again.client.post(
            '/stack/signal',
            { target: { service: 'orch' }, signal: 'SIGWINCH', reason: why },
            tokens.operate,
          )
          if (r.status === 200) answered.push(why)
          if (!killed) {
            killed = true
            again.proc.kill('SIGKILL')
          }
        } catch {
          // Cut off by the kill: not answered, no promise was made.
        }
      }),
    )
    await new Promise<void>((r) => (again.alive() ? again.proc.once('exit', () => r()) : r()))
    await again.dispose()
    expect(answered.length).toBeGreaterThan(0)

    const onDisk = await auditFile(ws.stateDir)
    expect(onDisk.find((r) => r.reason === reason)).toMatchObject({
      who: TOKEN_NAMES.operate,
      door: 'http',
      action: 'stack.pause',
      outcome: 'ok',
    })
    for (const why of answered)
      expect(
        onDisk.map((r) => r.reason),
        why,
      ).toContain(why)

    // A new process reads the same file: the records are served, and numbering carries on.
    host = await startApiHost(settings, tokens)
    const page = await host.client.get('/audit?action=stack&limit=100', tokens.read)
    expect(page.status).toBe(200)
    const served = (page.json as { records: AuditRecordT[]; lastSeq: number }).records
    expect(served.find((r) => r.reason === reason)).toMatchObject({
      action: 'stack.pause',
      door: 'http',
      who: TOKEN_NAMES.operate,
    })
    for (const why of answered) expect(served.map((r) => r.reason)).toContain(why)
    const maxBefore = Math.max(...onDisk.map((r) => r.seq))
    const resumed = await host.client.post(
      '/stack/resume',
      { reason: `after the crash ${run}` },
      tokens.operate,
    )
    expect(resumed.status).toBe(200)
    expect(await dockerStates(fixtures)).toEqual(['running'])
    const after = await host.client.get('/audit?action=stack.resume', tokens.read)
    const last = (after.json as { records: AuditRecordT[] }).records.at(-1)
    expect(last).toMatchObject({ reason: `after the crash ${run}` })
    expect(last?.seq).toBeGreaterThan(maxBefore)
  })
})
