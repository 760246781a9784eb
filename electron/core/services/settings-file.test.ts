import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CoreError } from '../errors'
import { SETTINGS_BACKUPS_KEPT, SettingsFile } from './settings-file'

describe('SettingsFile: the durable write of the settings', () => {
  let dir: string
  let path: string
  const at = new Date('2026-03-01T10:20:30Z')
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sd-settings-'))
    path = join(dir, 'settings.json')
    await writeFile(path, '{"services": []}\n')
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('backs up the bytes it replaces, never overwriting an earlier backup of the same second', async () => {
    const f = new SettingsFile(path, null, () => at)
    await f.read()
    const first = await f.write({ services: [{ name: 'a' }] })
    const second = await f.write({ services: [{ name: 'b' }] })
    expect(first.backup).toBe('settings.json.bak.20260301_102030')
    expect(second.backup).toBe('settings.json.bak.20260301_102030.1')
    expect(await readFile(join(dir, first.backup), 'utf8')).toBe('{"services": []}\n')
    expect(JSON.parse(await readFile(join(dir, second.backup), 'utf8'))).toEqual({ services: [{ name: 'a' }] })
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ services: [{ name: 'b' }] })
    // No temp file is left behind.
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([])
  })

  it('keeps the newest backups and deletes the older ones, never the one it just made', async () => {
    let t = Date.parse('2026-03-01T10:00:00Z')
    const f = new SettingsFile(path, null, () => new Date((t += 1000)))
    await f.read()
    const made: string[] = []
    for (let i = 0; i < SETTINGS_BACKUPS_KEPT + 5; i++) made.push((await f.write({ services: [{ name: `s${i}` }] })).backup)
    const left = (await readdir(dir)).filter((n) => n.startsWith('settings.json.bak.')).sort()
    expect(left).toEqual(made.slice(-SETTINGS_BACKUPS_KEPT).sort())
    // The newest backup holds the file as it was before the last write.
    expect(JSON.parse(await readFile(join(dir, made.at(-1) as string), 'utf8'))).toEqual({ services: [{ name: `s${SETTINGS_BACKUPS_KEPT + 3}` }] })
  })

  it('refuses to write over an outside edit, and leaves it as it is', async () => {
    const f = new SettingsFile(path)
    await f.read()
    await writeFile(path, '{"services": [], "edited": "by hand"}\n')
    const err = await f.write({ services: [] }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CoreError)
    expect((err as CoreError).code).toBe('conflict')
    expect(await readFile(path, 'utf8')).toBe('{"services": [], "edited": "by hand"}\n')
    expect((await readdir(dir)).filter((n) => n.includes('.bak.'))).toEqual([])
    // A later read reports it too, before anything is built on it.
    await expect(f.read()).rejects.toMatchObject({ code: 'conflict' })
  })

  it('checks against the hash the settings were loaded with', async () => {
    const f = new SettingsFile(path, 'f'.repeat(64))
    await expect(f.read()).rejects.toMatchObject({ code: 'conflict' })
  })
})
