/**
 * Real-world checks of the write protocol:
 *  - containers that bind-mount the config DIRECTORY see every save at once (and why a single-file
 *    bind mount does not: rename-over gives the file a new inode);
 *  - a full filesystem (tmpfs) and a read-only mount give a clean io_error with the original intact.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  execIn,
  hasTestDocker,
  removeFixtures,
  startFixtures,
  testDocker,
  testImage,
  testLabels,
} from '../../../test-support/docker-fixtures'
import { requireInSuite } from '../../../test-support/test-env'
import { CoreError } from '../errors'
import { ConfigService } from './config-service'
import { sha256 } from './config-writer'
import { withEdits } from './__fixtures__/value-path'

const ROOT = resolve(import.meta.dirname, '../../..')
const SCHEMA = join(ROOT, 'schemas/config.schema.json')
const EXAMPLE = readFileSync(join(ROOT, 'config.example.toml'), 'utf8')
const SUITE = { 'stackdeck.suite': 'config-bind-mount' }

async function catConfig(id: string): Promise<string> {
  const r = await execIn(id, ['cat', '/config/config.toml'])
  expect(r.exitCode).toBe(0)
  return r.output
}

describe.skipIf(!hasTestDocker())('config saves seen through Docker bind mounts (needs scripts/with-test-env.sh)', () => {
  let dir: string
  let file: string

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sd-config-bind-'))
    file = join(dir, 'config.toml')
    writeFileSync(file, EXAMPLE, { mode: 0o644 })
  })

  afterEach(async () => {
    await removeFixtures(SUITE)
  })

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('every container mounting the directory sees each save immediately', async () => {
    const ids = await startFixtures({ count: 3, service: 'cfg', labels: SUITE, configDir: dir })
    for (const id of ids) expect(await catConfig(id)).toBe(readFileSync(file, 'utf8'))

    const service = new ConfigService({ configPath: file, schemaPath: SCHEMA, keepBackups: 5 })
    let loaded = await service.load()
    for (const n of [41, 42]) {
      const value = withEdits(loaded.value, { '/risk/max_open_orders': n })
      const saved = await service.save({ value, baseHash: loaded.hash })
      const onHost = readFileSync(file, 'utf8')
      expect(sha256(onHost)).toBe(saved.hash)
      expect(onHost).toContain(`max_open_orders = ${n}`)
      // No settle time: the rename is visible through the directory mount at once.
      for (const id of ids) expect(await catConfig(id)).toBe(onHost)
      loaded = await service.load()
    }
  })

  it('a container that bind-mounts the FILE keeps the old inode: the reason we mount the directory', async () => {
    const docker = testDocker()
    const container = await docker.createContainer({
      Image: testImage(),
      Labels: { ...testLabels(), ...SUITE },
      Env: ['SERVICE_NAME=cfg-file'],
      HostConfig: { NetworkMode: 'none', Binds: [`${file}:/config/config.toml:ro`] },
    })
    await container.start()
    const before = readFileSync(file, 'utf8')
    expect(await catConfig(container.id)).toBe(before)

    const service = new ConfigService({ configPath: file, schemaPath: SCHEMA, keepBackups: 5 })
    const loaded = await service.load()
    const value = withEdits(loaded.value, { '/risk/max_open_orders': 43 })
    await service.save({ value, baseHash: loaded.hash })

    expect(readFileSync(file, 'utf8')).toContain('max_open_orders = 43')
    expect(await catConfig(container.id)).toBe(before)
  })
})

const isRoot = process.getuid?.() === 0
// Mounting tmpfs needs root; CI runs as root, so inside npm test a non-root run fails instead of skipping.
requireInSuite(isRoot, 'root (this suite mounts a tiny tmpfs to fill a filesystem and remounts it read-only)')

describe.skipIf(!hasTestDocker() || !isRoot)('config saves on a full or read-only filesystem (root: mounts tmpfs)', () => {
  let mnt: string
  let mounted = false

  beforeAll(() => {
    mnt = mkdtempSync(join(tmpdir(), 'sd-config-tmpfs-'))
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'tmpfs', mnt])
    mounted = true
  })

  afterAll(() => {
    if (mounted) execFileSync('umount', ['-l', mnt])
    rmSync(mnt, { recursive: true, force: true })
  })

  const attempt = async (file: string): Promise<CoreError> => {
    const service = new ConfigService({ configPath: file, schemaPath: SCHEMA, keepBackups: 5 })
    try {
      await service.save({ text: EXAMPLE.replace('max_open_orders = 40', 'max_open_orders = 44'), baseHash: sha256(EXAMPLE) })
    } catch (err) {
      expect(err).toBeInstanceOf(CoreError)
      return err as CoreError
    }
    throw new Error('save unexpectedly succeeded')
  }

  it('ENOSPC: clean io_error, original intact, no temp files left', async () => {
    const file = join(mnt, 'config.toml')
    writeFileSync(file, EXAMPLE)
    // Fill the filesystem to the last byte.
    const filler = join(mnt, 'filler.bin')
    writeFileSync(filler, '')
    try {
      for (;;) writeFileSync(filler, Buffer.alloc(1024), { flag: 'a' })
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC')
    }
    try {
      for (;;) writeFileSync(filler, Buffer.alloc(1), { flag: 'a' })
    } catch {
      /* full */
    }

    const err = await attempt(file)
    expect(err.code).toBe('io_error')
    expect(err.message).toContain(file)
    expect(err.message).toContain('ENOSPC')
    expect(readFileSync(file, 'utf8')).toBe(EXAMPLE)
    expect(readdirSync(mnt).sort()).toEqual(['config.toml', 'filler.bin'])

    // With room again, the same save goes through.
    rmSync(filler)
    const service = new ConfigService({ configPath: file, schemaPath: SCHEMA, keepBackups: 5 })
    await service.save({ text: EXAMPLE.replace('max_open_orders = 40', 'max_open_orders = 44'), baseHash: sha256(EXAMPLE) })
    expect(readFileSync(file, 'utf8')).toContain('max_open_orders = 44')
  })

  it('EROFS: clean io_error on a read-only mount', async () => {
    const ro = join(mnt, 'ro')
    execFileSync('mkdir', [ro])
    const file = join(ro, 'config.toml')
    writeFileSync(file, EXAMPLE)
    execFileSync('mount', ['--bind', ro, ro])
    try {
      execFileSync('mount', ['-o', 'remount,bind,ro', ro])
      const err = await attempt(file)
      expect(err.code).toBe('io_error')
      expect(err.message).toContain('EROFS')
      expect(readFileSync(file, 'utf8')).toBe(EXAMPLE)
      expect(readdirSync(ro)).toEqual(['config.toml'])
    } finally {
      execFileSync('umount', [ro])
    }
  })
})
