import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  binariesMirror,
  builderCacheDir,
  DEFAULT_MIRROR,
  electronDistOf,
  packagingPreflight,
  toolsFor,
} from './package-preflight.mjs'

let home: string
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'stackdeck-preflight-'))
})
afterEach(() => rmSync(home, { recursive: true, force: true }))

/** Puts a tool's archive where electron-builder looks for it before downloading. */
function seed(release: string, file: string) {
  mkdirSync(join(home, '.cache', 'electron-builder', release), { recursive: true })
  writeFileSync(join(home, '.cache', 'electron-builder', release, file), 'archive')
}

/** The preflight on Linux x64 with a stand-in probe; answers the line and the URLs it probed. */
async function preflight(o: {
  binary?: string | null
  env?: NodeJS.ProcessEnv
  probeError?: string | null
  platform?: string
}) {
  const probed: string[] = []
  const line = await packagingPreflight({
    electronBinary: o.binary === undefined ? '/x/node_modules/electron/dist/electron' : o.binary,
    env: o.env ?? {},
    platform: o.platform ?? 'linux',
    arch: 'x64',
    home,
    probe: async (url) => {
      probed.push(url)
      return o.probeError === undefined ? 'ENOTFOUND' : o.probeError
    },
  })
  return { line, probed }
}

describe('packaging preflight', () => {
  it('without the Electron binary: one line naming it and how to provide it, and no network probe', async () => {
    const { line, probed } = await preflight({ binary: null })
    expect(line).toMatch(/^cannot package: the Electron binary is not installed/)
    expect(line).toContain('ELECTRON_MIRROR')
    expect(line).not.toContain('\n')
    expect(probed).toEqual([])
  })

  it('with the binary but no tools cached and the mirror unreachable: names the tools, the mirror and the cache paths', async () => {
    const { line, probed } = await preflight({})
    expect(probed).toEqual([`${DEFAULT_MIRROR}fpm@2.1.4/fpm-1.17.0-ruby-3.4.3-linux-amd64.7z`])
    expect(line).toMatch(
      /must download fpm \(builds the deb\) and the AppImage tools but https:\/\/github\.com\/\S+ is unreachable \(ENOTFOUND\)/,
    )
    expect(line).toContain('ELECTRON_BUILDER_BINARIES_MIRROR')
    expect(line).toContain(join(home, '.cache', 'electron-builder', 'appimage-12.0.1', 'appimage-12.0.1.7z'))
    expect(line).not.toContain('\n')
  })

  it('a reachable mirror is enough', async () => {
    expect((await preflight({ probeError: null })).line).toBeNull()
  })

  it('probes the mirror the environment names, as electron-builder would download from it', async () => {
    const { probed } = await preflight({
      env: { ELECTRON_BUILDER_BINARIES_MIRROR: 'https://mirror.example/eb' },
    })
    expect(probed).toEqual(['https://mirror.example/eb/fpm@2.1.4/fpm-1.17.0-ruby-3.4.3-linux-amd64.7z'])
  })

  it('tools in the cache need no network', async () => {
    seed('fpm@2.1.4', 'fpm-1.17.0-ruby-3.4.3-linux-amd64.7z')
    const half = await preflight({})
    expect(half.line).toMatch(/must download the AppImage tools but/)
    expect(half.line).not.toMatch(/fpm/)
    seed('appimage-12.0.1', 'appimage-12.0.1.7z')
    expect(await preflight({})).toEqual({ line: null, probed: [] })
  })

  it('tools handed over by environment variables need no network', async () => {
    const env = { USE_SYSTEM_FPM: 'true', APPIMAGE_TOOLS_PATH: '/opt/appimage-tools' }
    expect(await preflight({ env })).toEqual({ line: null, probed: [] })
    expect((await preflight({ env: { CUSTOM_FPM_PATH: '/usr/local/bin/fpm' } })).line).toMatch(
      /must download the AppImage tools/,
    )
  })

  it('on macOS and Windows, whose tools it does not list, it probes the mirror itself', async () => {
    const { line, probed } = await preflight({ platform: 'darwin' })
    expect(probed).toEqual([DEFAULT_MIRROR])
    expect(line).toMatch(/must download electron-builder's platform tools but/)
    expect((await preflight({ platform: 'win32', probeError: null })).line).toBeNull()
  })
})

describe('what the preflight reads', () => {
  it("the mirror: electron-builder's variables in its order, a trailing slash added, non-URLs ignored", () => {
    expect(binariesMirror({})).toBe(DEFAULT_MIRROR)
    expect(binariesMirror({ ELECTRON_BUILDER_BINARIES_MIRROR: 'http://m.example/x' })).toBe(
      'http://m.example/x/',
    )
    expect(
      binariesMirror({
        ELECTRON_BUILDER_BINARIES_MIRROR: 'b/',
        npm_config_electron_builder_binaries_mirror: 'https://npm.example/',
      }),
    ).toBe('https://npm.example/')
    expect(binariesMirror({ ELECTRON_BUILDER_BINARIES_MIRROR: 'not a url' })).toBe(DEFAULT_MIRROR)
  })

  it('the cache: ELECTRON_BUILDER_CACHE when absolute, else XDG_CACHE_HOME or ~/.cache on Linux', () => {
    expect(builderCacheDir({ ELECTRON_BUILDER_CACHE: '/srv/ebc' }, 'linux', '/h')).toBe('/srv/ebc')
    expect(builderCacheDir({ ELECTRON_BUILDER_CACHE: 'relative' }, 'linux', '/h')).toBe(
      '/h/.cache/electron-builder',
    )
    expect(builderCacheDir({ XDG_CACHE_HOME: '/xdg' }, 'linux', '/h')).toBe('/xdg/electron-builder')
    expect(builderCacheDir({}, 'darwin', '/h')).toBe('/h/Library/Caches/electron-builder')
  })

  it("fpm's archive follows the machine's architecture", () => {
    expect(toolsFor('linux', 'arm64')[0]?.file).toBe('fpm-1.17.0-ruby-3.4.3-linux-arm64v8.7z')
    expect(toolsFor('darwin', 'arm64')).toEqual([])
  })

  it('electronDist is the directory holding the binary (on macOS, the one holding Electron.app)', () => {
    expect(electronDistOf('/r/node_modules/electron/dist/electron')).toBe('/r/node_modules/electron/dist')
    expect(electronDistOf('/r/node_modules/electron/dist/Electron.app/Contents/MacOS/Electron')).toBe(
      '/r/node_modules/electron/dist',
    )
  })
})
