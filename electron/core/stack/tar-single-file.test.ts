import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parsePax, readSingleFileTar, TarRefusal, tarNumber, type TarSingle } from './tar-single-file'

const MAX = 4 * 1024 * 1024
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')

/** A ustar header (with a correct checksum unless `badChecksum`). */
function header(o: {
  name: string
  size: number
  type?: string
  linkname?: string
  mode?: number
  badChecksum?: boolean
}): Buffer {
  const h = Buffer.alloc(512)
  h.write(o.name, 0, 100, 'utf8')
  h.write(`${(o.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100, 'latin1')
  h.write('0000000\0', 108, 'latin1')
  h.write('0000000\0', 116, 'latin1')
  h.write(`${o.size.toString(8).padStart(11, '0')}\0`, 124, 'latin1')
  h.write(`${(1_700_000_000).toString(8).padStart(11, '0')}\0`, 136, 'latin1')
  h.write(o.type ?? '0', 156, 'latin1')
  if (o.linkname) h.write(o.linkname, 157, 100, 'utf8')
  h.write('ustar\x0000', 257, 'latin1')
  h.fill(0x20, 148, 156)
  let sum = 0
  for (const b of h) sum += b
  h.write(`${(o.badChecksum ? sum + 1 : sum).toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
  return h
}
const body = (data: Buffer) => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)])
const entry = (name: string, data: Buffer | string, type = '0') => {
  const b = Buffer.from(data)
  return Buffer.concat([header({ name, size: b.length, type }), body(b)])
}
const END = Buffer.alloc(1024)

async function* chunks(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size)
}
const read = (buf: Buffer, chunkSize = 65536, maxBytes = MAX) =>
  readSingleFileTar(chunks(buf, chunkSize), { maxBytes })

async function refusal(p: Promise<TarSingle>): Promise<TarRefusal> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(TarRefusal)
    return err as TarRefusal
  }
  throw new Error('expected a TarRefusal')
}

const asFile = (r: TarSingle) => {
  if (r.kind !== 'file') throw new Error(`expected a file, got ${r.kind}`)
  return r
}

describe('readSingleFileTar on hand-built archives', () => {
  it('one regular file: bytes, size, SHA-256, mode, mtime', async () => {
    const r = asFile(await read(Buffer.concat([entry('config.toml', 'a = 1\n'), END])))
    expect(r).toMatchObject({ kind: 'file', name: 'config.toml', size: 6, mode: 0o644 })
    expect(r.bytes.toString()).toBe('a = 1\n')
    expect(r.sha256).toBe(sha('a = 1\n'))
    expect(r.mtime?.toISOString()).toBe('2023-11-14T22:13:20.000Z')
  })

  it('does not care how the stream is cut: one byte at a time', async () => {
    const data = Buffer.from('x'.repeat(1500))
    const r = asFile(await read(Buffer.concat([entry('config.toml', data), END]), 1))
    expect(r.sha256).toBe(sha(data))
  })

  it('an empty file, a file of exactly one block, and an archive without the end marker', async () => {
    expect(asFile(await read(Buffer.concat([entry('e', ''), END]))).sha256).toBe(sha(''))
    const block = Buffer.alloc(512, 0x61)
    expect(asFile(await read(Buffer.concat([entry('b', block), END]))).size).toBe(512)
    expect(asFile(await read(entry('n', 'no end')))).toMatchObject({ size: 6 })
  })

  it('a file at the limit passes, one byte more is too_large', async () => {
    const data = Buffer.alloc(1000, 0x62)
    expect(asFile(await read(Buffer.concat([entry('f', data), END]), 65536, 1000)).size).toBe(1000)
    const err = await refusal(read(Buffer.concat([entry('f', data), END]), 65536, 999))
    expect(err.reason).toBe('too_large')
    expect(err.message).toMatch(/f is 1000 bytes, over the limit of 999 bytes/)
  })

  it('too_large stops reading at the header: an endless stream costs one block', async () => {
    let pulled = 0
    async function* endless(): AsyncGenerator<Buffer> {
      const h = header({ name: 'huge', size: 100 * 1024 * 1024 })
      pulled += h.length
      yield h
      for (;;) {
        pulled += 65536
        yield Buffer.alloc(65536)
      }
    }
    const err = await refusal(readSingleFileTar(endless(), { maxBytes: MAX }))
    expect(err.reason).toBe('too_large')
    expect(pulled).toBe(512)
  })

  it('symlink: returned with its target so the caller can follow it', async () => {
    const h = header({ name: 'config.toml', size: 0, type: '2', linkname: '/config/real.toml' })
    expect(await read(Buffer.concat([h, END]))).toEqual({
      kind: 'symlink',
      name: 'config.toml',
      linkname: '/config/real.toml',
    })
  })

  it.each([
    ['5', 'a directory'],
    ['1', 'a hard link'],
    ['3', 'a character device'],
    ['6', 'a FIFO'],
    ['S', 'a tar entry of type "S"'],
  ])('type %s is refused as not_regular (%s)', async (type, what) => {
    const err = await refusal(read(Buffer.concat([header({ name: 'x', size: 0, type }), END])))
    expect(err.reason).toBe('not_regular')
    expect(err.message).toBe(`x is ${what}, not a regular file`)
  })

  it('two entries are refused, naming both', async () => {
    const err = await refusal(read(Buffer.concat([entry('a', '1'), entry('b', '2'), END])))
    expect(err.reason).toBe('several_entries')
    expect(err.message).toMatch(/\(a, then b\)/)
  })

  it('empty archives are refused', async () => {
    expect((await refusal(read(END))).reason).toBe('empty')
    expect((await refusal(read(Buffer.alloc(0)))).reason).toBe('empty')
  })

  it('a corrupt header checksum, a truncated header or body are malformed', async () => {
    const bad = Buffer.concat([
      header({ name: 'c', size: 1, badChecksum: true }),
      body(Buffer.from('1')),
      END,
    ])
    expect((await refusal(read(bad))).message).toMatch(/checksum/)
    expect((await refusal(read(header({ name: 'c', size: 1 }).subarray(0, 300)))).message).toMatch(
      /inside a header/,
    )
    const cut = Buffer.concat([header({ name: 'c', size: 2000 }), Buffer.alloc(100)])
    expect((await refusal(read(cut))).message).toMatch(/ends inside the file/)
  })

  it('pax headers: path and size overrides apply to the next entry only', async () => {
    const rec = (k: string, v: string) => {
      const tail = ` ${k}=${v}\n`
      let len = tail.length + 1
      while (String(len).length + tail.length !== len) len++
      return `${len}${tail}`
    }
    const longName = `${'d/'.repeat(80)}config.toml`
    const pax = Buffer.from(rec('path', longName) + rec('size', '3'))
    const archive = Buffer.concat([
      header({ name: 'PaxHeaders/x', size: pax.length, type: 'x' }),
      body(pax),
      // The ustar size field says 0: the pax size (3) must win.
      header({ name: 'short', size: 0 }),
      body(Buffer.from('abc')),
      END,
    ])
    expect(asFile(await read(archive))).toMatchObject({ name: longName, size: 3, sha256: sha('abc') })
  })

  it('GNU long name entries name the next entry', async () => {
    const longName = `${'n'.repeat(150)}.toml`
    const ln = Buffer.from(`${longName}\0`)
    const archive = Buffer.concat([
      header({ name: '././@LongLink', size: ln.length, type: 'L' }),
      body(ln),
      entry('trunc', 'z'),
      END,
    ])
    expect(asFile(await read(archive)).name).toBe(longName)
  })

  it('oversized metadata is refused before it is buffered', async () => {
    const archive = Buffer.concat([header({ name: '././@LongLink', size: 10 * 1024 * 1024, type: 'L' }), END])
    expect((await refusal(read(archive))).reason).toBe('malformed')
  })
})

describe('numeric fields and pax records', () => {
  it('octal with NUL or space terminators, and empty', () => {
    expect(tarNumber(Buffer.from('0000644\0'), 0, 8)).toBe(0o644)
    expect(tarNumber(Buffer.from('   644 \0'), 0, 8)).toBe(0o644)
    expect(tarNumber(Buffer.alloc(8), 0, 8)).toBe(0)
    expect(tarNumber(Buffer.from('12z\0'), 0, 4)).toBeNaN()
  })

  it('GNU base-256 for values that do not fit in octal', () => {
    const b = Buffer.alloc(12)
    b[0] = 0x80
    b.writeUIntBE(10 * 1024 ** 3, 6, 6)
    expect(tarNumber(b, 0, 12)).toBe(10 * 1024 ** 3)
    b[0] = 0xff // negative
    expect(tarNumber(b, 0, 12)).toBeNaN()
  })

  it('a base-256 size over the limit is too_large', async () => {
    const h = header({ name: 'big', size: 0 })
    h[124] = 0x80
    h.fill(0, 125, 136)
    h.writeUIntBE(9 * 1024 ** 3, 130, 6)
    h.fill(0x20, 148, 156)
    let sum = 0
    for (const byte of h) sum += byte
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
    expect((await refusal(read(Buffer.concat([h, END])))).reason).toBe('too_large')
  })

  it('parsePax reads records and rejects a lying length', () => {
    expect(parsePax(Buffer.from('11 path=ab\n12 size=123\n'))).toEqual({ path: 'ab', size: '123' })
    expect(() => parsePax(Buffer.from('99 path=ab\n'))).toThrow(TarRefusal)
  })
})

describe('readSingleFileTar on archives written by GNU tar', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sd-tar-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const tarOf = (format: string, ...names: string[]) =>
    execFileSync('tar', ['-c', `--format=${format}`, '-C', dir, ...names], { maxBuffer: 16 * 1024 * 1024 })

  const long = `${'very-long-directory-name/'.repeat(6)}config.toml`
  mkdirSync(join(dir, long, '..'), { recursive: true })
  writeFileSync(join(dir, long), 'risk = 1\n')
  writeFileSync(join(dir, 'config.toml'), 'max_open_orders = 40\n')
  symlinkSync('/config/config.toml', join(dir, 'link.toml'))

  it.each(['ustar', 'gnu', 'pax', 'posix', 'v7'])('%s format, short name', async (format) => {
    const r = asFile(await read(tarOf(format, 'config.toml')))
    expect(r).toMatchObject({ name: 'config.toml', sha256: sha('max_open_orders = 40\n') })
  })

  it.each(['gnu', 'pax'])('%s format, a path over 100 characters', async (format) => {
    const r = asFile(await read(tarOf(format, long)))
    expect(r.name).toBe(long)
    expect(r.bytes.toString()).toBe('risk = 1\n')
  })

  it('ustar format, a long path split into prefix and name', async () => {
    expect(asFile(await read(tarOf('ustar', long))).name).toBe(long)
  })

  it('a symlink, and a directory with its file', async () => {
    expect(await read(tarOf('pax', 'link.toml'))).toEqual({
      kind: 'symlink',
      name: 'link.toml',
      linkname: '/config/config.toml',
    })
    const err = await refusal(read(tarOf('pax', 'very-long-directory-name')))
    expect(err.reason).toBe('not_regular')
  })
})
