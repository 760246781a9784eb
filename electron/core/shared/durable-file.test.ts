import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type * as FsPromises from 'node:fs/promises'

// A directory fsync that fails on demand: real filesystems here all support it.
const dirSyncError = vi.hoisted(() => ({ code: null as string | null }))
vi.mock('node:fs/promises', async (importOriginal) => {
  const { withFailingDirSync } = await import('../../../test-support/dir-fsync-fault')
  return withFailingDirSync(await importOriginal<typeof FsPromises>(), dirSyncError)
})

const { fsyncDirectory, replaceFileDurably, replaceFileDurablySync, reportOnce } = await import('./durable-file')

describe('durable-file', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sd-durable-'))
    dirSyncError.code = null
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('replaces a file, creating its directory, and leaves no temp file', async () => {
    const path = join(dir, 'nested', 'state.json')
    expect(await replaceFileDurably(path, 'one')).toEqual({ synced: true })
    expect(replaceFileDurablySync(path, 'two')).toEqual({ synced: true })
    expect(await readFile(path, 'utf8')).toBe('two')
    expect(await readdir(join(dir, 'nested'))).toEqual(['state.json'])
  })

  it('a failing write leaves the old file and removes its temp file', async () => {
    // A directory (not empty) where the file should be: the rename fails.
    const path = join(dir, 'taken')
    await mkdir(path)
    await writeFile(join(path, 'inside'), 'old')
    await expect(replaceFileDurably(path, 'new')).rejects.toThrow()
    expect(await readFile(join(path, 'inside'), 'utf8')).toBe('old')
    expect(await readdir(dir)).toEqual(['taken'])
  })

  it.each(['EINVAL', 'ENOTSUP', 'EISDIR', 'EPERM', 'EBADF'])('tolerates and reports a directory fsync the filesystem cannot do (%s)', async (code) => {
    dirSyncError.code = code
    const out = await replaceFileDurably(join(dir, 'state.json'), 'x')
    expect(out).toMatchObject({ synced: false, code })
    expect(out.synced === false && out.warning).toMatch(new RegExp(`cannot fsync the directory .*${code}`))
    expect(await readFile(join(dir, 'state.json'), 'utf8')).toBe('x')
  })

  it('propagates any other directory fsync failure', async () => {
    dirSyncError.code = 'EIO'
    await expect(fsyncDirectory(dir)).rejects.toMatchObject({ code: 'EIO' })
    await expect(fsyncDirectory(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('reportOnce passes each distinct warning on once', () => {
    const lines: string[] = []
    const report = reportOnce((l) => lines.push(l))
    report({ synced: true })
    report({ synced: false, code: 'EINVAL', warning: 'w1' })
    report({ synced: false, code: 'EINVAL', warning: 'w1' })
    report({ synced: false, code: 'ENOTSUP', warning: 'w2' })
    expect(lines).toEqual(['w1', 'w2'])
  })
})
