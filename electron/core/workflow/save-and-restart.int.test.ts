/* eslint-disable @typescript-eslint/no-unsafe-assignment -- vitest asymmetric matchers (expect.stringMatching…) are typed any */
/**
 * Save & Restart against the real engine and real files (scripts/with-test-env.sh). Every failure is
 * injected for real: a schema error, an immutable config directory, an external edit, a container
 * removed while the run pauses, the engine frozen or stopped between write and unpause, a service
 * that never prints its evidence, a second caller, and the host process SIGKILLed mid-run.
 * The engine's own event stream and `docker inspect` are the witnesses, never the code under test.
 */
import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { canControlDockerd, hasTestDocker, startDockerd, stopDockerd } from '../../../test-support/docker-fixtures'
import {
  TRADER,
  buildWorkflowCore,
  catConfigIn,
  createWorkflowHarness,
  freezeEngine,
  listDir,
  logsOf,
  makeImmutable,
  md5,
  removeContainerNow,
  sha256,
  stopEngineNowSync,
  watchEngineEvents,
  withRiskMaxPosition,
  type EngineEvent,
  type WorkflowHarness,
} from '../../../test-support/workflow-harness'
import type { RunReportT } from '../api/contract/workflow'

const FULL_RUN = [
  'validate:running', 'validate:ok',
  'pause:running', 'pause:ok',
  'write:running', 'write:ok',
  'unpause:running', 'unpause:ok',
  'reload:running', 'reload:ok',
  'verify:running', 'verify:ok',
]

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const sorted = (xs: Iterable<string>) => [...xs].sort()
const seq = (h: WorkflowHarness) => h.progress.map((p) => `${p.step.step}:${p.step.status}`)
const step = (r: RunReportT, name: string) => r.steps.find((s) => s.step === name)
const acted = (events: EngineEvent[], action: string) => events.filter((e) => e.action === action)

async function expectAllRunning(h: WorkflowHarness, ids: readonly string[] = h.ids) {
  const states = await h.states(ids)
  expect(sorted(new Set(states.values()))).toEqual(['running'])
}

describe.skipIf(!hasTestDocker())('Save & Restart with 20 real containers (STACKDECK_TEST_DOCKER_HOST)', () => {
  let h: WorkflowHarness

  beforeAll(async () => {
    h = await createWorkflowHarness({ count: 20 })
  }, 240_000)

  afterAll(async () => {
    await h?.dispose()
  })

  beforeEach(() => h.clearEvents())

  it('applies a new config: paused, backed up, written, resumed, reload proved by every container', async () => {
    const before = await readFile(h.configPath, 'utf8')
    const next = withRiskMaxPosition(before, '6_000')
    const watch = await watchEngineEvents(h)
    const report = await h.workflow.run({ text: next, baseHash: sha256(before), reason: 'raise max_position' }, TRADER)
    const events = await watch.stop()

    expect(report.outcome, report.message).toBe('applied')
    expect(report.errorCode).toBeUndefined()
    expect(sorted(report.reload.proved)).toEqual(['orchestrator', 'scanner'])
    expect(report.reload.notProved).toEqual([])
    expect(report.leftPaused).toEqual([])
    expect(report.diff.changes.map((c) => c.pointer)).toEqual(['/risk/max_position'])

    // The file: new bytes on disk, the old ones kept as the backup the report names.
    expect(await readFile(h.configPath, 'utf8')).toBe(next)
    expect(report.newHash).toBe(sha256(next))
    expect(report.backup).toMatch(/^config\.toml\.bak\.\d{8}_\d{6}/)
    expect(await readFile(join(h.configDir, report.backup as string), 'utf8')).toBe(before)

    // Every container sees the new file through its read-only directory mount...
    const seen = await Promise.all(h.ids.map((id) => catConfigIn(h.docker, id)))
    expect(seen.filter((t) => t !== next)).toEqual([])
    // ...and its reload line carries the md5 of exactly that file: it re-read the NEW config.
    const sum = md5(next)
    const logs = await Promise.all(h.ids.map((id) => logsOf(h.docker, id)))
    expect(logs.filter((l) => !l.includes(`Config reloaded sha=${sum}`))).toEqual([])

    // The engine saw each container paused once and resumed once, pause first.
    const pauses = acted(events, 'pause')
    const unpauses = acted(events, 'unpause')
    expect(sorted(pauses.map((e) => e.id))).toEqual(sorted(h.ids))
    expect(sorted(unpauses.map((e) => e.id))).toEqual(sorted(h.ids))
    for (const id of h.ids) {
      const p = pauses.find((e) => e.id === id) as EngineEvent
      const u = unpauses.find((e) => e.id === id) as EngineEvent
      expect(p.at).toBeLessThan(u.at)
    }
    // Reload signals reached the engine after the unpause: SIGUSR1 (10) for orchestrator, SIGHUP (1) for scanner.
    for (const c of h.containers) {
      const kill = events.find((e) => e.action === 'kill' && e.id === c.id)
      expect(kill?.attributes['signal'], c.name).toBe(c.service === 'orchestrator' ? '10' : '1')
      expect((kill as EngineEvent).at).toBeGreaterThan((unpauses.find((e) => e.id === c.id) as EngineEvent).at)
    }

    // The freeze window is reported and brackets what the engine itself recorded (same clock: unix socket).
    expect(report.freezeWindowMs).toBeGreaterThan(0)
    expect(report.freezeWindowMs as number).toBeLessThanOrEqual(report.totalMs)
    const engineWindow = Math.max(...unpauses.map((e) => e.at)) - Math.min(...pauses.map((e) => e.at))
    expect(engineWindow).toBeLessThanOrEqual((report.freezeWindowMs as number) + 2)
    console.log(`[wf-int] 20 containers: freeze window ${report.freezeWindowMs} ms (engine saw ${engineWindow.toFixed(1)} ms), total ${report.totalMs} ms`)

    // Progress: all six steps, in order, one run.
    expect(seq(h)).toEqual(FULL_RUN)
    expect(new Set(h.progress.map((p) => p.runId))).toEqual(new Set([report.runId]))
    expect(step(report, 'pause')?.containers?.map((c) => c.outcome)).toEqual(Array(20).fill('ok'))
    expect(step(report, 'unpause')?.containers?.map((c) => c.outcome)).toEqual(Array(20).fill('ok'))

    await expectAllRunning(h)
    expect(await h.journal.read()).toBeNull()
    expect(h.history.last?.runId).toBe(report.runId)
    expect(h.finished.map((r) => r.runId)).toEqual([report.runId])
  })

  it('a schema error pauses nothing and leaves the file alone', async () => {
    const before = await readFile(h.configPath, 'utf8')
    const dirBefore = await listDir(h.configDir)
    const watch = await watchEngineEvents(h)
    const report = await h.workflow.run({ text: withRiskMaxPosition(before, '-1'), baseHash: sha256(before) }, TRADER)
    const events = await watch.stop()

    expect(report.outcome).toBe('failed')
    expect(report.errorCode).toBe('schema_error')
    expect(report.message).toMatch(/^Nothing was paused or written: .*max_position/)
    expect(seq(h)).toEqual(['validate:running', 'validate:failed'])
    expect(report.freezeWindowMs).toBeNull()
    // The engine never heard a pause, during or after the run.
    expect(acted(events, 'pause')).toEqual([])
    await expectAllRunning(h)
    expect(await readFile(h.configPath, 'utf8')).toBe(before)
    expect(await listDir(h.configDir)).toEqual(dirBefore)
    expect(await h.journal.read()).toBeNull()
  })

  it('a write that cannot happen (immutable config directory) is found while staging: nothing is paused, the old config stays', async () => {
    const before = await readFile(h.configPath, 'utf8')
    const dirBefore = await listDir(h.configDir)
    const undo = makeImmutable(h.configDir)
    let report: RunReportT
    let events: EngineEvent[]
    try {
      const watch = await watchEngineEvents(h)
      report = await h.workflow.run({ text: withRiskMaxPosition(before, '7_000'), baseHash: sha256(before) }, TRADER)
      events = await watch.stop()
    } finally {
      undo()
    }

    expect(report.outcome).toBe('failed')
    expect(report.errorCode).toBe('io_error')
    // The backup and the temp file are written before the pause now, so the stack is never frozen
    // for a write that cannot happen.
    expect(report.message).toMatch(/^Nothing was paused or written: Cannot back up .*config\.toml: EPERM/)
    expect(seq(h)).toEqual(['validate:running', 'validate:failed'])
    expect(report.leftPaused).toEqual([])
    expect(report.backup).toBeNull()
    expect(acted(events, 'pause')).toEqual([])
    expect(acted(events, 'unpause')).toEqual([])
    await expectAllRunning(h)
    // Old bytes, and not one stray temp file or backup left behind.
    expect(await readFile(h.configPath, 'utf8')).toBe(before)
    expect(await listDir(h.configDir)).toEqual(dirBefore)
    expect(await h.journal.read()).toBeNull()
  })

  it('an edit made outside Stackdeck after loading is a conflict: refused before anything is paused', async () => {
    const loaded = await readFile(h.configPath, 'utf8')
    const baseHash = sha256(loaded)
    const external = `${loaded}\n# changed in vim while the form was open\n`
    await writeFile(h.configPath, external)
    const watch = await watchEngineEvents(h)
    const report = await h.workflow.run({ text: withRiskMaxPosition(loaded, '7_000'), baseHash }, TRADER)
    const events = await watch.stop()

    expect(report.outcome).toBe('failed')
    expect(report.errorCode).toBe('conflict')
    expect(report.message).toMatch(/changed on disk since it was loaded/)
    expect(seq(h)).toEqual(['validate:running', 'validate:failed'])
    expect(acted(events, 'pause')).toEqual([])
    await expectAllRunning(h)
    expect(await readFile(h.configPath, 'utf8')).toBe(external)
  })

  it('a second request while one runs is refused as busy; the first runs alone', async () => {
    const before = await readFile(h.configPath, 'utf8')
    const input = { text: withRiskMaxPosition(before, '8_000'), baseHash: sha256(before) }
    const watch = await watchEngineEvents(h)
    const first = h.handlers['workflow.saveAndRestart'](input, TRADER)
    const second = h.handlers['workflow.saveAndRestart'](input, { who: 'ops-token', door: 'http' })
    await expect(second).rejects.toMatchObject({ code: 'busy', message: expect.stringMatching(/already running \(started by trader via ipc/) })
    const status = await h.handlers['workflow.status']({}, TRADER)
    expect(status.running).toMatchObject({ who: 'trader', door: 'ipc' })
    const report = await first
    const events = await watch.stop()

    expect(report.outcome, report.message).toBe('applied')
    expect(new Set(h.progress.map((p) => p.runId))).toEqual(new Set([report.runId]))
    expect(seq(h)).toEqual(FULL_RUN)
    // One pause and one unpause per container: nothing from a second run reached the engine.
    expect(acted(events, 'pause')).toHaveLength(20)
    expect(acted(events, 'unpause')).toHaveLength(20)
    expect(h.finished).toHaveLength(1)
    expect((await h.handlers['workflow.status']({}, TRADER)).running).toBeNull()
  })

  // Last in this block: it removes one of the 20 containers.
  it('a container removed as the run starts pausing rolls the run back and names it', async () => {
    const before = await readFile(h.configPath, 'utf8')
    const victim = h.containers[h.containers.length - 1] as (typeof h.containers)[number]
    const others = h.ids.filter((id) => id !== victim.id)
    // Synchronous `docker rm -f` inside the 'pause running' event: gone after the targets were listed, before the pause calls.
    const off = h.onProgress(({ step: s }) => {
      if (s.step === 'pause' && s.status === 'running') {
        off()
        removeContainerNow(h, victim.id)
      }
    })
    const watch = await watchEngineEvents(h)
    const report = await h.workflow.run({ text: withRiskMaxPosition(before, '9_000'), baseHash: sha256(before) }, TRADER)
    const events = await watch.stop()

    expect(report.outcome).toBe('failed')
    expect(report.message).toContain(`Pause failed for ${victim.name}; config.toml was not changed`)
    expect(report.message).toContain('The 19 paused container(s) were resumed.')
    const pauseStep = step(report, 'pause')
    expect(pauseStep?.status).toBe('failed')
    expect(pauseStep?.containers?.find((c) => c.id === victim.id)?.outcome).toBe('gone')
    expect(pauseStep?.containers?.filter((c) => c.outcome === 'ok')).toHaveLength(19)
    expect(seq(h)).toEqual(['validate:running', 'validate:ok', 'pause:running', 'pause:failed', 'unpause:running', 'unpause:ok'])
    expect(report.leftPaused).toEqual([])
    expect(sorted(acted(events, 'destroy').map((e) => e.id))).toEqual([victim.id])
    expect(sorted(acted(events, 'unpause').map((e) => e.id))).toEqual(sorted(others))
    expect((await h.states([victim.id])).get(victim.id)).toBe('missing')
    await expectAllRunning(h, others)
    expect(await readFile(h.configPath, 'utf8')).toBe(before)
    expect(await h.journal.read()).toBeNull()
  })
})

describe.skipIf(!hasTestDocker())('Save & Restart with a service that never logs its reload line', () => {
  let h: WorkflowHarness

  beforeAll(async () => {
    h = await createWorkflowHarness({
      services: [
        { name: 'orchestrator', app: 'python-orchestrator', signal: 'SIGUSR1', count: 3 },
        { name: 'scanner', app: 'go-scanner', signal: 'SIGHUP', count: 3 },
        // It reloads on SIGUSR1 like the others, but announces it in words nobody configured.
        { name: 'silent', app: 'risk-sentinel', signal: 'SIGUSR1', count: 2, reloadTimeoutMs: 3000, env: { RELOAD_LINE: 'Settings applied quietly' } },
      ],
    })
  }, 240_000)

  afterAll(async () => {
    await h?.dispose()
  })

  it('ends applied_unconfirmed, naming the service without evidence', async () => {
    const before = await readFile(h.configPath, 'utf8')
    const next = withRiskMaxPosition(before, '6_500')
    const report = await h.workflow.run({ text: next, baseHash: sha256(before) }, TRADER)

    expect(report.outcome).toBe('applied_unconfirmed')
    expect(report.reload.notProved).toEqual(['silent'])
    expect(sorted(report.reload.proved)).toEqual(['orchestrator', 'scanner'])
    expect(report.message).toMatch(/Reload not confirmed for silent: check those services' logs/)
    expect(step(report, 'reload')).toMatchObject({ status: 'warning', detail: expect.stringContaining('no evidence: silent') })
    expect(step(report, 'verify')).toMatchObject({ status: 'warning', detail: expect.stringContaining('reload not proved by silent') })
    expect(await readFile(h.configPath, 'utf8')).toBe(next)
    await expectAllRunning(h)
    // The truth behind "not confirmed": the silent containers did re-read the new file, in their own words.
    for (const c of h.containers.filter((x) => x.service === 'silent')) {
      const logs = await logsOf(h.docker, c.id)
      expect(logs).toContain(`Settings applied quietly sha=${md5(next)}`)
      expect(logs).not.toContain('Config reloaded')
    }
  })
})

describe.skipIf(!hasTestDocker() || !canControlDockerd())('Save & Restart when the engine stops answering after the write', () => {
  let h: WorkflowHarness
  let thaw: (() => void) | null = null

  beforeAll(async () => {
    h = await createWorkflowHarness({ count: 20, actionTimeoutMs: 3000, unpauseRetries: 1, retryDelayMs: 200 })
  }, 240_000)

  afterAll(async () => {
    thaw?.()
    await h?.dispose()
  })

  it('ends unpause_failed with a loud alert and a recovery naming the paused containers; resume works once it answers', async () => {
    const before = await readFile(h.configPath, 'utf8')
    const next = withRiskMaxPosition(before, '6_100')
    // SIGSTOP dockerd the moment config.toml is written: connections are accepted, nothing is answered.
    const off = h.onProgress(({ step: s }) => {
      if (s.step === 'write' && s.status === 'ok') {
        off()
        thaw = freezeEngine()
      }
    })
    let report: RunReportT
    try {
      report = await h.workflow.run({ text: next, baseHash: sha256(before) }, TRADER)
      expect(report.outcome).toBe('unpause_failed')
      expect(sorted(report.leftPaused.map((c) => c.id))).toEqual(sorted(h.ids))
      expect(report.message).toMatch(/The new config was written \(backup config\.toml\.bak\..*\), but 20 container\(s\) are still paused/)
      expect(step(report, 'unpause')?.containers?.every((c) => c.outcome === 'timeout')).toBe(true)
      const alert = h.alerts.find((a) => a.id === `still-paused-${report.runId}`)
      expect(alert).toMatchObject({ level: 'critical', sticky: true })
      for (const c of h.containers) expect(alert?.message).toContain(c.name)
      const pending = h.workflow.recovery.pending
      expect(sorted(pending?.stillPaused.map((c) => c.id) ?? [])).toEqual(sorted(h.ids))
      expect(pending?.config).toBe('new')
      expect(h.recoveryEvents.at(-1)?.stillPaused).toHaveLength(20)
      // Nothing piles onto a frozen stack.
      await expect(h.workflow.run({ text: before, baseHash: sha256(next) }, TRADER)).rejects.toMatchObject({ code: 'conflict' })
    } finally {
      thaw?.()
    }
    // The write had happened before the engine froze.
    expect(await readFile(h.configPath, 'utf8')).toBe(next)
    const thawed = await h.states()
    console.log(`[wf-int] after SIGCONT: ${[...thawed.values()].filter((s) => s === 'paused').length}/20 containers still paused`)

    const res = await h.workflow.recovery.resolve('resume', TRADER)
    expect(res.resumed).toHaveLength(20)
    expect(res.resumed.filter((r) => r.outcome !== 'ok' && r.outcome !== 'already')).toEqual([])
    expect(h.workflow.recovery.pending).toBeNull()
    expect(h.recoveryEvents.at(-1)).toBeNull()
    await expectAllRunning(h)
    expect(await h.journal.read()).toBeNull()
  })
})

describe.skipIf(!hasTestDocker() || !canControlDockerd())('Save & Restart when dockerd is stopped between pause and unpause', () => {
  let h: WorkflowHarness
  let restart: Promise<void> | null = null

  beforeAll(async () => {
    // Retries reach past the restart (delays 400+800+1600+3200 ms): the last attempts talk to the new engine.
    h = await createWorkflowHarness({ count: 20, unpauseRetries: 4, retryDelayMs: 400 })
  }, 240_000)

  afterAll(async () => {
    await restart?.catch(() => undefined)
    await startDockerd().catch(() => undefined)
    await h?.dispose()
  })

  it('reports the truth: containers stopped by the engine shutdown, config new, alert raised', async () => {
    const before = await readFile(h.configPath, 'utf8')
    const next = withRiskMaxPosition(before, '6_200')
    const off = h.onProgress(({ step: s }) => {
      if (s.step === 'write' && s.status === 'ok') {
        off()
        stopEngineNowSync() // gone before the step machine sends a single unpause
        restart = (async () => {
          await stopDockerd()
          await sleep(2000)
          await startDockerd()
        })()
      }
    })
    const report = await h.workflow.run({ text: next, baseHash: sha256(before) }, TRADER)
    await restart
    const states = await h.states()
    const unpauseStep = step(report, 'unpause')
    console.log(`[wf-int] dockerd restart: outcome ${report.outcome}; engine states ${JSON.stringify(Object.fromEntries([...new Set(states.values())].map((s) => [s, [...states.values()].filter((x) => x === s).length])))}; unpause errors: ${[...new Set(unpauseStep?.containers?.map((c) => `${c.outcome}: ${(c.error ?? '').replace(/[0-9a-f]{64}/, '<id>')}`))].join(' | ')}`)

    // The config was written before the engine went away.
    expect(await readFile(h.configPath, 'utf8')).toBe(next)
    expect(await readFile(join(h.configDir, report.backup as string), 'utf8')).toBe(before)
    // No live-restore: dockerd's shutdown stopped every container (paused ones included).
    expect(sorted(new Set(states.values()))).toEqual(['exited'])

    // The run ends loudly: nothing came back, so an alert and a recovery entry name all 20.
    expect(report.outcome).toBe('unpause_failed')
    expect(sorted(report.leftPaused.map((c) => c.id))).toEqual(sorted(h.ids))
    const alert = h.alerts.find((a) => a.id === `still-paused-${report.runId}`)
    expect(alert).toMatchObject({ level: 'critical', sticky: true })
    for (const c of h.containers) expect(alert?.message).toContain(c.name)
    expect(sorted(h.workflow.recovery.pending?.stillPaused.map((c) => c.id) ?? [])).toEqual(sorted(h.ids))
    // The last attempts reached the restarted engine, which answered that they are not paused (they are exited).
    expect(unpauseStep?.containers?.filter((c) => c.outcome !== 'failed' || !/is not paused/.test(c.error ?? ''))).toEqual([])

    // The run's own report calls them "still paused" (that is what its last unpause attempts saw
    // fail). 'resume' looks at the engine again: none is paused (all exited), so nothing is unpaused,
    // each one is reported as exited, and the recovery is settled.
    const res = await h.workflow.recovery.resolve('resume', TRADER)
    expect(res.resumed).toHaveLength(20)
    expect(res.resumed.filter((r) => r.outcome !== 'failed' || !/^exited, not paused: nothing to resume/.test(r.error ?? ''))).toEqual([])
    expect(h.workflow.recovery.pending).toBeNull()
    expect(await h.journal.read()).toBeNull()

    // A restart of Stackdeck finds nothing left to recover.
    await h.stop()
    const again = await buildWorkflowCore(h, { unpauseRetries: 0, waitForRunning: false })
    try {
      expect(await again.workflow.recovery.check(false, TRADER)).toBeNull()
      expect(again.workflow.recovery.pending).toBeNull()
    } finally {
      await again.stop()
    }
  })
})

describe.skipIf(!hasTestDocker())('Save & Restart leaves what the trader froze frozen (docker pause by hand)', () => {
  let h: WorkflowHarness

  beforeAll(async () => {
    h = await createWorkflowHarness({
      services: [
        { name: 'orchestrator', app: 'python-orchestrator', signal: 'SIGUSR1', count: 2 },
        { name: 'scanner', app: 'go-scanner', signal: 'SIGHUP', count: 3 },
        // Every container of this one is paused by hand: its reload must be deferred, not proved.
        { name: 'sentinel', app: 'risk-sentinel', signal: 'SIGUSR1', count: 1 },
      ],
    })
  }, 240_000)

  afterAll(async () => {
    await h?.dispose()
  })

  it('never signals or unpauses a container paused before the run; the report lists it as left paused, reload deferred', async () => {
    const held = [
      h.containers.find((c) => c.service === 'scanner') as (typeof h.containers)[number],
      h.containers.find((c) => c.service === 'sentinel') as (typeof h.containers)[number],
    ]
    const heldIds = held.map((c) => c.id)
    const others = h.ids.filter((id) => !heldIds.includes(id))
    // The trader's own `docker pause`, outside Stackdeck.
    for (const c of held) execFileSync('docker', ['-H', h.host, 'pause', c.id], { env: { ...process.env, DOCKER_CONTEXT: '' }, stdio: 'ignore' })
    for (let i = 0; ; i++) {
      const seen = h.stack.snapshot().services.flatMap((s) => s.containers).filter((c) => heldIds.includes(c.id) && c.state === 'paused')
      if (seen.length === held.length) break
      if (i > 200) throw new Error('the snapshot never showed the hand-paused containers')
      await sleep(25)
    }

    const before = await readFile(h.configPath, 'utf8')
    const next = withRiskMaxPosition(before, '5_500')
    const watch = await watchEngineEvents(h)
    const report = await h.workflow.run({ text: next, baseHash: sha256(before), reason: 'with two containers held' }, TRADER)
    const events = await watch.stop()

    // The witness is the engine: still paused, and not one pause, unpause or signal reached them.
    const states = await h.states()
    for (const id of heldIds) expect(states.get(id), id).toBe('paused')
    for (const id of others) expect(states.get(id), id).toBe('running')
    for (const action of ['pause', 'unpause', 'kill']) expect(events.filter((e) => e.action === action && heldIds.includes(e.id))).toEqual([])
    expect(sorted(acted(events, 'unpause').map((e) => e.id))).toEqual(sorted(others))
    expect(sorted(acted(events, 'kill').map((e) => e.id))).toEqual(sorted(others))

    // The report says it, per container and in plain words.
    expect(sorted(report.pausedBefore.map((c) => c.id))).toEqual(sorted(heldIds))
    for (const c of held) {
      const check = report.containers?.find((x) => x.id === c.id)
      expect(check, c.name).toMatchObject({ before: 'paused', pausedByRun: false, expected: 'paused', after: 'paused', ok: true, reload: 'deferred' })
      // A paused container's file is still read (the archive API works on a paused container).
      expect(check?.note).toBe('paused by the trader, left paused, reload deferred; sees the new file at /config/config.toml (read through the archive API)')
    }
    for (const id of others) expect(report.containers?.find((x) => x.id === id)).toMatchObject({ pausedByRun: true, after: 'running', ok: true, reload: 'proved' })
    expect(sorted(report.reload.deferred ?? [])).toEqual(['scanner', 'sentinel'])
    expect(report.reload.proved).not.toContain('sentinel')
    expect(report.outcome).toBe('applied_unconfirmed')
    expect(report.message).toContain(`Left paused as the trader had them, not signalled: ${held.map((c) => c.name).join(', ')}`)
    expect(step(report, 'verify')?.detail).not.toContain('stack running')
    expect(step(report, 'reload')?.detail).toContain('reload deferred (paused by the trader, not signalled)')

    // The held ones really kept the old process state: no reload line for the new file.
    const sum = md5(next)
    for (const c of held) expect(await logsOf(h.docker, c.id)).not.toContain(`sha=${sum}`)

    // Once the trader resumes them, they are as they were; a reload from then on reaches them.
    for (const c of held) execFileSync('docker', ['-H', h.host, 'unpause', c.id], { env: { ...process.env, DOCKER_CONTEXT: '' }, stdio: 'ignore' })
    await expectAllRunning(h)
  })

  it('a manual signal from the Stack tab skips a paused container instead of thawing it', async () => {
    const victim = h.containers.find((c) => c.service === 'scanner') as (typeof h.containers)[number]
    execFileSync('docker', ['-H', h.host, 'pause', victim.id], { env: { ...process.env, DOCKER_CONTEXT: '' }, stdio: 'ignore' })
    try {
      const r = await h.stack.signal(TRADER, 'SIGHUP', { target: { service: 'scanner' } })
      const mine = r.containers.find((c) => c.id === victim.id)
      expect(mine).toMatchObject({ outcome: 'skipped', state: 'paused' })
      expect(mine?.error).toMatch(/a signal would unfreeze it/)
      expect(r.containers.filter((c) => c.id !== victim.id).every((c) => c.outcome === 'ok')).toBe(true)
      expect((await h.states([victim.id])).get(victim.id)).toBe('paused')
    } finally {
      execFileSync('docker', ['-H', h.host, 'unpause', victim.id], { env: { ...process.env, DOCKER_CONTEXT: '' }, stdio: 'ignore' })
    }
  })
})
