/**
 * The real headless host (out/main/server.js, built by `npx electron-vite build`) SIGKILLed in the
 * middle of a Save & Restart, then started again on the same state dir: the journal must lead the
 * new process to the containers the dead one left paused.
 *
 * The kill is triggered by the host's own 'workflow.progress' event for the end of the pause step,
 * received over its WebSocket door, so it lands between pause and unpause without any hook in the
 * product; `docker inspect` then confirms what is really paused.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readdir, readFile, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasTestDocker } from '../../../test-support/docker-fixtures'
import { startHostProcess, type RunningHost } from '../../../test-support/host-process'
import {
  ROOT,
  createWorkflowFixtures,
  engineStates,
  sha256,
  withRiskMaxPosition,
  type WorkflowFixtures,
} from '../../../test-support/workflow-harness'
import type { RecoveryInfoT } from './recovery'

const SERVER = join(ROOT, 'out/main/server.js')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const sorted = (xs: Iterable<string>) => [...xs].sort()

async function api<T>(host: RunningHost, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${host.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${host.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  return { status: res.status, body: (await res.json()) as T }
}

interface WorkflowStatus {
  running: unknown
  recovery: RecoveryInfoT | null
}

async function waitForStack(host: RunningHost, n: number) {
  for (let i = 0; ; i++) {
    const { body } = await api<{ services: Array<{ containers: Array<{ state: string }> }> }>(host, 'GET', '/stack')
    const running = body.services.flatMap((s) => s.containers).filter((c) => c.state === 'running').length
    if (running === n) return
    if (i > 150) throw new Error(`host sees ${running}/${n} containers running`)
    await sleep(100)
  }
}

/**
 * Starts a run over HTTP and SIGKILLs the host the instant it announces the end of the pause step.
 * Resolves when the process is dead, with what the host reported for that step.
 */
async function crashAfterPause(host: RunningHost, input: { text: string; baseHash: string }, at: 'validate' | 'pause' | 'write' = 'pause') {
  const ws = new WebSocket(`${host.url.replace(/^http/, 'ws')}/api/ws`, ['stackdeck.v1'], {
    headers: { authorization: `Bearer ${host.token}` },
  })
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res())
    ws.once('error', rej)
  })
  const exited = new Promise<NodeJS.Signals | null>((res) => host.proc.once('exit', (_code, sig) => res(sig)))
  type PauseStep = { status: string; containers?: Array<{ id: string; outcome: string }> }
  const seen: { pauseStep: PauseStep | null } = { pauseStep: null }
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString('utf8')) as { event?: string; payload?: { step?: { step: string; status: string } } }
    if (m.event === 'workflow.progress' && m.payload?.step?.step === at && m.payload.step.status !== 'running') {
      host.proc.kill('SIGKILL')
      seen.pauseStep = m.payload.step
    }
  })
  ws.on('error', () => undefined)
  // Not awaited for its answer: the host dies while handling it.
  const request = api(host, 'POST', '/save-and-restart', input).then(
    (r) => `answered ${r.status}`,
    () => 'connection dropped',
  )
  const signal = await Promise.race([exited, sleep(60_000).then(() => 'timeout' as const)])
  ws.terminate()
  return { signal, request: await request, pauseStep: seen.pauseStep }
}

describe.skipIf(!hasTestDocker())('Save & Restart survives the host being SIGKILLed between pause and unpause', () => {
  let fx: WorkflowFixtures
  const hosts: RunningHost[] = []

  const start = async (settings: Record<string, unknown>) => {
    const host = await startHostProcess(settings)
    hosts.push(host)
    return host
  }

  beforeAll(async () => {
    if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: run \`npx electron-vite build\` first`)
    fx = await createWorkflowFixtures({ count: 20 })
  }, 240_000)

  afterAll(async () => {
    for (const h of hosts) {
      if (h.proc.exitCode === null && h.proc.signalCode === null) await h.stop()
      await rm(dirname(h.settingsPath), { recursive: true, force: true })
    }
    await fx?.dispose()
  })

  it('a restarted host reports the paused containers and the config state, and resumes them on request', async () => {
    const settings = fx.hostSettings({ workflow: { unpauseRetries: 3, autoResumeOnRecovery: false, applyMode: 'paused' } })
    const before = await readFile(fx.configPath, 'utf8')
    const next = withRiskMaxPosition(before, '6_300')

    const first = await start(settings)
    await waitForStack(first, 20)
    const crash = await crashAfterPause(first, { text: next, baseHash: sha256(before) })
    expect(crash.signal).toBe('SIGKILL')
    expect(crash.request).toBe('connection dropped')
    expect(crash.pauseStep?.status).toBe('ok')
    expect(crash.pauseStep?.containers).toHaveLength(20)

    // What the dead process left behind, according to the engine and the disk.
    const states = await engineStates(fx.docker, fx.ids)
    const paused = fx.ids.filter((id) => states.get(id) === 'paused')
    expect(paused).toHaveLength(20)
    const onDisk = sha256(await readFile(fx.configPath))
    const diskState = onDisk === sha256(before) ? 'old' : onDisk === sha256(next) ? 'new' : 'other'
    expect(['old', 'new']).toContain(diskState)
    console.log(`[wf-crash] killed after pause: ${paused.length}/20 paused, config.toml holds the ${diskState} settings`)

    const second = await start(settings)
    const status = (await api<WorkflowStatus>(second, 'GET', '/workflow')).body
    expect(status.running).toBeNull()
    expect(status.recovery).not.toBeNull()
    const recovery = status.recovery as RecoveryInfoT
    expect(sorted(recovery.stillPaused.map((c) => c.id))).toEqual(sorted(paused))
    expect(recovery.config).toBe(diskState)
    // 'paused' is journaled alongside the rename (no fsync inside the freeze waits for it): a kill
    // at the end of the pause step may land before that record, while the journal still says 'pausing'.
    expect(['pausing', 'paused']).toContain(recovery.phase)
    // Staged before the pause: the journal names the backup from the start (it was null here before).
    expect(recovery.backup).toMatch(/^config\.toml\.bak\./)
    expect(recovery.who).toBe('admin')
    // Still paused: the new host did not touch them on its own (autoResumeOnRecovery is off).
    expect([...(await engineStates(fx.docker, fx.ids)).values()].every((s) => s === 'paused')).toBe(true)

    // A new run is refused until the interrupted one is settled.
    const refused = await api<{ error: { code: string; message: string } }>(second, 'POST', '/save-and-restart', {
      text: before,
      baseHash: onDisk,
    })
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('conflict')
    expect(refused.body.error.message).toMatch(/left 20 container\(s\) paused/)

    const resumed = await api<{ resumed: Array<{ id: string; outcome: string }>; dismissed: boolean }>(second, 'POST', '/workflow/recover', {
      action: 'resume',
    })
    expect(resumed.status).toBe(200)
    expect(resumed.body.dismissed).toBe(false)
    expect(sorted(resumed.body.resumed.map((r) => r.id))).toEqual(sorted(paused))
    expect(resumed.body.resumed.filter((r) => r.outcome !== 'ok')).toEqual([])
    expect([...(await engineStates(fx.docker, fx.ids)).values()].every((s) => s === 'running')).toBe(true)
    expect((await api<WorkflowStatus>(second, 'GET', '/workflow')).body.recovery).toBeNull()
    await second.stop()
  })

  it('killed after staging, before the pause: nothing is paused, the old file is live, the staged temp file is removed at start-up', async () => {
    const settings = fx.hostSettings({ workflow: { unpauseRetries: 3, autoResumeOnRecovery: false, applyMode: 'paused' } })
    const before = await readFile(fx.configPath, 'utf8')
    const first = await start(settings)
    await waitForStack(first, 20)
    const crash = await crashAfterPause(first, { text: withRiskMaxPosition(before, '6_250'), baseHash: sha256(before) }, 'validate')
    expect(crash.signal).toBe('SIGKILL')
    expect(crash.pauseStep?.status).toBe('ok')
    expect(await readFile(fx.configPath, 'utf8')).toBe(before)
    const staged = (await readdir(fx.configDir)).filter((n) => n.includes('.stackdeck-'))
    expect(staged.length).toBeGreaterThan(0)

    const second = await start(settings)
    const status = (await api<WorkflowStatus>(second, 'GET', '/workflow')).body
    // Nothing to resume: the recovery notice is raised and cleared, and the old file stays live.
    expect(status.recovery).toBeNull()
    expect([...(await engineStates(fx.docker, fx.ids)).values()].every((s) => s === 'running')).toBe(true)
    expect(await readFile(fx.configPath, 'utf8')).toBe(before)
    expect((await readdir(fx.configDir)).filter((n) => n.includes('.stackdeck-'))).toEqual([])
    await second.stop()
  })

  it('killed after the write: recovery resumes the containers, then reloads and verifies the new file in each', async () => {
    const settings = fx.hostSettings({ workflow: { unpauseRetries: 3, autoResumeOnRecovery: false, applyMode: 'paused' } })
    const before = await readFile(fx.configPath, 'utf8')
    const next = withRiskMaxPosition(before, '6_350')

    const first = await start(settings)
    await waitForStack(first, 20)
    const crash = await crashAfterPause(first, { text: next, baseHash: sha256(before) }, 'write')
    expect(crash.signal).toBe('SIGKILL')
    expect(crash.pauseStep?.status).toBe('ok')
    expect(sha256(await readFile(fx.configPath))).toBe(sha256(next))
    const states0 = await engineStates(fx.docker, fx.ids)
    expect(fx.ids.filter((id) => states0.get(id) === 'paused')).toHaveLength(20)

    const second = await start(settings)
    const recovery = (await api<WorkflowStatus>(second, 'GET', '/workflow')).body.recovery as RecoveryInfoT
    expect(recovery.config).toBe('new')
    expect(recovery.backup).toMatch(/^config\.toml\.bak\./)
    const resumed = await api<{
      resumed: Array<{ id: string; outcome: string }>
      afterResume?: { ok: boolean; detail: string; reload: { proved: string[]; notProved: string[] }; containers: Array<{ id: string; file?: { matches: boolean | null } }> }
    }>(second, 'POST', '/workflow/recover', { action: 'resume' })
    expect(resumed.status).toBe(200)
    expect(resumed.body.resumed.filter((r) => r.outcome !== 'ok')).toEqual([])
    // Resuming alone would leave all 20 on the old config: recovery ran the reload and verify.
    const after = resumed.body.afterResume
    expect(after?.ok, after?.detail).toBe(true)
    expect(sorted(after?.reload.proved ?? [])).toEqual(['orchestrator', 'scanner'])
    expect(after?.containers.filter((c) => c.file?.matches === true)).toHaveLength(20)
    expect(after?.detail).toContain('20/20 container(s) seen holding the new file')
    expect([...(await engineStates(fx.docker, fx.ids)).values()].every((s) => s === 'running')).toBe(true)
    await second.stop()
  })

  it('with workflow.autoResumeOnRecovery the restarted host resumes them at start-up', async () => {
    const settings = fx.hostSettings({ workflow: { unpauseRetries: 3, autoResumeOnRecovery: true, applyMode: 'paused' } })
    const before = await readFile(fx.configPath, 'utf8')
    const next = withRiskMaxPosition(before, '6_400')

    const first = await start(settings)
    await waitForStack(first, 20)
    const crash = await crashAfterPause(first, { text: next, baseHash: sha256(before) })
    expect(crash.signal).toBe('SIGKILL')
    expect(crash.pauseStep?.status).toBe('ok')
    const paused = [...(await engineStates(fx.docker, fx.ids)).values()].filter((s) => s === 'paused')
    expect(paused).toHaveLength(20)

    // The host prints its URL only after core.start(), which includes the recovery check.
    const second = await start(settings)
    expect([...(await engineStates(fx.docker, fx.ids)).values()].every((s) => s === 'running')).toBe(true)
    const status = (await api<WorkflowStatus>(second, 'GET', '/workflow')).body
    expect(status.recovery).toBeNull()
    expect(existsSync(join(fx.stateDir, 'save-restart.journal.json'))).toBe(false)
    await second.stop()
  })
})

describe.skipIf(!hasTestDocker())('recovery after a crash leaves what the trader paused before the run paused', () => {
  let fx: WorkflowFixtures
  const hosts: RunningHost[] = []

  beforeAll(async () => {
    if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: run \`npx electron-vite build\` first`)
    fx = await createWorkflowFixtures({ count: 4 })
  }, 240_000)

  afterAll(async () => {
    for (const h of hosts) {
      if (h.proc.exitCode === null && h.proc.signalCode === null) await h.stop()
      await rm(dirname(h.settingsPath), { recursive: true, force: true })
    }
    await fx?.dispose()
  })

  it('the restarted host resumes only what the dead run paused; the hand-paused container stays paused and is named', async () => {
    const held = fx.containers[1] as (typeof fx.containers)[number]
    const ours = fx.ids.filter((id) => id !== held.id)
    // The trader's own `docker pause`, before the run.
    execFileSync('docker', ['-H', fx.host, 'pause', held.id], { env: { ...process.env, DOCKER_CONTEXT: '' }, stdio: 'ignore' })
    const settings = fx.hostSettings({ workflow: { unpauseRetries: 3, autoResumeOnRecovery: false, applyMode: 'paused' } })
    const before = await readFile(fx.configPath, 'utf8')
    const first = await startHost(hosts, settings)
    await waitForStack(first, 3)
    const crash = await crashAfterPause(first, { text: withRiskMaxPosition(before, '6_600'), baseHash: sha256(before) })
    expect(crash.signal).toBe('SIGKILL')
    expect(crash.pauseStep?.containers?.map((c) => c.id).sort()).toEqual(sorted(ours))
    expect([...(await engineStates(fx.docker, fx.ids)).values()].every((s) => s === 'paused')).toBe(true)

    const second = await startHost(hosts, settings)
    const recovery = (await api<WorkflowStatus>(second, 'GET', '/workflow')).body.recovery as RecoveryInfoT
    expect(sorted(recovery.stillPaused.map((c) => c.id))).toEqual(sorted(ours))
    expect(recovery.pausedBefore?.map((c) => c.id)).toEqual([held.id])

    const resumed = await api<{ resumed: Array<{ id: string; outcome: string }> }>(second, 'POST', '/workflow/recover', { action: 'resume' })
    expect(resumed.status).toBe(200)
    expect(sorted(resumed.body.resumed.map((r) => r.id))).toEqual(sorted(ours))
    const states = await engineStates(fx.docker, fx.ids)
    expect(states.get(held.id)).toBe('paused')
    for (const id of ours) expect(states.get(id), id).toBe('running')
    expect((await api<WorkflowStatus>(second, 'GET', '/workflow')).body.recovery).toBeNull()
    await second.stop()
    execFileSync('docker', ['-H', fx.host, 'unpause', held.id], { env: { ...process.env, DOCKER_CONTEXT: '' }, stdio: 'ignore' })
  })

  it('with autoResumeOnRecovery the start-up resume leaves the hand-paused container paused too', async () => {
    const held = fx.containers[2] as (typeof fx.containers)[number]
    const ours = fx.ids.filter((id) => id !== held.id)
    execFileSync('docker', ['-H', fx.host, 'pause', held.id], { env: { ...process.env, DOCKER_CONTEXT: '' }, stdio: 'ignore' })
    const settings = fx.hostSettings({ workflow: { unpauseRetries: 3, autoResumeOnRecovery: true, applyMode: 'paused' } })
    const before = await readFile(fx.configPath, 'utf8')
    const first = await startHost(hosts, settings)
    await waitForStack(first, 3)
    const crash = await crashAfterPause(first, { text: withRiskMaxPosition(before, '6_700'), baseHash: sha256(before) })
    expect(crash.signal).toBe('SIGKILL')
    const second = await startHost(hosts, settings)
    const states = await engineStates(fx.docker, fx.ids)
    expect(states.get(held.id)).toBe('paused')
    for (const id of ours) expect(states.get(id), id).toBe('running')
    await second.stop()
    execFileSync('docker', ['-H', fx.host, 'unpause', held.id], { env: { ...process.env, DOCKER_CONTEXT: '' }, stdio: 'ignore' })
  })
})

async function startHost(list: RunningHost[], settings: Record<string, unknown>) {
  const host = await startHostProcess(settings)
  list.push(host)
  return host
}
