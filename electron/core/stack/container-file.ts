import { posix } from 'node:path'
import type { Readable } from 'node:stream'
import type Docker from 'dockerode'
import { CoreError } from '../errors'
import { deadline, endpointError } from './docker-calls'
import { dockerErrorMessage, isAbort, statusCodeOf } from './outcome'
import { readSingleFileTar, TarRefusal } from './tar-single-file'

/**
 * Read one file as a container's filesystem holds it, through the engine's archive API
 * (`GET /containers/{id}/archive?path=…`). It needs no tools inside the image and works on every
 * endpoint, paused and stopped containers included (checked by config-view.int.test.ts).
 *
 * What it proves, and what it does not: the engine builds the archive from the container's root
 * filesystem with each mount's SOURCE mounted afresh, so it shows which host file a container path
 * resolves to NOW (a mount pointing at the wrong directory, a file baked into the image, a volume).
 * It does NOT show the inode a running container's single-file bind mount has pinned: after a
 * rename-over the archive already shows the new bytes while the container still reads the old ones
 * (Docker 20.10, pinned by the integration test). Single-file mounts are caught from inspect
 * (config-view.ts) and read from inside the container by container-exec-file.ts.
 */

export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024

export interface ContainerRef {
  id: string
  /** Container name, for messages; the short id is used when absent. */
  name?: string
  /** Endpoint id, for messages. */
  endpoint?: string
}

export interface ContainerFileRead {
  id: string
  name: string
  /** The path asked for. */
  path: string
  /** The regular file finally read, after following symlinks inside the container. */
  resolvedPath: string
  /** Symlinks followed on the way, in order (empty when `path` was the file itself). */
  symlinks: string[]
  size: number
  sha256: string
  bytes: Buffer
  mode: number
  mtime: string | null
  ms: number
}

export interface ReadContainerFileOptions {
  maxBytes?: number
  timeoutMs?: number
  /** Symlinks followed inside the container before giving up (default 8). */
  maxSymlinks?: number
}

const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12)

export function containerLabel(ref: ContainerRef): string {
  const name = ref.name?.replace(/^\//, '')
  const id = shortId(ref.id)
  const where = ref.endpoint ? ` on ${ref.endpoint}` : ''
  return name ? `container ${name} (${id}${where})` : `container ${id}${where}`
}

export async function readContainerFile(
  docker: Docker,
  ref: ContainerRef,
  path: string,
  opts: ReadContainerFileOptions = {},
): Promise<ContainerFileRead> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_FILE_BYTES
  const timeoutMs = opts.timeoutMs ?? 10_000
  const maxSymlinks = opts.maxSymlinks ?? 8
  const who = containerLabel(ref)
  if (!path.startsWith('/'))
    throw new CoreError('invalid_input', `${who}: ${path}: the path must be absolute`, { path })

  const t0 = performance.now()
  const dl = deadline(timeoutMs)
  const symlinks: string[] = []
  let current = posix.normalize(path)
  try {
    for (;;) {
      let stream: Readable
      try {
        stream = (await docker
          .getContainer(ref.id)
          .getArchive({ path: current, abortSignal: dl.signal })) as Readable
      } catch (err) {
        throw archiveError(who, path, current, err, timeoutMs)
      }
      let entry
      try {
        entry = await readSingleFileTar(stream, { maxBytes })
      } catch (err) {
        stream.destroy()
        if (err instanceof TarRefusal) {
          throw new CoreError('io_error', `${who}: ${describe(path, current)}: ${err.message}`, {
            path,
            cause: err,
          })
        }
        throw archiveError(who, path, current, err, timeoutMs)
      }
      if (entry.kind === 'file') {
        return {
          id: ref.id,
          name: ref.name?.replace(/^\//, '') ?? shortId(ref.id),
          path,
          resolvedPath: current,
          symlinks,
          size: entry.size,
          sha256: entry.sha256,
          bytes: entry.bytes,
          mode: entry.mode,
          mtime: entry.mtime?.toISOString() ?? null,
          ms: Math.round((performance.now() - t0) * 10) / 10,
        }
      }
      // A service may read config.toml through a link (e.g. /app/config.toml -> /config/config.toml):
      // the engine archives the link itself, so follow it as the container's own lookup would.
      symlinks.push(current)
      if (symlinks.length > maxSymlinks) {
        throw new CoreError(
          'io_error',
          `${who}: ${path}: more than ${maxSymlinks} symlinks (${symlinks.join(' -> ')})`,
          { path },
        )
      }
      current = posix.resolve(posix.dirname(current), entry.linkname)
    }
  } finally {
    dl.done()
  }
}

const describe = (asked: string, current: string) =>
  asked === current ? asked : `${asked} (via symlink ${current})`

function archiveError(
  who: string,
  asked: string,
  current: string,
  err: unknown,
  timeoutMs: number,
): CoreError {
  const where = describe(asked, current)
  if (isAbort(err))
    return new CoreError('timeout', `${who}: ${where}: no archive within ${timeoutMs} ms`, {
      path: asked,
      cause: err,
    })
  const status = statusCodeOf(err)
  const msg = dockerErrorMessage(err)
  if (status === 404) {
    // The same status means "no such container" and "no such file"; the daemon's message tells which.
    const gone = /no such container/i.test(msg)
    return new CoreError(
      'not_found',
      `${who}: ${where}: ${gone ? 'the container does not exist' : 'no such file in the container'} (${msg})`,
      {
        path: asked,
        cause: err,
      },
    )
  }
  if (status !== undefined)
    return new CoreError('io_error', `${who}: ${where}: the engine refused the archive (${status}: ${msg})`, {
      path: asked,
      cause: err,
    })
  return new CoreError('unavailable', `${who}: ${where}: ${endpointError(err, timeoutMs)}`, {
    path: asked,
    cause: err,
  })
}
