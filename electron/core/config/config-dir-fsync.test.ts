/**
 * The config writer under the one directory-fsync policy (shared/durable-file.ts): on a filesystem
 * that cannot fsync a directory the save goes through and says so once in its warnings; any other
 * failure of the fsync before the rename refuses the save with the original intact.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import type * as FsPromises from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const dirSyncError = vi.hoisted(() => ({ code: null as string | null }))
vi.mock('node:fs/promises', async (importOriginal) => {
  const { withFailingDirSync } = await import('../../../test-support/dir-fsync-fault')
  return withFailingDirSync(await importOriginal<typeof FsPromises>(), dirSyncError)
})

const { backupAndWrite, sha256 } = await import('./config-writer')

describe('config writer, directory fsync', () => {
  let dir: string
  let file: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sd-cfg-dirsync-'))
    file = join(dir, 'config.toml')
    await writeFile(file, 'a = 1\n')
    dirSyncError.code = null
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('unsupported (EINVAL): the save is done and warns once', async () => {
    dirSyncError.code = 'EINVAL'
    const res = await backupAndWrite(file, 'a = 2\n', sha256('a = 1\n'), { keepBackups: 5 })
    expect(await readFile(file, 'utf8')).toBe('a = 2\n')
    expect(res.warnings.filter((w) => /cannot fsync the directory/.test(w))).toHaveLength(1)
  })

  it('supported and succeeding: no warning', async () => {
    const res = await backupAndWrite(file, 'a = 2\n', sha256('a = 1\n'), { keepBackups: 5 })
    expect(res.warnings).toEqual([])
  })

  it('a real failure (EIO) before the rename refuses the save: the original is intact, nothing left over', async () => {
    dirSyncError.code = 'EIO'
    await expect(backupAndWrite(file, 'a = 2\n', sha256('a = 1\n'), { keepBackups: 5 })).rejects.toMatchObject({ code: 'io_error' })
    expect(await readFile(file, 'utf8')).toBe('a = 1\n')
    expect(await readdir(dir)).toEqual(['config.toml'])
  })
})
