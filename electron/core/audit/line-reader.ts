import { open, type FileHandle } from 'node:fs/promises'

/**
 * Line iteration over a JSON-lines file that another writer may be appending to. Both readers
 * look at the file as it was when they opened it and drop an unterminated last line: it is
 * either torn by a crash or still being written, and neither is a record yet.
 */

const NL = 0x0a
const DEFAULT_CHUNK = 64 * 1024

async function openForRead(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

async function readAt(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done)
    if (bytesRead === 0) throw new Error('file shrank while reading')
    done += bytesRead
  }
}

/** Newest line first. Cheap for "the last N records": it reads only as many chunks as it needs. */
export async function* readLinesBackward(path: string, chunkSize = DEFAULT_CHUNK): AsyncGenerator<string> {
  const fh = await openForRead(path)
  if (!fh) return
  try {
    let pos = (await fh.stat()).size
    let carry = Buffer.alloc(0)
    let sawNewline = false
    while (pos > 0) {
      const n = Math.min(chunkSize, pos)
      pos -= n
      const chunk = Buffer.alloc(n)
      await readAt(fh, chunk, pos)
      const buf = carry.length > 0 ? Buffer.concat([chunk, carry]) : chunk
      let end = buf.length
      let idx = end > 0 ? buf.lastIndexOf(NL, end - 1) : -1
      while (idx !== -1) {
        // The bytes after the file's last newline are the unterminated tail: never a record.
        if (sawNewline && idx + 1 < end) yield buf.toString('utf8', idx + 1, end)
        sawNewline = true
        end = idx
        idx = end > 0 ? buf.lastIndexOf(NL, end - 1) : -1
      }
      carry = buf.subarray(0, end)
    }
    if (sawNewline && carry.length > 0) yield carry.toString('utf8')
  } finally {
    await fh.close()
  }
}

/** Oldest line first, in bounded memory; used when a cursor points far back. */
export async function* readLinesForward(path: string, chunkSize = DEFAULT_CHUNK): AsyncGenerator<string> {
  const fh = await openForRead(path)
  if (!fh) return
  try {
    const size = (await fh.stat()).size
    let pos = 0
    let carry = Buffer.alloc(0)
    while (pos < size) {
      const n = Math.min(chunkSize, size - pos)
      const chunk = Buffer.alloc(n)
      await readAt(fh, chunk, pos)
      pos += n
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk
      let start = 0
      let idx = buf.indexOf(NL, start)
      while (idx !== -1) {
        if (idx > start) yield buf.toString('utf8', start, idx)
        start = idx + 1
        idx = buf.indexOf(NL, start)
      }
      carry = buf.subarray(start)
    }
    // Whatever is left has no newline: dropped, as above.
  } finally {
    await fh.close()
  }
}

/** The last byte of the file, or null when it is empty or missing. */
export async function lastByte(path: string): Promise<number | null> {
  const fh = await openForRead(path)
  if (!fh) return null
  try {
    const size = (await fh.stat()).size
    if (size === 0) return null
    const b = Buffer.alloc(1)
    await readAt(fh, b, size - 1)
    return b[0] ?? null
  } finally {
    await fh.close()
  }
}
