import { createHash } from 'node:crypto'

/**
 * A small, bounded reader for the tar stream the engine's archive API sends for ONE path: it accepts
 * exactly one regular file (or one symlink, which the caller may follow) and refuses anything else.
 * Written here rather than pulled in because all it must do is parse a handful of 512-byte headers,
 * and every limit must be ours: the bytes come from a container, which is not trusted.
 *
 * Understands ustar (with its name prefix), GNU long names/links ('L'/'K') and pax extended headers
 * ('x' per entry, 'g' global) for path, linkpath and size; numeric fields in octal or base-256.
 */

export const TAR_REFUSALS = ['too_large', 'not_regular', 'several_entries', 'malformed', 'empty'] as const
export type TarRefusalReason = (typeof TAR_REFUSALS)[number]

export class TarRefusal extends Error {
  constructor(
    readonly reason: TarRefusalReason,
    message: string,
  ) {
    super(message)
    this.name = 'TarRefusal'
  }
}

export type TarSingle =
  | {
      kind: 'file'
      name: string
      size: number
      sha256: string
      bytes: Buffer
      mode: number
      mtime: Date | null
    }
  | { kind: 'symlink'; name: string; linkname: string }

export interface TarReadOptions {
  /** Largest file accepted, in bytes. */
  maxBytes: number
  /** Largest GNU long-name or pax header accepted, in bytes (default 64 KiB). */
  maxMetaBytes?: number
}

const BLOCK = 512
const TYPE_NAMES: Record<string, string> = {
  '1': 'a hard link',
  '2': 'a symlink',
  '3': 'a character device',
  '4': 'a block device',
  '5': 'a directory',
  '6': 'a FIFO',
}

/** Pulls exact byte counts out of an async byte stream, holding at most what one read asks for. */
class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>
  private chunks: Buffer[] = []
  private held = 0
  private done = false

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]()
  }

  /** Up to n bytes; fewer only at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    while (this.held < n && !this.done) {
      const r = await this.it.next()
      if (r.done) this.done = true
      else if (r.value.length > 0) {
        const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value)
        this.chunks.push(chunk)
        this.held += chunk.length
      }
    }
    // One concat per read, not per chunk: a 4 MiB file arrives in many small chunks.
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.held)
    const out = all.subarray(0, n)
    const rest = all.subarray(out.length)
    this.chunks = rest.length > 0 ? [rest] : []
    this.held = rest.length
    return out
  }

  /** Stop the source (destroys a Node stream) once we have what we need or are refusing. */
  async close(): Promise<void> {
    await this.it.return?.()
  }
}

const cstr = (b: Buffer, start: number, len: number): string => {
  const field = b.subarray(start, start + len)
  const nul = field.indexOf(0)
  return field.subarray(0, nul === -1 ? field.length : nul).toString('utf8')
}

/** Octal ASCII (NUL/space terminated) or GNU base-256 (high bit set). NaN when neither. */
export function tarNumber(b: Buffer, start: number, len: number): number {
  const field = b.subarray(start, start + len)
  const first = field[0] ?? 0
  if (first & 0x80) {
    // Base-256, big-endian two's complement; negative values make no sense for sizes or times.
    if (first & 0x40) return NaN
    let v = first & 0x3f
    for (const byte of field.subarray(1)) {
      v = v * 256 + byte
      if (v > Number.MAX_SAFE_INTEGER) return NaN
    }
    return v
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '')
  if (text === '') return 0
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : NaN
}

function checksumOk(h: Buffer): boolean {
  const stored = tarNumber(h, 148, 8)
  let unsigned = 0
  let signed = 0
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (h[i] as number)
    unsigned += byte
    signed += byte > 127 ? byte - 256 : byte
  }
  // Some old writers summed signed bytes; both are accepted, as GNU tar does.
  return stored === unsigned || stored === signed
}

/** pax records: "<len> <key>=<value>\n", where len counts the whole record. */
export function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {}
  let off = 0
  while (off < data.length) {
    const sp = data.indexOf(0x20, off)
    if (sp === -1) break
    const len = Number(data.subarray(off, sp).toString('latin1'))
    if (!Number.isInteger(len) || len <= sp - off || off + len > data.length) {
      throw new TarRefusal('malformed', 'malformed pax header record')
    }
    const rec = data.subarray(sp + 1, off + len - 1).toString('utf8')
    const eq = rec.indexOf('=')
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1)
    off += len
  }
  return out
}

const padded = (size: number) => Math.ceil(size / BLOCK) * BLOCK

/**
 * Read a tar stream that must hold one regular file (or one symlink). Refuses with TarRefusal: an
 * empty archive, a directory or device, a second entry, a file over `maxBytes`, or a corrupt header.
 * Stops reading (and closes the source) at the first refusal, so a huge stream costs nothing.
 */
export async function readSingleFileTar(
  source: AsyncIterable<Uint8Array>,
  opts: TarReadOptions,
): Promise<TarSingle> {
  const maxMeta = opts.maxMetaBytes ?? 64 * 1024
  const r = new ByteReader(source)
  try {
    let found: TarSingle | null = null
    let longName: string | null = null
    let longLink: string | null = null
    let pax: Record<string, string> = {}
    let globalPax: Record<string, string> = {}

    const readBody = async (size: number, limit: number, what: string): Promise<Buffer> => {
      if (size > limit)
        throw new TarRefusal(
          what === 'file' ? 'too_large' : 'malformed',
          `${what} of ${size} bytes exceeds the limit of ${limit} bytes`,
        )
      const body = await r.read(padded(size))
      if (body.length < padded(size))
        throw new TarRefusal(
          'malformed',
          `archive ends inside the ${what} (${body.length} of ${padded(size)} bytes)`,
        )
      return body.subarray(0, size)
    }

    for (;;) {
      const h = await r.read(BLOCK)
      if (h.length === 0) break // the engine's archives end with zero blocks, but a bare end is fine too
      if (h.length < BLOCK)
        throw new TarRefusal('malformed', `archive ends inside a header (${h.length} bytes)`)
      if (h.every((b) => b === 0)) break // end-of-archive marker: nothing after it counts
      if (!checksumOk(h)) throw new TarRefusal('malformed', 'tar header checksum mismatch')

      const type = String.fromCharCode(h[156] ?? 0)
      const sizeField = tarNumber(h, 124, 12)
      // A pax `size` overrides the header's for the entry it describes, never for metadata entries.
      const meta = type === 'L' || type === 'K' || type === 'x' || type === 'g'
      const size = !meta && pax['size'] !== undefined ? Number(pax['size']) : sizeField
      if (!Number.isSafeInteger(size) || size < 0) throw new TarRefusal('malformed', 'bad size in tar header')

      // Metadata entries describe the NEXT entry.
      if (type === 'L' || type === 'K') {
        const v = cstr(await readBody(size, maxMeta, 'GNU long name'), 0, size)
        if (type === 'L') longName = v
        else longLink = v
        continue
      }
      if (type === 'x' || type === 'g') {
        const recs = parsePax(await readBody(size, maxMeta, 'pax header'))
        if (type === 'x') pax = { ...pax, ...recs }
        else globalPax = { ...globalPax, ...recs }
        continue
      }

      const magic = h.subarray(257, 263).toString('latin1')
      const prefix = magic === 'ustar\0' ? cstr(h, 345, 155) : ''
      // Directory entries end in '/'; drop it so messages read "config is a directory".
      const name = (
        pax['path'] ??
        longName ??
        globalPax['path'] ??
        (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100))
      ).replace(/(.)\/+$/, '$1')
      const linkname = pax['linkpath'] ?? longLink ?? cstr(h, 157, 100)
      pax = {}
      longName = null
      longLink = null

      if (found)
        throw new TarRefusal(
          'several_entries',
          `the archive holds more than one entry (${found.name}, then ${name})`,
        )
      if (type === '0' || type === '\0' || type === '7') {
        if (size > opts.maxBytes) {
          throw new TarRefusal(
            'too_large',
            `${name} is ${size} bytes, over the limit of ${opts.maxBytes} bytes`,
          )
        }
        const bytes = Buffer.from(await readBody(size, opts.maxBytes, 'file'))
        const mtime = tarNumber(h, 136, 12)
        found = {
          kind: 'file',
          name,
          size,
          sha256: createHash('sha256').update(bytes).digest('hex'),
          bytes,
          mode: tarNumber(h, 100, 8) & 0o7777,
          mtime: Number.isFinite(mtime) ? new Date(mtime * 1000) : null,
        }
      } else if (type === '2') {
        found = { kind: 'symlink', name, linkname }
        await readBody(size, maxMeta, 'symlink body')
      } else {
        throw new TarRefusal(
          'not_regular',
          `${name} is ${TYPE_NAMES[type] ?? `a tar entry of type ${JSON.stringify(type)}`}, not a regular file`,
        )
      }
    }
    if (!found) throw new TarRefusal('empty', 'the archive holds no file')
    return found
  } finally {
    await r.close()
  }
}
