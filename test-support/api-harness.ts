/**
 * Shared plumbing for the control-API integration suites (electron/server/*.int.test.ts,
 * electron/cli/cli-live.int.test.ts, electron/core/audit/audit-doors.int.test.ts): a temp workspace
 * (config dir + state dir), settings with three scoped tokens and private Redis keys, the real built
 * host process, a keep-alive HTTP client that can send any bytes, contract validators, the real CLI
 * and the sample dev agent as child processes.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { Agent, request, type IncomingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { ValidateFunction } from 'ajv'
import { createAjv, describeAjvErrors } from '../electron/core/api/ajv'
import { operations, type OperationName } from '../electron/core/api/contract'
import { findLoneSurrogate } from '../electron/core/api/well-formed-strings'
import { testDocker } from './docker-fixtures'
import { startHostProcess, type RunningHost } from './host-process'
import { testKey, testRedisUrl } from './redis-fixture'
import { testSettings } from './test-settings'
import { buildIfStale } from '../scripts/build-if-stale.mjs'

export const ROOT = resolve(import.meta.dirname, '..')
export const SERVER_JS = join(ROOT, 'out/main/server.js')
export const CLI_JS = join(ROOT, 'out/main/cli.js')

/** "at foo (file.ts:12:3)"-style frames; a client must never see one. */
export const STACK_TRACE_RE = /at .*\.(ts|js|mjs|cjs):\d+/

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
export const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')
export const randomTag = () => Math.random().toString(36).slice(2, 8)

// ---- tokens ---------------------------------------------------------------------------------------

export type ScopeName = 'read' | 'operate' | 'admin'

export interface ApiTokens {
  read: string
  operate: string
  admin: string
  /** STACKDECK_TOKEN of the host process (startHostProcess always sets one); identity "admin". */
  env: string
  /** A well-formed token the host does not know. */
  wrong: string
}

/** Fresh random tokens per suite, so nothing in a log or a file of another suite works here. */
export function makeTokens(): ApiTokens {
  const t = (p: string) => `${p}-${randomBytes(18).toString('base64url')}`
  return { read: t('rd'), operate: t('op'), admin: t('ad'), env: t('env'), wrong: t('no') }
}

/** Token names the host reports as `who` (and records in the audit log). */
export const TOKEN_NAMES: Record<ScopeName, string> = { read: 'reader', operate: 'operator', admin: 'root' }

/** settings.api.tokens for the three scoped tokens (only digests, as the host expects). */
export function tokenSettings(tokens: ApiTokens): Array<{ name: string; sha256: string; scope: ScopeName }> {
  return (['read', 'operate', 'admin'] as const).map((scope) => ({
    name: TOKEN_NAMES[scope],
    sha256: sha256(tokens[scope]),
    scope,
  }))
}

// ---- workspace ------------------------------------------------------------------------------------

export interface ApiWorkspace {
  dir: string
  /** Holds config.toml; bind-mount it into fixtures as /config. */
  configDir: string
  configPath: string
  stateDir: string
  cleanup(): Promise<void>
}

/** A temp dir with config/config.toml (a copy of config.example.toml unless text is given) and state/. */
export async function createApiWorkspace(configText?: string): Promise<ApiWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), 'sd-api-'))
  const configDir = join(dir, 'config')
  const stateDir = join(dir, 'state')
  const { mkdir, writeFile } = await import('node:fs/promises')
  await mkdir(configDir, { recursive: true })
  await mkdir(stateDir, { recursive: true })
  const configPath = join(configDir, 'config.toml')
  if (configText === undefined) await copyFile(join(ROOT, 'config.example.toml'), configPath)
  else await writeFile(configPath, configText)
  return { dir, configDir, configPath, stateDir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** Redis keys private to one suite (and one run), so suites never see each other's killswitch or flag. */
export function redisKeysFor(tag: string): {
  tradingKey: string
  tradingChannel: string
  killswitchKey: string
} {
  return {
    tradingKey: testKey(`${tag}:trading_enabled`),
    tradingChannel: `${testKey(`${tag}:trading`)}`.replace(/:/g, '.'),
    killswitchKey: testKey(`${tag}:killswitch`),
  }
}

export interface HostSettingsOptions {
  workspace: ApiWorkspace
  tokens: ApiTokens
  /** Redis key namespace (see redisKeysFor). */
  tag: string
  services: Array<Record<string, unknown>>
  api?: Record<string, unknown>
  redis?: Record<string, unknown>
  schedule?: Record<string, unknown>
  workflow?: Record<string, unknown>
  store?: Record<string, unknown>
  runs?: Record<string, unknown>
}

/** Settings for a host on the private test engine and Redis, with the three tokens and private keys. */
export function hostSettings(o: HostSettingsOptions): Record<string, unknown> {
  return testSettings({
    services: o.services,
    config: { path: o.workspace.configPath, keepBackups: 50 },
    stateDir: o.workspace.stateDir,
    redis: {
      url: testRedisUrl(),
      heartbeatTimeoutMs: 5000,
      killswitchAckTimeoutMs: 1500,
      commandAckTimeoutMs: 3000,
      ...redisKeysFor(o.tag),
      ...o.redis,
    },
    ...(o.schedule ? { schedule: o.schedule } : {}),
    ...(o.workflow ? { workflow: o.workflow } : {}),
    ...(o.store ? { store: o.store } : {}),
    ...(o.runs ? { runs: o.runs } : {}),
    api: { port: 0, tokens: tokenSettings(o.tokens), ...o.api },
  })
}

// ---- build ----------------------------------------------------------------------------------------

/**
 * The suites drive the BUILT host and CLI (out/main). Build when the sources' content hash differs
 * from the last build's stamp (scripts/build-if-stale.mjs, the same check `npm start` makes), so a
 * run never silently tests yesterday's code, and an mtime (checkout, touch) never forces a build.
 */
export function ensureBuilt(): void {
  const status = buildIfStale(ROOT, {
    log: (line) => {
      if (!line.includes('up to date')) console.log(`[api-harness] ${line}`)
    },
  })
  if (status !== 0) throw new Error(`electron-vite build failed (exit ${status}); run \`npm run build\` to see why`)
}

// ---- host process ---------------------------------------------------------------------------------

export interface ApiHost extends RunningHost {
  port: number
  /** The Host header the guard accepts. */
  hostHeader: string
  client: ApiClient
  /** SIGKILL: no shutdown handlers run (crash simulation). */
  kill(): Promise<void>
  alive(): boolean
  /** Stop (SIGTERM), close the client and remove the settings dir startHostProcess made. */
  dispose(): Promise<void>
}

export async function startApiHost(settings: Record<string, unknown>, tokens: ApiTokens): Promise<ApiHost> {
  const h = await startHostProcess(settings, tokens.env)
  const port = Number(new URL(h.url).port)
  const client = new ApiClient(h.url)
  const exited = () => h.proc.exitCode !== null || h.proc.signalCode !== null
  return Object.assign(h, {
    port,
    hostHeader: `127.0.0.1:${port}`,
    client,
    alive: () => !exited(),
    async kill() {
      if (exited()) return
      await new Promise<void>((r) => {
        h.proc.once('exit', () => r())
        h.proc.kill('SIGKILL')
      })
    },
    async dispose() {
      client.close()
      // startHostProcess's stop() waits for 'exit', which a killed process already emitted.
      if (!exited()) await h.stop().catch(() => undefined)
      await rm(dirname(h.settingsPath), { recursive: true, force: true })
    },
  })
}

// ---- HTTP -----------------------------------------------------------------------------------------

export interface ApiResponse {
  status: number
  headers: IncomingHttpHeaders
  text: string
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: unknown
}

export interface RequestOptions {
  token?: string
  /** A string or raw bytes (sent as is: invalid UTF-8 included). Objects are JSON-encoded. */
  body?: string | Buffer | object
  headers?: Record<string, string>
  timeoutMs?: number
}

/** Keep-alive HTTP client on node:http, able to send raw bytes and forged Host/Origin headers. */
export class ApiClient {
  readonly agent: Agent
  readonly port: number
  readonly hostname: string

  constructor(
    readonly baseUrl: string,
    maxSockets = 16,
    /** Source address (any of 127/8 on Linux), to look like another client to per-address limits. */
    readonly localAddress?: string,
  ) {
    const u = new URL(baseUrl)
    this.hostname = u.hostname
    this.port = Number(u.port)
    this.agent = new Agent({ keepAlive: true, maxSockets })
  }

  request(method: string, path: string, o: RequestOptions = {}): Promise<ApiResponse> {
    const body =
      o.body === undefined
        ? undefined
        : Buffer.isBuffer(o.body)
          ? o.body
          : Buffer.from(typeof o.body === 'string' ? o.body : JSON.stringify(o.body), 'utf8')
    const headers: Record<string, string> = {
      host: `${this.hostname}:${this.port}`,
      ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}),
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      ...o.headers,
    }
    return new Promise((resolvePromise, reject) => {
      const req = request(
        {
          host: this.hostname,
          port: this.port,
          method,
          path,
          headers,
          agent: this.agent,
          ...(this.localAddress ? { localAddress: this.localAddress } : {}),
          timeout: o.timeoutMs ?? 120_000,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', reject)
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            let json: unknown
            try {
              json = text === '' ? undefined : (JSON.parse(text) as unknown)
            } catch {
              json = undefined
            }
            resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, text, json })
          })
        },
      )
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${path}: no answer within ${o.timeoutMs ?? 120_000} ms`)),
      )
      req.on('error', reject)
      if (body) req.write(body)
      req.end()
    })
  }

  get(path: string, token?: string, headers?: Record<string, string>) {
    return this.request('GET', path, { ...(token ? { token } : {}), ...(headers ? { headers } : {}) })
  }

  post(path: string, body: unknown, token?: string, headers?: Record<string, string>) {
    return this.request('POST', path, {
      body: body as object,
      ...(token ? { token } : {}),
      ...(headers ? { headers } : {}),
    })
  }

  close(): void {
    this.agent.destroy()
  }
}

/** `{error: {code, message, ...}}` of a REST answer, or `error` of an RPC envelope. */
export function errorOf(r: ApiResponse): { code?: unknown; message?: unknown; path?: unknown } | undefined {
  const j = r.json as { error?: { code?: unknown; message?: unknown; path?: unknown } } | undefined
  return j && typeof j === 'object' ? j.error : undefined
}

// ---- contract validation --------------------------------------------------------------------------

const ajv = createAjv()
const resultValidators = new Map<string, ValidateFunction>()
const inputValidators = new Map<string, ValidateFunction>()
// The dispatcher compiles inputs with useDefaults; mirror it so "would the host accept this?" agrees.
const inputAjv = createAjv({ useDefaults: true })

/** Errors of `value` against the op's result schema ([] when it conforms). */
export function resultErrors(op: OperationName, value: unknown): string[] {
  let v = resultValidators.get(op)
  if (!v) {
    v = ajv.compile(operations[op].result)
    resultValidators.set(op, v)
  }
  return v(value) ? [] : describeAjvErrors(v.errors).map((e) => `${e.path} ${e.message}`)
}

/**
 * Would the dispatcher accept `input` for `op`? As there: `null` never; `undefined` (an empty
 * body) as `{}` only when the input has no required field; no string may hold a lone surrogate.
 */
export function inputAccepted(op: OperationName, input: unknown): boolean {
  let v = inputValidators.get(op)
  if (!v) {
    v = inputAjv.compile(operations[op].input)
    inputValidators.set(op, v)
  }
  if (input === null) return false
  if (input === undefined) {
    const required = (operations[op].input as { required?: unknown[] }).required
    if (required && required.length > 0) return false
  }
  if (findLoneSurrogate(input)) return false
  const value: unknown = input === undefined ? {} : structuredClone(input)
  return v(value)
}

// ---- Docker ---------------------------------------------------------------------------------------

/** 'paused' | 'running' | 'exited' ... as the engine reports it right now. */
export async function dockerState(id: string): Promise<string> {
  const info = await testDocker().getContainer(id).inspect()
  return info.State.Paused ? 'paused' : info.State.Status
}

export async function dockerStates(ids: readonly string[]): Promise<string[]> {
  return Promise.all(ids.map(dockerState))
}

/** Poll until `check` returns a value that is not undefined/false; throws with `what` after timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined && v !== false) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`,
      )
    await sleep(everyMs)
  }
}

// ---- CLI ------------------------------------------------------------------------------------------

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the built CLI (`node out/main/cli.js ...`) with a clean STACKDECK_* environment. */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 180_000,
): Promise<CliRun> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STACKDECK_')))
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(process.execPath, [CLI_JS, ...args], {
      cwd: ROOT,
      env: { ...base, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    proc.stdin.end()
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new Error(`stackdeck ${args.join(' ')}: no exit within ${timeoutMs} ms\n${stdout}\n${stderr}`))
    }, timeoutMs)
    proc.on('error', reject)
    proc.on('close', (code) => {
      clearTimeout(timer)
      resolvePromise({ code, stdout, stderr })
    })
  })
}

// ---- sample agent ---------------------------------------------------------------------------------

export interface DevAgent {
  id: string
  proc: ChildProcess
  output(): string
  stop(): Promise<void>
}

/** Starts e2e/agents/dev-agent.mjs on the test Redis; resolves once it has subscribed. */
export async function startDevAgent(id: string, env: Record<string, string> = {}): Promise<DevAgent> {
  const proc = spawn(process.execPath, [join(ROOT, 'e2e/agents/dev-agent.mjs')], {
    cwd: ROOT,
    env: {
      ...process.env,
      REDIS_URL: testRedisUrl(),
      AGENT_ID: id,
      AGENT_GROUP: 'execution',
      HEARTBEAT_MS: '500',
      RATE: '2',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  await waitFor(
    `dev agent ${id} to be ready`,
    () => {
      if (proc.exitCode !== null) throw new Error(`dev agent exited ${proc.exitCode}: ${out}`)
      return /"event":"ready"/.test(out)
    },
    20_000,
    100,
  )
  return {
    id,
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      await new Promise<void>((r) => {
        proc.once('exit', () => r())
        proc.kill('SIGTERM')
      })
    },
  }
}
