/**
 * Save & Restart proves that every container sees the new file, on the real
 * engine (scripts/with-test-env.sh). The witnesses are the engine's own event stream, `docker exec
 * cat` inside each container (what its processes read) and the services' own log lines, never the
 * code under test:
 *  - a single-file bind mount is refused before anything is paused, with the compose fix; with
 *    config.singleFileMounts = write-in-place the container reads the new bytes, and the report
 *    says how each container's file was proved;
 *  - a replica whose directory mount points elsewhere fails the verify step, and its reload line
 *    (which prints the OLD max_position) does not count;
 *  - a hot-only change is applied with no pause event at all, each container sees the new bytes and
 *    each reload is proved by a line naming the new value;
 *  - the freeze a paused run reports is the one in the engine's events.
 */
import { readFile, stat } from 'node:fs/promises'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { hasTestDocker } from '../../../test-support/docker-fixtures'
import {
  TRADER,
  buildWorkflowCore,
  catConfigIn,
  createWorkflowFixtures,
  createWorkflowHarness,
  sha256,
  watchEngineEvents,
  withRiskMaxPosition,
  type WorkflowCore,
  type WorkflowFixtures,
  type WorkflowHarness,
} from '../../../test-support/workflow-harness'
import type { RunReportT } from '../api/contract/workflow'

const sorted = (xs: Iterable<string>) => [...xs].sort()
const step = (r: RunReportT, name: string) => r.steps.find((s) => s.step === name)
/** Reload evidence tied to the value: a line printing the old max_position proves nothing. */
const VALUE_PATTERN = 'Config reloaded .*max_position={{/risk/max_position}}$'

describe.skipIf(!hasTestDocker())('a container that bind-mounts config.toml itself (STACKDECK_TEST_DOCKER_HOST)', () => {
  let fx: WorkflowFixtures
  let core: WorkflowCore | null = null

  beforeAll(async () => {
    fx = await createWorkflowFixtures({
      services: [
        { name: 'orchestrator', app: 'python-orchestrator', signal: 'SIGUSR1', count: 2 },
        { name: 'scanner', app: 'go-scanner', signal: 'SIGHUP', count: 2, configMount: 'file' },
      ],
    })
  }, 240_000)

  afterAll(async () => {
    await core?.stop()
    await fx?.dispose()
  })

  it('is refused before anything is paused or written, naming the container and the compose fix', async () => {
    core = await buildWorkflowCore(fx, { applyMode: 'paused' })
    const before = await readFile(fx.configPath, 'utf8')
    const watch = await watchEngineEvents(fx)
    const report = await core.workflow.run({ text: withRiskMaxPosition(before, '5_100'), baseHash: sha256(before) }, TRADER)
    const events = await watch.stop()

    expect(report.outcome).toBe('failed')
    expect(report.errorCode).toBe('conflict')
    expect(step(report, 'validate')?.status).toBe('failed')
    expect(step(report, 'pause')).toBeUndefined()
    expect(events.filter((e) => e.action === 'pause')).toEqual([])
    expect(await readFile(fx.configPath, 'utf8')).toBe(before)
    const scanners = fx.containers.filter((c) => c.service === 'scanner').map((c) => c.name)
    for (const n of scanners) expect(report.message).toContain(n)
    expect(report.message).toContain(`replace "- ${fx.configPath}:/config/config.toml:ro" with "- ${fx.configDir}:/config:ro"`)
    expect(report.message).toContain('config.singleFileMounts = "write-in-place"')
    // No backup was left behind for a save that never happened.
    expect((await core.config.listBackups()).length).toBe(0)
    await core.stop()
    core = null
  })

  it('with write-in-place, every container reads the new bytes and the report says how each was proved', async () => {
    core = await buildWorkflowCore(fx, { applyMode: 'paused', singleFileMounts: 'write-in-place' })
    const before = await readFile(fx.configPath, 'utf8')
    const inode = (await stat(fx.configPath)).ino
    const next = withRiskMaxPosition(before, '5_200')
    const report = await core.workflow.run({ text: next, baseHash: sha256(before) }, TRADER)

    expect(report.outcome, report.message).toBe('applied')
    expect(report.writeMode).toBe('in-place')
    expect(report.mode).toBe('paused')
    expect((await stat(fx.configPath)).ino).toBe(inode)
    expect(step(report, 'write')?.detail).toMatch(/in place.*not crash-atomic/)
    // Ground truth: what each container's processes read.
    for (const c of fx.containers) expect(await catConfigIn(fx.docker, c.id), c.name).toBe(next)
    const files = new Map(report.containers?.map((c) => [c.id, c.file]))
    for (const c of fx.containers) {
      const f = files.get(c.id)
      expect(f?.matches, `${c.name}: ${f?.note}`).toBe(true)
      expect(f?.sha256).toBe(sha256(next))
      // A single-file mount is proved from inside (the archive read shows the host file, not the
      // pinned inode); a directory mount through the archive API.
      expect(f?.via).toBe(c.service === 'scanner' ? 'exec' : 'archive')
      expect(f?.view).toBe(c.service === 'scanner' ? 'file' : 'directory')
    }
    expect(sorted(report.reload.proved)).toEqual(['orchestrator', 'scanner'])
    await core.stop()
    core = null
  })
})

describe.skipIf(!hasTestDocker())('a replica whose directory mount points at another directory', () => {
  let h: WorkflowHarness

  beforeAll(async () => {
    h = await createWorkflowHarness({
      services: [
        { name: 'orchestrator', app: 'python-orchestrator', signal: 'SIGUSR1', count: 2, logPattern: VALUE_PATTERN },
        { name: 'scanner', app: 'go-scanner', signal: 'SIGHUP', count: 3, configMount: { elsewhere: 1 }, logPattern: VALUE_PATTERN, reloadTimeoutMs: 3000 },
      ],
    })
  }, 240_000)

  afterAll(async () => {
    await h?.dispose()
  })

  it('fails the verify step for that container, and its reload line (with the old value) does not count', async () => {
    const before = await readFile(h.configPath, 'utf8')
    const next = withRiskMaxPosition(before, '5_300')
    const stray = h.containers.filter((c) => c.service === 'scanner')[1] as (typeof h.containers)[number]
    const report = await h.workflow.run({ text: next, baseHash: sha256(before) }, TRADER)

    expect(report.outcome, report.message).toBe('applied_unconfirmed')
    expect(step(report, 'verify')?.status).toBe('warning')
    expect(step(report, 'verify')?.detail).toContain(stray.name)
    const checks = new Map(report.containers?.map((c) => [c.id, c]))
    const bad = checks.get(stray.id)
    expect(bad?.ok).toBe(false)
    expect(bad?.file?.matches).toBe(false)
    expect(bad?.file?.sha256).toBe(sha256(before))
    expect(bad?.file?.via).toBe('archive')
    expect(bad?.note).toContain('NOT the file that was written')
    // Ground truth: it really reads the old file, and says so in its own log.
    expect(await h.config.currentHash()).toBe(sha256(next))
    expect(await catConfigIn(h.docker, stray.id)).toBe(before)
    for (const c of h.containers.filter((x) => x.id !== stray.id)) {
      expect(checks.get(c.id)?.file?.matches, c.name).toBe(true)
      expect(await catConfigIn(h.docker, c.id), c.name).toBe(next)
    }
    expect(report.reload.proved).toEqual(['orchestrator'])
    expect(report.reload.notProved).toEqual(['scanner'])
    expect(report.message).toContain(stray.name)
  })
})

describe.skipIf(!hasTestDocker())('hot changes apply with zero freeze; paused runs report the engine-side freeze', () => {
  let h: WorkflowHarness

  beforeAll(async () => {
    h = await createWorkflowHarness({
      applyMode: 'auto',
      services: [
        { name: 'orchestrator', app: 'python-orchestrator', signal: 'SIGUSR1', count: 3, logPattern: VALUE_PATTERN },
        { name: 'scanner', app: 'go-scanner', signal: 'SIGHUP', count: 3, logPattern: VALUE_PATTERN },
      ],
    })
  }, 240_000)

  afterAll(async () => {
    await h?.dispose()
  })

  beforeEach(() => h.clearEvents())

  it('a hot-only change: no pause event, every container sees the new bytes, every reload names the new value', async () => {
    const before = await readFile(h.configPath, 'utf8')
    const next = withRiskMaxPosition(before, '5_400')
    const watch = await watchEngineEvents(h)
    const report = await h.workflow.run({ text: next, baseHash: sha256(before) }, TRADER)
    const events = await watch.stop()

    expect(report.outcome, report.message).toBe('applied')
    expect(report.diff.changes).toEqual([{ pointer: '/risk/max_position', apply: 'hot' }])
    expect(report.mode).toBe('hot')
    expect(report.freezeWindowMs).toBe(0)
    expect(report.freezeClock).toBe('none')
    expect(step(report, 'pause')?.status).toBe('skipped')
    expect(step(report, 'unpause')?.status).toBe('skipped')
    expect(events.filter((e) => e.action === 'pause' || e.action === 'unpause')).toEqual([])
    expect(report.message).toContain('applied without pausing')
    for (const c of h.containers) expect(await catConfigIn(h.docker, c.id), c.name).toBe(next)
    expect(report.containers?.every((c) => c.file?.matches === true && c.after === 'running')).toBe(true)
    expect(sorted(report.reload.proved)).toEqual(['orchestrator', 'scanner'])
    // The pattern was tied to the value: the lines that proved it carry max_position=5400.
    const logs = await Promise.all(h.containers.map((c) => h.docker.getContainer(c.id).logs({ stdout: true, stderr: true })))
    for (const l of logs) expect(l.toString('utf8')).toContain('max_position=5400')
  })

  it('the trader can force the paused path; its freeze is taken from the engine events', async () => {
    const before = await readFile(h.configPath, 'utf8')
    const next = withRiskMaxPosition(before, '5_500')
    const watch = await watchEngineEvents(h)
    const report = await h.workflow.run({ text: next, baseHash: sha256(before), mode: 'paused' }, TRADER)
    const events = await watch.stop()

    expect(report.outcome, report.message).toBe('applied')
    expect(report.mode).toBe('paused')
    expect(report.freezeClock).toBe('engine')
    const pauses = events.filter((e) => e.action === 'pause')
    const unpauses = events.filter((e) => e.action === 'unpause')
    expect(pauses).toHaveLength(6)
    expect(unpauses).toHaveLength(6)
    const engineMs = (Math.max(...unpauses.map((e) => e.at)) - Math.min(...pauses.map((e) => e.at)))
    expect(Math.abs((report.freezeWindowMs as number) - engineMs)).toBeLessThan(1)
    // The engine's window sits inside Stackdeck's own (requests out, confirmations back).
    expect(report.freezeWindowMs as number).toBeLessThanOrEqual((report.freezeWindowClientMs as number) + 1)
    expect(report.message).toContain('(engine events)')
  })

  it('mode hot is refused when a changed field needs a restart, before anything is touched', async () => {
    const before = await readFile(h.configPath, 'utf8')
    const next = before.replace(/^workers = \d+/m, 'workers = 7')
    expect(next).not.toBe(before)
    const watch = await watchEngineEvents(h)
    const report = await h.workflow.run({ text: next, baseHash: sha256(before), mode: 'hot' }, TRADER)
    const events = await watch.stop()
    expect(report.outcome).toBe('failed')
    expect(report.message).toMatch(/\/scanner\/workers \(restart\)/)
    expect(events).toEqual([])
    expect(await readFile(h.configPath, 'utf8')).toBe(before)

    // auto with a restart field pauses.
    const auto = await h.workflow.run({ text: next, baseHash: sha256(before) }, TRADER)
    expect(auto.outcome, auto.message).toBe('applied')
    expect(auto.mode).toBe('paused')
    expect(step(auto, 'validate')?.detail).toContain('/scanner/workers (restart) not hot')
  })
})
