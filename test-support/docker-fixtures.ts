import { execFile, spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import Docker from 'dockerode'
import { fixtureRedisEnv } from './redis-fixture'
import { requireInSuite } from './test-env'

/**
 * Real-Docker helpers for integration and e2e tests. Everything here talks to the engine named by
 * STACKDECK_TEST_DOCKER_HOST (scripts/with-test-env.sh provides it) and labels what it creates with
 * `stackdeck.test=<STACKDECK_TEST_LABEL>`, so cleanup never touches anything else.
 */

const run = promisify(execFile)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const scriptsDir =
  process.env.STACKDECK_TEST_SCRIPTS ||
  resolve(fileURLToPath(new URL('.', import.meta.url)), '../scripts/testenv')

export const TEST_LABEL_KEY = 'stackdeck.test'

export function hasTestDocker(): boolean {
  const has = Boolean(
    process.env.STACKDECK_TEST_DOCKER_HOST &&
    process.env.STACKDECK_TEST_IMAGE &&
    process.env.STACKDECK_TEST_LABEL,
  )
  requireInSuite(has, 'the test Docker engine (STACKDECK_TEST_DOCKER_HOST, _IMAGE, _LABEL)')
  return has
}


function requireEnv(name: string): string {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set: run under \`bash scripts/with-test-env.sh <cmd>\``)
  return v
}

export function testLabel(): string {
  return requireEnv('STACKDECK_TEST_LABEL')
}

export function testImage(): string {
  return requireEnv('STACKDECK_TEST_IMAGE')
}

export function testDockerHost(): string {
  return requireEnv('STACKDECK_TEST_DOCKER_HOST')
}

/** dockerode options for a DOCKER_HOST-style URL: unix:///path, tcp://host:port, http(s)://host:port. */
export function dockerOptionsFor(url: string): Docker.DockerOptions {
  if (url.startsWith('unix://')) return { socketPath: url.slice('unix://'.length) }
  const u = new URL(url)
  if (u.protocol === 'https:') return { protocol: 'https', host: u.hostname, port: Number(u.port || 2376) }
  if (u.protocol === 'tcp:' || u.protocol === 'http:') {
    return { protocol: 'http', host: u.hostname, port: Number(u.port || 2375) }
  }
  throw new Error(`unsupported docker host URL: ${url}`)
}

/** A dockerode client for the test engine (or for `host`, e.g. a second endpoint). */
export function testDocker(host: string = testDockerHost()): Docker {
  return new Docker(dockerOptionsFor(host))
}

/** The label selector of everything this run created. */
export function testLabels(): Record<string, string> {
  return { [TEST_LABEL_KEY]: testLabel() }
}

type PerIndex<T> = T | ((index: number) => T)
const at = <T>(v: PerIndex<T> | undefined, i: number): T | undefined =>
  typeof v === 'function' ? (v as (index: number) => T)(i) : v

export interface StartFixturesOptions {
  /** How many containers; default 1. */
  count?: number
  /** SERVICE_NAME prefix; container i gets `<service>-<i>`. Default 'fixture'. */
  service?: string
  /** Extra labels, e.g. { app: 'python-orchestrator' }; a function gets the container index. */
  labels?: PerIndex<Record<string, string>>
  /** Leave out the stackdeck.agent label that AGENT_ID implies (a container nothing ties to its agent). */
  noAgentLabel?: boolean
  /** Extra env vars for service.sh (AGENT_ID, FAIL_MODE, ...); a function gets the container index. */
  env?: PerIndex<Record<string, string>>
  /** Host directory bind-mounted read-only at /config (service.sh reads /config/config.toml). */
  /** Bind mounts replacing the default `<configDir>:/config:ro`, per container index or for all. */
  binds?: string[] | ((i: number) => string[])
  configDir?: string
  /** 'none' by default; 'host' when `redis` is true (Redis listens on loopback). */
  network?: 'none' | 'host'
  /** Point the service at the test Redis (sets REDIS_HOST/REDIS_PORT and host networking). */
  redis?: boolean
  /** Start them too (default true). */
  start?: boolean
  docker?: Docker
  image?: string
}

/** Create (and start) N fixture containers in parallel; returns their ids in index order. */
export async function startFixtures(opts: StartFixturesOptions = {}): Promise<string[]> {
  const docker = opts.docker ?? testDocker()
  const count = opts.count ?? 1
  const service = opts.service ?? 'fixture'
  const network = opts.network ?? (opts.redis ? 'host' : 'none')
  const suffix = Math.random().toString(36).slice(2, 8)
  const create = async (i: number): Promise<string> => {
    const env: Record<string, string> = {
      SERVICE_NAME: `${service}-${i}`,
      ...(opts.redis ? fixtureRedisEnv() : {}),
      ...at(opts.env, i),
    }
    const container = await docker.createContainer({
      Image: opts.image ?? testImage(),
      name: `sdt-${service.replace(/[^a-zA-Z0-9_.-]/g, '-')}-${i}-${suffix}`,
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      // The documented agent-to-container mapping (README, "Agents and containers"): a fixture that
      // heartbeats as AGENT_ID carries stackdeck.agent=AGENT_ID, as the demo's containers do.
      Labels: {
        ...(env['AGENT_ID'] && !opts.noAgentLabel ? { 'stackdeck.agent': env['AGENT_ID'] } : {}),
        ...at(opts.labels, i),
        ...testLabels(),
      },
      StopTimeout: 5,
      HostConfig: {
        NetworkMode: network,
        Binds: opts.binds
          ? typeof opts.binds === 'function' ? opts.binds(i) : opts.binds
          : opts.configDir ? [`${opts.configDir}:/config:ro`] : [],
      },
    })
    if (opts.start !== false) await container.start()
    return container.id
  }
  return Promise.all(Array.from({ length: count }, (_, i) => create(i)))
}

/** Force-remove every container carrying this run's label (optionally narrowed by more labels). */
export async function removeFixtures(
  extraLabels: Record<string, string> = {},
  docker: Docker = testDocker(),
): Promise<number> {
  const filters = [
    `${TEST_LABEL_KEY}=${testLabel()}`,
    ...Object.entries(extraLabels).map(([k, v]) => `${k}=${v}`),
  ]
  const list = await docker.listContainers({ all: true, filters: { label: filters } })
  await Promise.all(
    list.map(async (c) => {
      try {
        await docker.getContainer(c.Id).remove({ force: true, v: true })
      } catch (err) {
        // Already gone (removed concurrently) is fine; anything else is a real failure.
        if ((err as { statusCode?: number }).statusCode !== 404) throw err
      }
    }),
  )
  return list.length
}

/** Docker multiplexes stdout/stderr of non-TTY containers in 8-byte-header frames. */
export function demuxDockerLogs(buf: Buffer): string {
  const parts: Buffer[] = []
  let off = 0
  while (off + 8 <= buf.length) {
    const kind = buf[off]
    const len = buf.readUInt32BE(off + 4)
    if (kind === undefined || kind > 2 || buf[off + 1] !== 0 || off + 8 + len > buf.length) {
      // Not a multiplexed stream (TTY container): take the rest verbatim.
      parts.push(buf.subarray(off))
      off = buf.length
      break
    }
    parts.push(buf.subarray(off + 8, off + 8 + len))
    off += 8 + len
  }
  if (off < buf.length) parts.push(buf.subarray(off))
  return Buffer.concat(parts).toString('utf8')
}

/** All logs (stdout + stderr) of a container so far. */
export async function containerLogs(id: string, docker: Docker = testDocker()): Promise<string> {
  const raw = (await docker.getContainer(id).logs({ stdout: true, stderr: true, follow: false })) as unknown
  return demuxDockerLogs(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)))
}

/** Run a command in a running container; resolves with its exit code and combined output. */
export async function execIn(
  id: string,
  cmd: string[],
  docker: Docker = testDocker(),
): Promise<{ exitCode: number | null; output: string }> {
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true })
  const stream = await exec.start({ hijack: true, stdin: false })
  const chunks: Buffer[] = []
  await new Promise<void>((res, rej) => {
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => res())
    stream.on('error', rej)
  })
  // The stream can end a moment before the engine records the exit code.
  let info = await exec.inspect()
  for (let i = 0; info.Running && i < 50; i++) {
    await sleep(100)
    info = await exec.inspect()
  }
  return { exitCode: info.ExitCode, output: demuxDockerLogs(Buffer.concat(chunks)) }
}

/**
 * Poll the container's logs until a line matches; returns that line. `after`: only count matches
 * beyond the first `after` matching lines (e.g. the second reload), default 0.
 */
export async function waitForLog(
  id: string,
  pattern: RegExp,
  timeoutMs = 15_000,
  opts: { docker?: Docker; after?: number } = {},
): Promise<string> {
  const docker = opts.docker ?? testDocker()
  const re = new RegExp(pattern.source, pattern.flags.replace('g', ''))
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const text = await containerLogs(id, docker)
    const hits = text.split('\n').filter((l) => re.test(l))
    const hit = hits[opts.after ?? 0]
    if (hit !== undefined) return hit
    if (Date.now() > deadline) {
      throw new Error(
        `no log line matching ${pattern} in ${id.slice(0, 12)} within ${timeoutMs} ms; last lines:\n${text.split('\n').slice(-10).join('\n')}`,
      )
    }
    await sleep(200)
  }
}

/** A temp dir holding config.toml, for `configDir`; call `cleanup()` when done. */
export async function createConfigDir(
  content: string,
): Promise<{ dir: string; path: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sd-config-'))
  const path = join(dir, 'config.toml')
  await writeFile(path, content)
  return { dir, path, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

// ---- Engine lifecycle (private dockerd only) -------------------------------------------------------

function dockerdControl(): { pidfile: string; cmd: string; log: string } {
  const pidfile = process.env.STACKDECK_TEST_DOCKERD_PIDFILE
  const cmd = process.env.STACKDECK_TEST_DOCKERD_CMD
  if (!pidfile || !cmd) {
    throw new Error(
      'no private dockerd to control (STACKDECK_TEST_DOCKERD_PIDFILE/CMD unset: an external engine is in use)',
    )
  }
  return {
    pidfile,
    cmd,
    log: process.env.STACKDECK_TEST_DOCKERD_LOG || join(tmpdir(), 'stackdeck-test-dockerd.log'),
  }
}

/** Can this run stop and start its engine? False when reusing an external Docker. */
export function canControlDockerd(): boolean {
  const has = Boolean(process.env.STACKDECK_TEST_DOCKERD_PIDFILE && process.env.STACKDECK_TEST_DOCKERD_CMD)
  requireInSuite(has, 'a private dockerd this run can stop and start (STACKDECK_TEST_DOCKERD_PIDFILE, _CMD; with-test-env.sh starts one)')
  return has
}

/** Alive and not a zombie (an init that reaps lazily leaves exited daemons as zombies for a while). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return process.platform !== 'linux'
  }
}

async function readPid(pidfile: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(pidfile, 'utf8')).trim())
    return Number.isInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
}

/** Stop the private dockerd (SIGTERM, then SIGKILL after timeoutMs) and wait until it is gone. */
export async function stopDockerd(timeoutMs = 60_000): Promise<void> {
  const { pidfile } = dockerdControl()
  const pid = await readPid(pidfile)
  if (pid === null || !alive(pid)) return
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + timeoutMs
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL')
      await sleep(500)
      break
    }
    await sleep(100)
  }
  // dockerd removes its pidfile on a clean exit; after a kill a stale one would block the restart.
  if (existsSync(pidfile)) await rm(pidfile, { force: true })
}

/** Start the private dockerd again with the exact command line up.sh used; resolves once it answers. */
export async function startDockerd(timeoutMs = 60_000): Promise<void> {
  const { pidfile, cmd, log } = dockerdControl()
  const pid = await readPid(pidfile)
  const docker = testDocker()
  if (pid !== null && alive(pid)) {
    await waitForPing(docker, timeoutMs)
    return
  }
  const fd = openSync(log, 'a')
  try {
    // detached: the engine must not die with this test worker or get its signals.
    const child = spawn('sh', ['-c', `exec ${cmd}`], { detached: true, stdio: ['ignore', fd, fd] })
    child.unref()
  } finally {
    closeSync(fd)
  }
  await waitForPing(docker, timeoutMs)
}

export async function restartDockerd(timeoutMs = 60_000): Promise<void> {
  await stopDockerd(timeoutMs)
  await startDockerd(timeoutMs)
}

async function waitForPing(docker: Docker, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await docker.ping()
      return
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`dockerd did not answer within ${timeoutMs} ms: ${(err as Error).message}`, {
          cause: err,
        })
      await sleep(200)
    }
  }
}

// ---- Extra engines (multi-endpoint tests) ----------------------------------------------------------

function extraDir(name: string): string {
  if (!/^[a-z0-9-]{1,8}$/.test(name)) throw new Error(`extra dockerd name must match [a-z0-9-]{1,8}: ${name}`)
  return join(requireEnv('STACKDECK_TEST_ENVDIR'), name)
}

/**
 * Start (or reuse) another private engine under ENVDIR/<name> with the fixture image imported;
 * down.sh stops it with the rest. Returns its DOCKER_HOST URL and a client.
 */
export async function startExtraDockerd(name = 'd2'): Promise<{ host: string; docker: Docker }> {
  const dir = extraDir(name)
  const { stdout } = await run('bash', [join(scriptsDir, 'dockerd.sh'), 'start', dir], { timeout: 120_000 })
  const host = stdout.trim()
  await run('bash', [join(scriptsDir, 'image.sh'), host, testImage(), `${TEST_LABEL_KEY}=${testLabel()}`], {
    timeout: 120_000,
  })
  return { host, docker: testDocker(host) }
}

export async function stopExtraDockerd(name = 'd2'): Promise<void> {
  await run('bash', [join(scriptsDir, 'dockerd.sh'), 'stop', extraDir(name)], { timeout: 120_000 })
}
