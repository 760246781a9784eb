/**
 * The host under test, in one fixture: a workspace (config.toml + state dir), fixture containers on
 * the private engine, the headless host with the suite's tokens, and a stop() that takes all of it
 * down again (host, core, containers, workspace, the suite's Redis keys). The CLI, API, fuzz and
 * audit suites each used to spell this out in their own beforeAll/afterAll.
 *
 * Two kinds of host:
 * - built (default): the BUILT headless host (out/main/server.js) as its own process, what a user
 *   runs; `host` is an ApiHost (kill(), alive(), proc).
 * - in-process (`inProcess`): createCore + startHost in the test's process, for suites that need the
 *   core itself (its hub, its handlers) or that run without Docker and Redis.
 */
import { createCore, type Core } from '../electron/core/wiring/create-core'
import { parseSettings } from '../electron/core/settings/load-settings'
import { startHost, type Host } from '../electron/server/host'
import { openPgEngine } from '../electron/core/store/pg-engine'
import {
  ApiClient,
  createApiWorkspace,
  ensureBuilt,
  hostSettings,
  makeTokens,
  randomTag,
  redisKeysFor,
  startApiHost,
  startDevAgent,
  type ApiHost,
  type ApiTokens,
  type ApiWorkspace,
  type DevAgent,
  type HostSettingsOptions,
  waitFor,
} from './api-harness'
import { removeFixtures, startFixtures, waitForLog, type StartFixturesOptions } from './docker-fixtures'
import { newTestRedis } from './redis-fixture'

/** A group of fixture containers, labelled `{ sdapi: <run>, role }` so a service selector can find them. */
export type FixtureGroup = Omit<StartFixturesOptions, 'labels' | 'configDir'>

export interface InProcessOptions {
  version?: string
  log?: (line: string) => void
  /** Environment the host reads its STACKDECK_TOKEN from; default `{ STACKDECK_TOKEN: tokens.env }`. */
  env?: Record<string, string>
  /** Check every result against the contract (the host's `validateResults`). */
  validateResults?: boolean
  /** Run core.start() (scheduler, supervisor, bus) before the host listens. */
  start?: boolean
  /** Called with the core before it starts, e.g. to subscribe to its hub. */
  onCore?: (core: Core) => void
}

export interface StackdeckUnderTestOptions {
  /** Run id: fixture labels `{ sdapi: run }` and the Redis key namespace. Default: random. */
  run?: string
  /** Redis key namespace (see redisKeysFor). Default `sut-<run>`. */
  tag?: string
  tokens?: ApiTokens
  /** config.toml text; default a copy of config.example.toml. */
  config?: string
  /** Fixture containers by role, started (and seen running) before the host. */
  fixtures?: Record<string, FixtureGroup>
  /** Settings' services; `labels(role)` is the selector of a fixture group. */
  services?: (labels: (role: string) => Record<string, string>) => Array<Record<string, unknown>>
  api?: HostSettingsOptions['api']
  redis?: HostSettingsOptions['redis']
  schedule?: HostSettingsOptions['schedule']
  workflow?: HostSettingsOptions['workflow']
  /** Run health thresholds and the command timeout (settings `runs`). */
  runs?: HostSettingsOptions['runs']
  /**
   * Turn the history store on: on the test environment's PostgreSQL (a schema named for this run,
   * dropped by stop()) when there is one, else embedded PGlite in the workspace's state directory.
   */
  store?: boolean
  /** Whole settings instead of hostSettings(...): no workspace, fixtures or Redis keys are made. */
  settings?: Record<string, unknown>
  /** Dev agents (e2e/agents/dev-agent.mjs) on the test Redis, by agent id. */
  agents?: string[]
  /** Runs after the fixtures are up and before the host starts (e.g. leave a crash's journal behind). */
  beforeHost?: (sut: { ws: ApiWorkspace; fixtures: Record<string, string[]>; run: string }) => Promise<void>
  /** Run the host in this process instead of the built one. */
  inProcess?: InProcessOptions
}

interface Common {
  /** http://127.0.0.1:<port> */
  url: string
  port: number
  /** The Host header the guard accepts. */
  hostHeader: string
  /** The host's STACKDECK_TOKEN (identity "admin"); the scoped ones are in `tokens`. */
  token: string
  tokens: ApiTokens
  client: ApiClient
  run: string
  tag: string
  redisKeys: ReturnType<typeof redisKeysFor>
  /** null when whole `settings` were given. */
  ws: ApiWorkspace | null
  /** Container ids by fixture role. */
  fixtures: Record<string, string[]>
  labels: (role: string) => Record<string, string>
  agents: DevAgent[]
  /** Tears down everything this fixture started; safe to call after a failed start. */
  stop: () => Promise<void>
}
export interface BuiltStackdeck extends Common {
  host: ApiHost
  core: null
}
export interface InProcessStackdeck extends Common {
  host: Host
  core: Core
}

export function startStackdeckUnderTest(
  o: StackdeckUnderTestOptions & { inProcess: InProcessOptions },
): Promise<InProcessStackdeck>
export function startStackdeckUnderTest(
  o?: StackdeckUnderTestOptions & { inProcess?: undefined },
): Promise<BuiltStackdeck>
export async function startStackdeckUnderTest(
  o: StackdeckUnderTestOptions = {},
): Promise<BuiltStackdeck | InProcessStackdeck> {
  const run = o.run ?? randomTag()
  const tag = o.tag ?? `sut-${run}`
  const tokens = o.tokens ?? makeTokens()
  const labels = (role: string) => ({ sdapi: run, role })
  const fixtures: Record<string, string[]> = {}
  const agents: DevAgent[] = []
  let ws: ApiWorkspace | null = null
  let built: ApiHost | null = null
  let inProc: { core: Core; host: Host } | null = null
  let client: ApiClient | null = null
  const startedFixtures = Object.keys(o.fixtures ?? {}).length > 0
  const pgUrl = process.env['STACKDECK_TEST_PG_URL']
  const storeSchema = `sut_${run.replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 60)
  const storeSettings = { enabled: true, schema: storeSchema, ...(pgUrl ? { url: pgUrl } : {}) }

  async function stop(): Promise<void> {
    // The built host's client is closed by its dispose().
    if (inProc) client?.close()
    await Promise.all(agents.map((a) => a.stop()))
    await built?.dispose()
    await inProc?.host.close()
    await inProc?.core.dispose()
    if (startedFixtures) await removeFixtures({ sdapi: run })
    await ws?.cleanup()
    if (o.store && pgUrl) {
      const db = await openPgEngine({ url: pgUrl, schema: 'public' })
      await db.query(`DROP SCHEMA IF EXISTS "${storeSchema}" CASCADE`).finally(() => db.close())
    }
    if (!o.settings) {
      // The suite's private killswitch and trading keys, so no later run reads them.
      const redis = newTestRedis()
      try {
        await redis.del(redisKeysFor(tag).tradingKey, redisKeysFor(tag).killswitchKey)
      } finally {
        redis.disconnect()
      }
    }
  }

  try {
    let settings = o.settings
    if (!settings) {
      const workspace = await createApiWorkspace(o.config)
      ws = workspace
      const groups = Object.entries(o.fixtures ?? {})
      const ids = await Promise.all(
        groups.map(([role, g]) =>
          startFixtures({ service: role, ...g, labels: labels(role), configDir: workspace.configDir }),
        ),
      )
      groups.forEach(([role], i) => (fixtures[role] = ids[i] ?? []))
      await Promise.all(ids.flat().map((id) => waitForLog(id, /started pid=/)))
      await o.beforeHost?.({ ws: workspace, fixtures, run })
      settings = hostSettings({
        workspace,
        tokens,
        tag,
        services: o.services?.(labels) ?? [],
        api: o.api,
        redis: o.redis,
        schedule: o.schedule,
        workflow: o.workflow,
        runs: o.runs,
        ...(o.store ? { store: storeSettings } : {}),
      })
    }
    for (const id of o.agents ?? []) agents.push(await startDevAgent(id))

    let url: string
    let port: number
    if (o.inProcess) {
      const p = o.inProcess
      const core = await createCore(
        { settings: parseSettings(settings, 'stackdeck-under-test settings'), source: null },
        { version: p.version ?? '0.0.0-test', log: p.log ?? (() => undefined) },
      )
      p.onCore?.(core)
      if (p.start) await core.start()
      const host = await startHost({
        core,
        staticDir: null,
        env: p.env ?? { STACKDECK_TOKEN: tokens.env },
        port: 0,
        log: p.log ?? (() => undefined),
        ...(p.validateResults !== undefined ? { validateResults: p.validateResults } : {}),
      })
      inProc = { core, host }
      url = host.url
      port = host.port
    } else {
      ensureBuilt()
      built = await startApiHost(settings, tokens)
      url = built.url
      port = built.port
    }
    client = built?.client ?? new ApiClient(url)
    if (o.store) {
      // The store opens in the background; a suite starts once it writes, so history answers 200.
      const c = client
      await waitFor(
        'the history store to be writing',
        async () => ((await c.get('/history/status', tokens.read)).json as { state?: string } | undefined)?.state === 'writing',
        60_000,
      )
    }
    const common: Common = {
      url,
      port,
      hostHeader: `127.0.0.1:${port}`,
      token: o.inProcess?.env ? (o.inProcess.env['STACKDECK_TOKEN'] ?? '') : tokens.env,
      tokens,
      client,
      run,
      tag,
      redisKeys: redisKeysFor(tag),
      ws,
      fixtures,
      labels,
      agents,
      stop,
    }
    return inProc ? { ...common, ...inProc } : { ...common, host: built as ApiHost, core: null }
  } catch (err) {
    await stop().catch(() => undefined)
    throw err
  }
}
