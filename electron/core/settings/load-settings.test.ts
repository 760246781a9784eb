import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadSettings, settingsPathFrom } from './load-settings'
import { SettingsSchema } from './settings-schema'

const tmp = () => mkdtempSync(join(tmpdir(), 'stackdeck-settings-'))

describe('settings', () => {
  it('prefers --settings over the env var over the default', () => {
    expect(settingsPathFrom(['node', 'x', '--settings', '/a.json'], { STACKDECK_SETTINGS: '/b.json' }).path).toBe('/a.json')
    expect(settingsPathFrom(['node', 'x', '--settings=/c.json'], {}).path).toBe('/c.json')
    expect(settingsPathFrom(['node', 'x'], { STACKDECK_SETTINGS: '/b.json' }).path).toBe('/b.json')
    expect(settingsPathFrom(['node', 'x'], {}).explicit).toBe(false)
  })

  it('fills defaults and resolves paths relative to the settings file', async () => {
    const dir = tmp()
    const f = join(dir, 'settings.json')
    writeFileSync(f, JSON.stringify({ config: { path: 'conf/config.toml' } }))
    const { settings, source } = await loadSettings(['--settings', f], {})
    expect(source).toBe(f)
    expect(settings.config.path).toBe(resolve(dir, 'conf/config.toml'))
    expect(settings.api.host).toBe('127.0.0.1')
    expect(settings.redis.patterns).toContain('heartbeat.*')
  })

  it('names the file and the field of an invalid value', async () => {
    const f = join(tmp(), 'settings.json')
    writeFileSync(f, JSON.stringify({ api: { port: 'eighty' } }))
    await expect(loadSettings(['--settings', f], {})).rejects.toThrow(`${f}: /api/port must be integer`)
  })

  it('names an unknown key', async () => {
    const f = join(tmp(), 'settings.json')
    writeFileSync(f, JSON.stringify({ redis: { ulr: 'redis://x' } }))
    await expect(loadSettings(['--settings', f], {})).rejects.toThrow('/redis/ulr is not an allowed property')
  })

  it('gives line and column of a JSON syntax error', async () => {
    const f = join(tmp(), 'settings.json')
    writeFileSync(f, '{\n  "api": {\n    "port": 80,\n  }\n}')
    await expect(loadSettings(['--settings', f], {})).rejects.toThrow(/settings\.json:4:\d+/)
  })

  it('fails when an explicitly named file is missing', async () => {
    await expect(loadSettings(['--settings', '/nonexistent/s.json'], {})).rejects.toThrow('/nonexistent/s.json')
  })

  it('keeps schemas/settings.schema.json in sync with the TypeBox source (run `npm run schemas`)', () => {
    const committed = readFileSync(resolve(import.meta.dirname, '../../../schemas/settings.schema.json'), 'utf8')
    const { $schema: _draft, ...rest } = JSON.parse(committed) as Record<string, unknown>
    expect(rest).toEqual(JSON.parse(JSON.stringify(SettingsSchema)))
  })
})
