import { createHash } from 'node:crypto'
import { readFile, realpath } from 'node:fs/promises'
import { isCoreError } from '../errors'
import { fileMountRefusal, type FileMountRefusal } from './config-refusal'
import { classifyConfigView, unknownView, type ConfigView, type InspectMount } from './config-view'
import { readFileByExec } from './container-exec-file'
import { containerLabel, readContainerFile } from './container-file'
import { deadline, endpointError, inspectOrGone } from './docker-calls'
import { parseEndpointUrl, type EndpointClient } from './endpoint-url'

/**
 * Per container: how it sees config.toml (from inspect), the refusal text for a single-file mount, and
 * optionally the bytes it sees there (archive API) against the host file. The I/O shell around the
 * pure classification in config-view.ts; a contract handler calls `describeConfigViews`.
 */

export interface ConfigViewTarget {
  id: string
  endpoint: string
  name?: string
  service?: string
}

export interface ContainerFileCheck {
  /** The container path read (the view's containerPath). */
  path: string
  /** After following symlinks inside the container. */
  resolvedPath: string
  size: number
  sha256: string
  /** Same bytes as the host's config.path now; null when the host file could not be read. */
  matchesHost: boolean | null
  /**
   * Whether equal bytes prove what the container reads. False for a single-file bind mount: the
   * archive API mounts the source afresh, so it shows the host's current file, not the pinned inode.
   */
  provesContainerView: boolean
}

export interface ContainerConfigView {
  id: string
  name: string
  endpoint: string
  service: string | null
  /** Container state at inspect time; null when it could not be inspected. */
  state: string | null
  view: ConfigView
  /** kind 'file': why Save & Restart must refuse and the compose change that fixes it. */
  refusal: FileMountRefusal | null
  /** Set when `readFiles` was asked and the view has a containerPath. */
  file: ContainerFileCheck | null
  /** Why the file could not be read (names the container and the path). */
  fileError: string | null
  /** Set when `readInside` was asked: the bytes the container's own processes read (exec `cat`). */
  inside: { path: string; size: number; sha256: string; matchesHost: boolean | null } | null
  /** Why the inside read failed: no `cat` in the image, a paused container (exec refuses it)… */
  insideError: string | null
}

export interface ConfigViewsReport {
  at: string
  configPath: string
  /** realpath of configPath on this machine; null when it does not resolve. */
  realPath: string | null
  /** SHA-256 of the host file now; null when it cannot be read. */
  hostSha256: string | null
  containers: ContainerConfigView[]
}

export interface DescribeConfigViewsInput {
  /** settings `config.path` (absolute). */
  configPath: string
  endpoints: readonly EndpointClient[]
  containers: readonly ConfigViewTarget[]
  /** Also read the file where each container sees it, through the archive API. */
  readFiles?: boolean
  /**
   * Also read it from inside (exec `cat`) for these view kinds; default none. Use ['file'] to prove
   * single-file mounts, which the archive API cannot. Needs `cat` in the image and a running container.
   */
  readInside?: ReadonlyArray<'file' | 'directory'>
  /** Per inspect and per archive read. */
  timeoutMs?: number
  maxBytes?: number
  /** Endpoint ids whose engine runs on this machine; default: unix/npipe sockets and loopback TCP. */
  localEndpoints?: ReadonlySet<string>
}

/**
 * A unix socket (or Windows pipe) or loopback TCP reaches an engine on this machine, so a mount's
 * Source is a path here. A socket forwarded from elsewhere, or an engine in a VM (Docker Desktop),
 * breaks that assumption: the archive read is the check that does not depend on it.
 */
export function endpointIsLocal(url: string): boolean {
  try {
    const o = parseEndpointUrl(url)
    if (o.kind === 'unix') return true
    return o.kind === 'tcp' && (o.host === 'localhost' || o.host === '::1' || /^127\./.test(o.host))
  } catch {
    return false
  }
}

const resolveOrNull = async (p: string): Promise<string | null> => realpath(p).catch(() => null)

async function describeOne(
  input: DescribeConfigViewsInput,
  target: ConfigViewTarget,
  client: EndpointClient | undefined,
  local: boolean,
  realPath: string | null,
  hostSha256: string | null,
): Promise<ContainerConfigView> {
  const timeoutMs = input.timeoutMs ?? 10_000
  const base = {
    id: target.id,
    name: target.name?.replace(/^\//, '') ?? target.id.slice(0, 12),
    endpoint: target.endpoint,
    service: target.service ?? null,
  }
  const who = containerLabel({ id: target.id, name: base.name, endpoint: target.endpoint })
  const unknown = (reason: string): ContainerConfigView => ({
    ...base,
    state: null,
    view: unknownView(reason, local),
    refusal: null,
    file: null,
    fileError: null,
    inside: null,
    insideError: null,
  })
  if (!client) return unknown(`${who}: no endpoint ${target.endpoint} in the settings`)

  const dl = deadline(timeoutMs)
  let info
  try {
    info = await inspectOrGone(client, target.id, dl.signal)
  } catch (err) {
    return unknown(`${who}: cannot inspect: ${endpointError(err, timeoutMs)}`)
  } finally {
    dl.done()
  }
  if (info === 'gone') return unknown(`${who}: the container no longer exists`)

  const mounts = (info.Mounts ?? []) as InspectMount[]
  const realSources: Record<string, string | null> = {}
  if (local) {
    for (const m of mounts)
      if (m.Type === 'bind' && m.Source) realSources[m.Source] = await resolveOrNull(m.Source)
  }
  const view = classifyConfigView({
    configPath: input.configPath,
    configRealPath: realPath,
    mounts,
    local,
    realSources,
    endpoint: target.endpoint,
  })
  const name = info.Name?.replace(/^\//, '') || base.name
  const out: ContainerConfigView = {
    ...base,
    name,
    state: info.State?.Status ?? null,
    view,
    refusal:
      view.kind === 'file' && view.mount
        ? fileMountRefusal({ id: target.id, name, endpoint: target.endpoint }, view.mount)
        : null,
    file: null,
    fileError: null,
    inside: null,
    insideError: null,
  }
  if (input.readFiles && view.containerPath) {
    try {
      const read = await readContainerFile(
        client.docker,
        { id: target.id, name, endpoint: target.endpoint },
        view.containerPath,
        { timeoutMs, ...(input.maxBytes !== undefined ? { maxBytes: input.maxBytes } : {}) },
      )
      out.file = {
        path: read.path,
        resolvedPath: read.resolvedPath,
        size: read.size,
        sha256: read.sha256,
        matchesHost: hostSha256 === null ? null : read.sha256 === hostSha256,
        provesContainerView: view.kind !== 'file',
      }
    } catch (err) {
      out.fileError = isCoreError(err) ? err.message : `${who}: ${view.containerPath}: ${String(err)}`
    }
  }
  const insideKinds: readonly string[] = input.readInside ?? []
  if (view.containerPath && insideKinds.includes(view.kind)) {
    try {
      const read = await readFileByExec(
        client.docker,
        { id: target.id, name, endpoint: target.endpoint },
        view.containerPath,
        {
          timeoutMs,
          ...(input.maxBytes !== undefined ? { maxBytes: input.maxBytes } : {}),
        },
      )
      out.inside = {
        path: read.path,
        size: read.size,
        sha256: read.sha256,
        matchesHost: hostSha256 === null ? null : read.sha256 === hostSha256,
      }
    } catch (err) {
      out.insideError = isCoreError(err) ? err.message : `${who}: ${view.containerPath}: ${String(err)}`
    }
  }
  return out
}

export async function describeConfigViews(input: DescribeConfigViewsInput): Promise<ConfigViewsReport> {
  const realPath = await resolveOrNull(input.configPath)
  const hostSha256 = realPath
    ? await readFile(realPath).then(
        (b) => createHash('sha256').update(b).digest('hex'),
        () => null,
      )
    : null
  const clients = new Map(input.endpoints.map((c) => [c.id, c]))
  const isLocal = (id: string) => {
    const c = clients.get(id)
    return input.localEndpoints ? input.localEndpoints.has(id) : c ? endpointIsLocal(c.url) : false
  }
  const containers = await Promise.all(
    input.containers.map((t) =>
      describeOne(input, t, clients.get(t.endpoint), isLocal(t.endpoint), realPath, hostSha256),
    ),
  )
  if (input.readFiles) await readWhereSiblingsDo(input, containers, clients, hostSha256)
  return { at: new Date().toISOString(), configPath: input.configPath, realPath, hostSha256, containers }
}

/**
 * A container whose mounts do not show the config (a volume, or a bind of some other directory)
 * may still read a config.toml at the path its service's other containers use: compose gives
 * every replica the same mounts, so one that differs is the misconfigured one. Read what it holds
 * there, so a stale or different file is caught instead of passing as "not mounted".
 */
async function readWhereSiblingsDo(
  input: DescribeConfigViewsInput,
  containers: ContainerConfigView[],
  clients: ReadonlyMap<string, EndpointClient>,
  hostSha256: string | null,
): Promise<void> {
  const pathOf = new Map<string, string>()
  for (const c of containers)
    if (c.service && c.view.containerPath && !pathOf.has(c.service)) pathOf.set(c.service, c.view.containerPath)
  await Promise.all(
    containers.map(async (c) => {
      const path = c.service ? pathOf.get(c.service) : undefined
      const client = clients.get(c.endpoint)
      if (!path || !client || c.view.containerPath || (c.view.kind !== 'none' && c.view.kind !== 'volume')) return
      try {
        const read = await readContainerFile(client.docker, { id: c.id, name: c.name, endpoint: c.endpoint }, path, {
          timeoutMs: input.timeoutMs ?? 10_000,
          ...(input.maxBytes !== undefined ? { maxBytes: input.maxBytes } : {}),
        })
        c.file = {
          path: read.path,
          resolvedPath: read.resolvedPath,
          size: read.size,
          sha256: read.sha256,
          matchesHost: hostSha256 === null ? null : read.sha256 === hostSha256,
          provesContainerView: true,
        }
        c.view.notes.push(`read at ${path}, where the other containers of ${c.service} see config.toml`)
      } catch (err) {
        c.fileError = isCoreError(err) ? err.message : `${c.name}: ${path}: ${String(err)}`
      }
    }),
  )
}
