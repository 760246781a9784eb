/**
 * The registry on a real file store in a temp directory, with a fake clock: commands are pulled
 * once, in order, never after they expired; acks move the run; everything survives a reload.
 */
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { RunCommandT, RunT } from '@core/api/contract/runs'
import { RunRegistry } from './run-registry'
import { FileRunStore } from './run-store'

const ctx = { who: 'tester', door: 'http' as const }
let dir: string
let now: number
let health: Array<[string, string]>
let audits: string[]

const registry = (file = join(dir, 'runs.json'), paused = false) =>
  new RunRegistry({
    store: new FileRunStore(file),
    thresholds: { lateAfterMs: 1000, unhealthyAfterMs: 2000, lostAfterMs: 4000 },
    commandTimeoutMs: 10_000,
    now: () => now,
    containerPaused: () => paused,
    emit: { run: () => undefined, command: (_c: RunCommandT) => undefined, health: (r: RunT, from) => health.push([from, r.health]) },
    audit: async (rec) => void audits.push(`${rec.action}:${rec.outcome}`),
  })

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sd-runs-'))
  now = Date.parse('2026-12-01T10:00:00Z')
  health = []
  audits = []
})
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('RunRegistry', () => {
  it('a poller that hung up while it waited takes nothing: the command stays for the next poll', async () => {
    const reg = registry()
    await reg.start()
    const { run } = await reg.create({ agent: 'a1', strategy: 'mm', version: '1' }, ctx)
    const gone = new AbortController()
    const dead = reg.nextCommand(run.id, 5, ctx, gone.signal)
    await new Promise((r) => setTimeout(r, 20))
    gone.abort()
    expect(await dead).toBeNull()
    const queued = await reg.queueCommand({ id: run.id, type: 'pause' }, ctx)
    expect(reg.get(run.id).commands[0]).toMatchObject({ id: queued.command.id, status: 'queued' })
    expect((await reg.nextCommand(run.id, 0, ctx))?.id).toBe(queued.command.id)
    await reg.stop()
  })

  it('answers the creator a snapshot of the queued command, though a waiting agent takes it at once', async () => {
    const reg = registry()
    await reg.start()
    const { run } = await reg.create({ agent: 'a1', strategy: 'mm', version: '1' }, ctx)
    const waiting = reg.nextCommand(run.id, 5, ctx)
    await new Promise((r) => setTimeout(r, 20))
    const queued = await reg.queueCommand({ id: run.id, type: 'pause' }, ctx)
    const delivered = await waiting
    expect(queued.command).toMatchObject({ status: 'queued', deliveredAt: null })
    expect(delivered).toMatchObject({ id: queued.command.id, status: 'delivered' })
    // And a later read is not a live handle either: acking does not change what was handed out.
    await reg.ack({ id: run.id, cmd: queued.command.id, ok: true }, ctx)
    expect(delivered?.status).toBe('delivered')
    await reg.stop()
  })

  it('runs a lifecycle: beat → running, pause/resume/terminate pulled in order and acked', async () => {
    const reg = registry()
    await reg.start()
    const { run } = await reg.create({ agent: 'a1', strategy: 'mm', version: '1' }, ctx)
    expect(run).toMatchObject({ state: 'queued', health: 'pending', step: null })
    expect((await reg.heartbeat({ id: run.id, step: 1, checkpoint_version: 0 }, ctx)).run).toMatchObject({ state: 'running', health: 'healthy', step: 1 })
    const p = await reg.queueCommand({ id: run.id, type: 'pause' }, ctx)
    const t = await reg.queueCommand({ id: run.id, type: 'tune', params: { lr: 0.1 } }, ctx)
    now += 10
    const first = await reg.nextCommand(run.id, 0, ctx)
    expect(first?.id).toBe(p.command.id)
    expect(first?.deliveredAt).not.toBeNull()
    const acked = await reg.ack({ id: run.id, cmd: p.command.id, ok: true }, ctx)
    expect(acked.run.state).toBe('paused')
    expect(acked.command.status).toBe('acknowledged')
    expect((await reg.nextCommand(run.id, 0, ctx))?.id).toBe(t.command.id)
    expect(await reg.nextCommand(run.id, 0, ctx)).toBeNull()
    const transitions = reg.get(run.id).transitions.map((x) => x.to)
    expect(transitions).toEqual(['queued', 'running', 'paused'])
    await reg.stop()
  })

  it('a repeated commandId is idempotent; the same id with other params is a conflict', async () => {
    const reg = registry()
    await reg.start()
    const { run } = await reg.create({ agent: 'a1', strategy: 'mm', version: '1' }, ctx)
    const a = await reg.queueCommand({ id: run.id, type: 'tune', params: { x: 1 }, commandId: 'c1' }, ctx)
    const b = await reg.queueCommand({ id: run.id, type: 'tune', params: { x: 1 }, commandId: 'c1' }, ctx)
    expect(a.created).toBe(true)
    expect(b).toEqual({ command: a.command, created: false })
    await expect(reg.queueCommand({ id: run.id, type: 'tune', params: { x: 2 }, commandId: 'c1' }, ctx)).rejects.toMatchObject({ code: 'conflict' })
    expect(reg.get(run.id).commands).toHaveLength(1)
    await reg.stop()
  })

  it('never delivers an expired command, and marks an unacknowledged one expired', async () => {
    const reg = registry()
    await reg.start()
    const { run } = await reg.create({ agent: 'a1', strategy: 'mm', version: '1' }, ctx)
    await reg.queueCommand({ id: run.id, type: 'pause' }, ctx)
    now += 10_001
    expect(await reg.nextCommand(run.id, 0, ctx)).toBeNull()
    expect(reg.get(run.id).commands[0]).toMatchObject({ status: 'expired', deliveredAt: null })
    await reg.stop()
  })

  it('refuses an ack of a command never delivered', async () => {
    const reg = registry()
    await reg.start()
    const { run } = await reg.create({ agent: 'a1', strategy: 'mm', version: '1' }, ctx)
    const c = await reg.queueCommand({ id: run.id, type: 'resume' }, ctx)
    await expect(reg.ack({ id: run.id, cmd: c.command.id, ok: true }, ctx)).rejects.toMatchObject({ code: 'conflict', path: '/cmd' })
    await reg.stop()
  })

  it('long-polls: a command queued while waiting is delivered at once', async () => {
    const reg = registry()
    await reg.start()
    const { run } = await reg.create({ agent: 'a1', strategy: 'mm', version: '1' }, ctx)
    const waiting = reg.nextCommand(run.id, 5, ctx)
    setTimeout(() => void reg.queueCommand({ id: run.id, type: 'tune', params: { k: 1 } }, ctx), 50)
    const t0 = Date.now()
    expect((await waiting)?.type).toBe('tune')
    expect(Date.now() - t0).toBeLessThan(4000)
    await reg.stop()
  })

  it('keeps runs, last step and undelivered commands across a reload', async () => {
    const a = registry()
    await a.start()
    const { run } = await a.create({ agent: 'a1', strategy: 'mm', version: '1' }, ctx)
    await a.heartbeat({ id: run.id, step: 7, checkpoint_version: 3 }, ctx)
    await a.queueCommand({ id: run.id, type: 'tune', params: { k: 1 } }, ctx)
    await a.stop()
    const b = registry()
    await b.start()
    expect(b.get(run.id).run).toMatchObject({ state: 'running', step: 7, checkpointVersion: 3, pendingCommands: 1 })
    await expect(b.heartbeat({ id: run.id, step: 6, checkpoint_version: 3 }, ctx)).rejects.toMatchObject({ code: 'conflict', path: '/step' })
    expect((await b.nextCommand(run.id, 0, ctx))?.type).toBe('tune')
    await b.stop()
  })

  it('escalates health with time and says paused when its container is paused', async () => {
    const reg = registry()
    await reg.start()
    const { run } = await reg.create({ agent: 'a1', strategy: 'mm', version: '1' }, ctx)
    await reg.heartbeat({ id: run.id, step: 1, checkpoint_version: 1 }, ctx)
    for (const step of [1100, 1000, 2000]) {
      now += step
      ;(reg as unknown as { tick(): void }).tick()
    }
    expect(health).toEqual([['pending', 'healthy'], ['healthy', 'late'], ['late', 'unhealthy'], ['unhealthy', 'lost']])
    await reg.stop()
    const frozen = registry(join(dir, 'runs.json'), true)
    await frozen.start()
    expect(frozen.get(run.id).run.health).toBe('paused')
    await frozen.stop()
  })

  it('does not start over, nor overwrite, a saved file it cannot read', async () => {
    const file = join(dir, 'runs.json')
    await writeFile(file, '{not json')
    const reg = registry(file)
    await expect(reg.start()).rejects.toThrow(/runs.json is not valid JSON/)
    await expect(reg.create({ agent: 'a', strategy: 's', version: '1' }, ctx)).rejects.toMatchObject({ code: 'unavailable' })
    await reg.stop()
    expect(await readFile(file, 'utf8')).toBe('{not json')
  })
})
