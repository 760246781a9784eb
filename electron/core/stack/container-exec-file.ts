import { createHash } from 'node:crypto'
import { Writable } from 'node:stream'
import type Docker from 'dockerode'
import { CoreError } from '../errors'
import { containerLabel, DEFAULT_MAX_FILE_BYTES, type ContainerRef } from './container-file'
import { deadline } from './docker-calls'
import { dockerErrorMessage, isAbort, statusCodeOf } from './outcome'

/**
 * Read a file from INSIDE a running container: `cat` run by the engine in the container's own mount
 * namespace. Unlike the archive API it sees what the container's processes see, including the old
 * inode a single-file bind mount has pinned, so it is the proof for single-file mounts (e.g. after an
 * in-place write). The price: the image must have `cat`, and exec refuses a paused container (409).
 */

export interface ExecFileRead {
  id: string
  name: string
  path: string
  size: number
  sha256: string
  bytes: Buffer
  ms: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function readFileByExec(
  docker: Docker,
  ref: ContainerRef,
  path: string,
  opts: { maxBytes?: number; timeoutMs?: number } = {},
): Promise<ExecFileRead> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_FILE_BYTES
  const timeoutMs = opts.timeoutMs ?? 10_000
  const who = containerLabel(ref)
  if (!path.startsWith('/'))
    throw new CoreError('invalid_input', `${who}: ${path}: the path must be absolute`, { path })
  const t0 = performance.now()
  const dl = deadline(timeoutMs)
  const fail = (err: unknown): CoreError => {
    if (err instanceof CoreError) return err
    if (isAbort(err))
      return new CoreError('timeout', `${who}: ${path}: cat gave no answer within ${timeoutMs} ms`, {
        path,
        cause: err,
      })
    const status = statusCodeOf(err)
    const msg = dockerErrorMessage(err)
    if (status === 404)
      return new CoreError('not_found', `${who}: the container does not exist (${msg})`, { path, cause: err })
    if (status === 409) {
      return new CoreError('conflict', `${who}: ${path}: cannot exec in the container now (${msg})`, {
        path,
        cause: err,
      })
    }
    return new CoreError('unavailable', `${who}: ${path}: exec failed (${msg})`, { path, cause: err })
  }
  try {
    const exec = await docker
      .getContainer(ref.id)
      // `--` so a path can never be read as an option; no shell, so nothing is interpreted.
      .exec({
        Cmd: ['cat', '--', path],
        AttachStdout: true,
        AttachStderr: true,
        abortSignal: dl.signal,
      })
      .catch((err: unknown) => {
        throw fail(err)
      })
    const stream = await exec.start({
      hijack: true,
      stdin: false,
      abortSignal: dl.signal,
    })
    const out: Buffer[] = []
    const errText: Buffer[] = []
    let outBytes = 0
    let tooLarge = false
    await new Promise<void>((resolve, reject) => {
      const stdout = new Writable({
        write(chunk: Buffer, _enc, cb) {
          outBytes += chunk.length
          if (outBytes > maxBytes) {
            tooLarge = true
            stream.destroy()
            resolve()
          } else out.push(chunk)
          cb()
        },
      })
      const stderr = new Writable({
        write(chunk: Buffer, _enc, cb) {
          // Only for the message; a few KiB are plenty.
          if (errText.reduce((n, b) => n + b.length, 0) < 4096) errText.push(chunk)
          cb()
        },
      })
      docker.modem.demuxStream(stream, stdout, stderr)
      stream.on('end', () => resolve())
      stream.on('close', () => resolve())
      stream.on('error', reject)
      dl.signal.addEventListener('abort', () => {
        stream.destroy()
        reject(Object.assign(new Error('aborted'), { name: 'AbortError' }))
      })
    })
    if (tooLarge) {
      throw new CoreError('io_error', `${who}: ${path}: over the limit of ${maxBytes} bytes`, { path })
    }
    // The stream can end a moment before the engine records the exit code.
    let info = await exec.inspect()
    for (let i = 0; info.Running && i < 50 && !dl.signal.aborted; i++) {
      await sleep(50)
      info = await exec.inspect()
    }
    if (info.ExitCode !== 0) {
      const why = Buffer.concat(errText).toString('utf8').trim() || `exit code ${String(info.ExitCode)}`
      // 126/127: the image has no cat (or cannot run it): say so, it is the usual reason.
      const hint = info.ExitCode === 126 || info.ExitCode === 127 ? ' (the image has no usable cat)' : ''
      throw new CoreError('io_error', `${who}: ${path}: cat failed: ${why}${hint}`, { path })
    }
    const bytes = Buffer.concat(out)
    return {
      id: ref.id,
      name: ref.name?.replace(/^\//, '') ?? ref.id.slice(0, 12),
      path,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes,
      ms: Math.round((performance.now() - t0) * 10) / 10,
    }
  } catch (err) {
    throw fail(err)
  } finally {
    dl.done()
  }
}
