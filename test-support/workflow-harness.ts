/**
 * Save & Restart against the real engine and real files, for the integration tests, the Gherkin
 * features and the benchmark. It
 *  - copies config.example.toml into a temp config DIRECTORY and bind-mounts that directory
 *    read-only at /config in every fixture container (the layout the product documents);
 *  - starts fixture containers for two services by default (app=python-orchestrator reloading on
 *    SIGUSR1, app=go-scanner on SIGHUP; both prove a reload with "Config reloaded sha=<md5>");
 *  - builds StackService + ConfigService + SaveAndRestart wired as electron/core/wiring/create-core.ts wires them
 *    (createStackPort, createConfigPort, Journal and RunHistory in a temp state dir, the same
 *    emitter mapping onto an EventHub), and records every event the hub carries.
 * Only the bus is left out: pause/resume announcements go nowhere (StackService reports them as
 * not announced), which the workflow does not depend on.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type Docker from 'dockerode'
import type { CallContext } from '../electron/core/api/call-context'
import type { EventMap } from '../electron/core/api/contract'
import type { RunReportT, StepReportT } from '../electron/core/api/contract/workflow'
import { createConfigPort } from '../electron/core/workflow/config-port'
import { ConfigService } from '../electron/core/config/config-service'
import { EventHub } from '../electron/core/event-hub'
import { StackService } from '../electron/core/stack/stack-service'
import type { ServiceSpec } from '../electron/core/stack/types'
import { Journal } from '../electron/core/workflow/journal'
import { RunHistory } from '../electron/core/workflow/run-history'
import { SaveAndRestart } from '../electron/core/workflow/save-and-restart'
import { createStackPort } from '../electron/core/workflow/stack-port'
import { createWorkflowHandlers } from '../electron/core/workflow/workflow-handlers'
import {
  TEST_LABEL_KEY,
  containerLogs,
  execIn,
  removeFixtures,
  startFixtures,
  testDocker,
  testDockerHost,
  testLabel,
  waitForLog,
  alive,
} from './docker-fixtures'
import { testSettings } from './test-settings'

export const ROOT = resolve(import.meta.dirname, '..')
export const CONFIG_SCHEMA = join(ROOT, 'schemas/config.schema.json')
export const EXAMPLE_CONFIG = readFileSync(join(ROOT, 'config.example.toml'), 'utf8')
/** Label that ties every container of one harness together (and scopes its cleanup). */
export const RUN_LABEL = 'stackdeck.wf'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex')
/** What service.sh prints after "Config reloaded sha=": md5sum of /config/config.toml. */
export const md5 = (text: string | Buffer) => createHash('md5').update(text).digest('hex')

/**
 * config.example.toml's [risk] max_position line with another value. `value` is TOML source, so
 * `'-1'` gives a file that parses but breaks the schema (minimum 0).
 */
export function withRiskMaxPosition(text: string, value: string): string {
  const re = /^max_position = \S+(\s+# shares\/contracts per symbol)$/m
  if (!re.test(text)) throw new Error('the [risk] max_position line of config.example.toml was not found')
  return text.replace(re, `max_position = ${value}$1`)
}

// ---- fixtures ------------------------------------------------------------------------------------

export interface FixtureServiceSpec {
  /** Service name in Stackdeck's settings. */
  name: string
  /** `app` label of its containers. */
  app: string
  signal: string | null
  count: number
  /** Default 'Config reloaded'. */
  logPattern?: string | null
  /** How long the reload step waits for evidence; default 10000. */
  reloadTimeoutMs?: number
  /** Extra env for service.sh, e.g. RELOAD_LINE. */
  env?: Record<string, string>
  /**
   * How its containers mount the config: the directory (default, as documented); the single FILE
   * (the layout that keeps the old inode after a save); or, for container `index` only, another
   * directory holding a copy of the config (a replica whose mount points elsewhere).
   */
  configMount?: 'directory' | 'file' | { elsewhere: number }
}

/** The two services of the trading stack, `total` containers split between them. */
export function defaultServices(total: number): FixtureServiceSpec[] {
  return [
    { name: 'orchestrator', app: 'python-orchestrator', signal: 'SIGUSR1', count: Math.ceil(total / 2) },
    { name: 'scanner', app: 'go-scanner', signal: 'SIGHUP', count: Math.floor(total / 2) },
  ]
}

export interface FixtureContainer {
  id: string
  name: string
  service: string
}

export interface WorkflowFixtures {
  /** Value of the `stackdeck.wf` label on every container of this harness. */
  run: string
  /** Root temp dir: holds config/ and state/. */
  root: string
  configDir: string
  configPath: string
  stateDir: string
  specs: FixtureServiceSpec[]
  services: ServiceSpec[]
  containers: FixtureContainer[]
  ids: string[]
  docker: Docker
  host: string
  /** Settings for the real headless host over these fixtures (startHostProcess). */
  hostSettings(extra?: Record<string, unknown>): Record<string, unknown>
  dispose(): Promise<void>
}

export interface FixtureOptions {
  /** Total containers for the default two services (ignored when `services` is given). Default 20. */
  count?: number
  services?: FixtureServiceSpec[]
  configText?: string
}

/** Temp config dir + state dir + running fixture containers, each one past its start-up line. */
export async function createWorkflowFixtures(opts: FixtureOptions = {}): Promise<WorkflowFixtures> {
  const run = `wf-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`
  const specs = opts.services ?? defaultServices(opts.count ?? 20)
  const root = await mkdtemp(join(tmpdir(), 'sd-wf-'))
  const configDir = join(root, 'config')
  const stateDir = join(root, 'state')
  await mkdir(configDir, { recursive: true })
  await mkdir(stateDir, { recursive: true })
  const configPath = join(configDir, 'config.toml')
  await writeFile(configPath, opts.configText ?? EXAMPLE_CONFIG, { mode: 0o644 })
  const docker = testDocker()
  const host = testDockerHost()
  const services: ServiceSpec[] = specs.map((s) => ({
    name: s.name,
    selector: { app: s.app, [RUN_LABEL]: run, [TEST_LABEL_KEY]: testLabel() },
    reload: {
      signal: s.signal,
      logPattern: s.logPattern === undefined ? 'Config reloaded' : s.logPattern,
      timeoutMs: s.reloadTimeoutMs ?? 10_000,
    },
  }))
  const dispose = async () => {
    await removeFixtures({ [RUN_LABEL]: run }, docker).catch(() => undefined)
    await rm(root, { recursive: true, force: true })
  }
  try {
    const containers: FixtureContainer[] = []
    for (const s of specs) {
      if (s.count === 0) continue
      const mount = s.configMount ?? 'directory'
      let elsewhere: string | null = null
      if (typeof mount === 'object') {
        elsewhere = join(root, `elsewhere-${s.name}`)
        await mkdir(elsewhere, { recursive: true })
        await writeFile(join(elsewhere, 'config.toml'), opts.configText ?? EXAMPLE_CONFIG, { mode: 0o644 })
      }
      const ids = await startFixtures({
        count: s.count,
        service: s.name,
        labels: { app: s.app, [RUN_LABEL]: run },
        configDir,
        ...(mount === 'file' ? { binds: [`${configPath}:/config/config.toml:ro`] } : {}),
        ...(typeof mount === 'object' && elsewhere
          ? { binds: (i: number) => [`${i === mount.elsewhere ? elsewhere : configDir}:/config:ro`] }
          : {}),
        // Without Redis the loop only sleeps; a long interval keeps 50 containers from forking every second.
        env: { HEARTBEAT_INTERVAL: '30', ...s.env },
        docker,
      })
      for (const id of ids) {
        const info = await docker.getContainer(id).inspect()
        containers.push({ id, name: info.Name.replace(/^\//, ''), service: s.name })
      }
    }
    // The traps are installed before this line: a reload signal earlier would kill the shell.
    await Promise.all(containers.map((c) => waitForLog(c.id, /started pid=/, 60_000, { docker })))
    return {
      run,
      root,
      configDir,
      configPath,
      stateDir,
      specs,
      services,
      containers,
      ids: containers.map((c) => c.id),
      docker,
      host,
      hostSettings(extra: Record<string, unknown> = {}) {
        return testSettings({
          services: services.map((s) => ({ name: s.name, selector: s.selector, reload: s.reload })),
          config: { path: configPath, keepBackups: 20 },
          stateDir,
          // The schedule would write the trading flag into the shared test Redis; not what is tested here.
          schedule: { enabled: false },
          ...extra,
        })
      },
      dispose,
    }
  } catch (err) {
    await dispose()
    throw err
  }
}

// ---- the core, wired as app.ts wires it ----------------------------------------------------------

export type AlertT = EventMap['app.alert']
export interface ProgressEvent {
  runId: string
  step: StepReportT
}

export interface CoreOptions {
  unpauseRetries?: number
  retryDelayMs?: number
  /** settings workflow.applyMode; default paused here (the product's default is auto). */
  applyMode?: 'auto' | 'paused'
  /** settings config.singleFileMounts (default refuse). */
  singleFileMounts?: 'refuse' | 'write-in-place'
  actionTimeoutMs?: number
  keepBackups?: number
  /** Wait until the stack snapshot shows every fixture running (default true). */
  waitForRunning?: boolean
}

export interface WorkflowCore {
  hub: EventHub<EventMap>
  stack: StackService
  config: ConfigService
  journal: Journal
  history: RunHistory
  workflow: SaveAndRestart
  handlers: ReturnType<typeof createWorkflowHandlers>
  progress: ProgressEvent[]
  finished: RunReportT[]
  alerts: AlertT[]
  recoveryEvents: Array<EventMap['workflow.recovery']>
  /** Called synchronously inside the step machine, exactly where the step starts or ends. */
  onProgress(fn: (e: ProgressEvent) => void): () => void
  /** Forget recorded events (between runs on one core). */
  clearEvents(): void
  stop(): Promise<void>
}

export async function buildWorkflowCore(fx: WorkflowFixtures, opts: CoreOptions = {}): Promise<WorkflowCore> {
  const hub = new EventHub<EventMap>()
  const progress: ProgressEvent[] = []
  const finished: RunReportT[] = []
  const alerts: AlertT[] = []
  const recoveryEvents: Array<EventMap['workflow.recovery']> = []
  hub.subscribe((name, payload) => {
    if (name === 'workflow.progress') progress.push(structuredClone(payload as ProgressEvent))
    else if (name === 'workflow.finished') finished.push(payload as RunReportT)
    else if (name === 'app.alert') alerts.push(payload as AlertT)
    else if (name === 'workflow.recovery') recoveryEvents.push(payload as EventMap['workflow.recovery'])
  })
  const stack = new StackService({
    endpoints: [{ id: 'test', url: fx.host }],
    services: fx.services,
    actionTimeoutMs: opts.actionTimeoutMs ?? 15_000,
    events: hub,
  })
  const config = new ConfigService({
    configPath: fx.configPath,
    schemaPath: CONFIG_SCHEMA,
    keepBackups: opts.keepBackups ?? 20,
    hub,
  })
  const history = new RunHistory(join(fx.stateDir, 'save-restart-runs.jsonl'))
  const journal = new Journal(join(fx.stateDir, 'save-restart.journal.json'))
  const workflow = new SaveAndRestart({
    stack: createStackPort(stack, fx.configPath),
    config: createConfigPort(config),
    journal,
    history,
    configPath: fx.configPath,
    unpauseRetries: opts.unpauseRetries ?? 3,
    ...(opts.retryDelayMs !== undefined ? { retryDelayMs: opts.retryDelayMs } : {}),
    // Most suites exercise the freeze itself, with hot-only edits: the paused path unless asked.
    applyMode: opts.applyMode ?? 'paused',
    ...(opts.singleFileMounts !== undefined ? { singleFileMounts: opts.singleFileMounts } : {}),
    emit: {
      progress: (runId, step) => hub.emit('workflow.progress', { runId, step }),
      finished: (r) => hub.emit('workflow.finished', r),
      alert: (a) => hub.emit('app.alert', { ...a, at: new Date().toISOString() }),
    },
  })
  workflow.recovery.onChange = (info) => hub.emit('workflow.recovery', info)
  await history.load()
  await stack.start()
  await config.start()
  // The snapshot must show every fixture running before a run lists its targets.
  for (let i = 0; opts.waitForRunning !== false; i++) {
    const running = stack
      .snapshot()
      .services.flatMap((s) => s.containers)
      .filter((c) => c.state === 'running' && fx.ids.includes(c.id)).length
    if (running === fx.ids.length) break
    if (i > 300) throw new Error(`the stack snapshot shows ${running}/${fx.ids.length} fixtures running`)
    await sleep(50)
  }
  return {
    hub,
    stack,
    config,
    journal,
    history,
    workflow,
    handlers: createWorkflowHandlers(workflow, history),
    progress,
    finished,
    alerts,
    recoveryEvents,
    onProgress(fn) {
      return hub.on('workflow.progress', (p) => fn(p))
    },
    clearEvents() {
      progress.length = 0
      finished.length = 0
      alerts.length = 0
      recoveryEvents.length = 0
    },
    async stop() {
      await config.stop().catch(() => undefined)
      await stack.stop().catch(() => undefined)
      await history.flush()
    },
  }
}

export const TRADER: CallContext = { who: 'trader', door: 'ipc' }

// ---- what the engine and the disk say ------------------------------------------------------------

/** State per container id as the engine reports it: 'paused', 'running', 'exited', ... or 'missing'. */
export async function engineStates(docker: Docker, ids: readonly string[]): Promise<Map<string, string>> {
  const entries = await Promise.all(
    ids.map(async (id): Promise<[string, string]> => {
      try {
        const info = await docker.getContainer(id).inspect()
        return [id, info.State.Paused ? 'paused' : info.State.Status]
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return [id, 'missing']
        throw err
      }
    }),
  )
  return new Map(entries)
}

export interface EngineEvent {
  action: string
  id: string
  name: string
  /** Daemon time, ms since the epoch (fractional). */
  at: number
  attributes: Record<string, string>
}

/**
 * Follows the engine's own event stream for this harness's containers: the independent witness that
 * a pause or unpause really reached Docker (and when).
 */
export async function watchEngineEvents(fx: WorkflowFixtures): Promise<{ stop(): Promise<EngineEvent[]> }> {
  const stream = (await fx.docker.getEvents({
    filters: { type: ['container'], label: [`${RUN_LABEL}=${fx.run}`] },
  })) as unknown as NodeJS.ReadableStream & { destroy(): void }
  const events: EngineEvent[] = []
  let buf = ''
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8')
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i).trim()
      buf = buf.slice(i + 1)
      if (!line) continue
      const e = JSON.parse(line) as {
        Action?: string
        status?: string
        id?: string
        timeNano?: number
        Actor?: { ID?: string; Attributes?: Record<string, string> }
      }
      const attributes = e.Actor?.Attributes ?? {}
      events.push({
        action: e.Action ?? e.status ?? '',
        id: e.Actor?.ID ?? e.id ?? '',
        name: attributes['name'] ?? '',
        at: (e.timeNano ?? 0) / 1e6,
        attributes,
      })
    }
  })
  stream.on('error', () => undefined)
  return {
    async stop() {
      // Events are delivered asynchronously; give the last ones a moment to arrive.
      await sleep(400)
      stream.destroy()
      return events
    },
  }
}

export async function catConfigIn(docker: Docker, id: string): Promise<string> {
  const r = await execIn(id, ['cat', '/config/config.toml'], docker)
  if (r.exitCode !== 0)
    throw new Error(`cat /config/config.toml in ${id.slice(0, 12)} exited ${r.exitCode}: ${r.output}`)
  return r.output
}

export async function logsOf(docker: Docker, id: string): Promise<string> {
  return containerLogs(id, docker)
}

export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort()
}

export async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8')
}

// ---- faults, injected for real ----------------------------------------------------------------------

/** `chattr +i` on a directory: even root cannot create, rename or remove entries in it. */
export function makeImmutable(dir: string): () => void {
  execFileSync('chattr', ['+i', dir])
  let undone = false
  return () => {
    if (undone) return
    undone = true
    execFileSync('chattr', ['-i', dir])
  }
}

/** `docker rm -f`, synchronously: for hooks that must finish before the step machine goes on. */
export function removeContainerNow(fx: WorkflowFixtures, id: string): void {
  execFileSync('docker', ['-H', fx.host, 'rm', '-f', id], {
    env: { ...process.env, DOCKER_CONTEXT: '' },
    stdio: 'ignore',
    timeout: 60_000,
  })
}

function dockerdPid(): number {
  const pidfile = process.env.STACKDECK_TEST_DOCKERD_PIDFILE
  if (!pidfile) throw new Error('no private dockerd to control (STACKDECK_TEST_DOCKERD_PIDFILE unset)')
  const pid = Number(readFileSync(pidfile, 'utf8').trim())
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`bad pid in ${pidfile}`)
  return pid
}

const napSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/**
 * SIGTERM the private dockerd and block until it has exited: used inside a progress hook so the
 * engine is really gone before the step machine takes its next step. Follow with
 * `stopDockerd()` (tidies the pidfile) and `startDockerd()`.
 */
export function stopEngineNowSync(timeoutMs = 60_000): void {
  const pid = dockerdPid()
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + timeoutMs
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`dockerd (pid ${pid}) did not exit within ${timeoutMs} ms`)
    napSync(50)
  }
}

/**
 * Freeze the private dockerd (SIGSTOP): it accepts connections but answers nothing, while the
 * containers stay exactly as they are. Returns the thaw (SIGCONT), safe to call twice.
 */
export function freezeEngine(): () => void {
  const pid = dockerdPid()
  process.kill(pid, 'SIGSTOP')
  let thawed = false
  return () => {
    if (thawed) return
    thawed = true
    process.kill(pid, 'SIGCONT')
  }
}

// ---- one-stop harness ------------------------------------------------------------------------------

export interface WorkflowHarness extends WorkflowFixtures, WorkflowCore {
  /** sha256 of config.toml on disk now: the baseHash a client would send. */
  baseHash(): Promise<string>
  states(ids?: readonly string[]): Promise<Map<string, string>>
  dispose(): Promise<void>
}

export async function createWorkflowHarness(
  opts: FixtureOptions & CoreOptions = {},
): Promise<WorkflowHarness> {
  const fx = await createWorkflowFixtures(opts)
  let core: WorkflowCore
  try {
    core = await buildWorkflowCore(fx, opts)
  } catch (err) {
    await fx.dispose()
    throw err
  }
  return {
    ...fx,
    ...core,
    async baseHash() {
      return sha256(await readFile(fx.configPath))
    },
    states(ids = fx.ids) {
      return engineStates(fx.docker, ids)
    },
    async dispose() {
      await core.stop()
      await fx.dispose()
    },
  }
}
