/**
 * package.json's electron-builder config, the systemd unit and the runtime autostart entry agree with
 * the package layout check-deb enforces (scripts/deb-layout.mjs), so a change to one that the others
 * do not follow fails here, before anyone builds a .deb.
 */
import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { autostartCommand, autostartEntry } from '../electron/main/autostart'
import { requiredEntries } from './check-deb.mjs'
import {
  APP_BINARY,
  HEADLESS_ENTRY,
  REQUIRED_CONTROL,
  REQUIRED_ENTRIES,
  RESOURCES,
  SYSTEM_NODE,
  SYSTEMD_UNIT,
  UNPACKED,
} from './deb-layout.mjs'

const root = join(import.meta.dirname, '..')
interface BuildConfig {
  asarUnpack: string[]
  npmRebuild: boolean
  linux: { asarUnpack: string[]; icon: string; target: string[] }
  deb: { depends: string[]; recommends: string[]; fpm: string[] }
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string
  productName: string
  allowScripts: Record<string, boolean>
  build: BuildConfig
}
const build = pkg.build

/** electron-builder's asarUnpack globs, for the shapes used here: `**` any depth, `*` one segment. */
const globRe = (g: string) =>
  new RegExp(
    `^${g
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*/g, '\0')
      .replace(/\*/g, '[^/]*')
      .replace(/\0/g, '.*')}$`,
  )

describe('the headless host in the Linux packages', () => {
  it('every file it needs at run time is unpacked from app.asar, where the system Node can read it', () => {
    const globs = [...build.asarUnpack, ...build.linux.asarUnpack].map(globRe)
    const inApp = requiredEntries()
      .filter((e) => e.path.startsWith(`${UNPACKED}/`))
      .map((e) => relative(UNPACKED, e.path))
    expect(inApp).toContain('out/main/server.js')
    expect(inApp.filter((f) => !globs.some((g) => g.test(f)))).toEqual([])
  })

  it('native modules are not rebuilt for Electron: the only ones are optional, and the host runs them under Node', () => {
    // cpu-features and ssh2's binding speed up dockerode's SSH transport and are required inside
    // try/catch; their install scripts are denied (allowScripts), so @electron/rebuild fails on them
    // (cpu-features lacks its generated buildcheck.gypi), and an Electron-ABI build would not load
    // under the system Node that runs the headless host anyway.
    expect(pkg.allowScripts['cpu-features']).toBe(false)
    expect(pkg.allowScripts['ssh2']).toBe(false)
    expect(build.npmRebuild).toBe(false)
  })

  it('the systemd unit runs the unpacked entry with the system Node, and the deb installs it where check-deb looks', () => {
    const unit = readFileSync(join(root, 'resources/stackdeck-headless.service'), 'utf8')
    expect(unit).toMatch(new RegExp(`^ExecStart=${SYSTEM_NODE} ${HEADLESS_ENTRY}$`, 'm'))
    const mapping = build.deb.fpm.find((a) => a.endsWith(`=${SYSTEMD_UNIT}`))
    expect(mapping).toBe(`resources/stackdeck-headless.service=${SYSTEMD_UNIT}`)
  })

  it("the deb's control fields carry what check-deb requires", () => {
    const fields: Record<string, string[]> = {
      Depends: build.deb.depends,
      Recommends: build.deb.recommends,
      Package: [pkg.name],
    }
    for (const { field, includes } of REQUIRED_CONTROL)
      expect(fields[field], field).toEqual(expect.arrayContaining(includes))
  })
})

describe('the desktop entries', () => {
  it('the icon is a PNG of at least 256x256, installed under the executable name the entries use', () => {
    const png = readFileSync(join(root, build.linux.icon))
    expect(png.subarray(1, 4).toString()).toBe('PNG')
    expect(Math.min(png.readUInt32BE(16), png.readUInt32BE(20))).toBeGreaterThanOrEqual(256)
    expect(REQUIRED_ENTRIES.map((e) => e.path)).toContain(`/usr/share/icons/hicolor/*/apps/${pkg.name}.png`)
  })

  it("the autostart entry an installed deb writes starts the package's binary hidden, with the package's icon", () => {
    const entry = autostartEntry(
      autostartCommand({ isPackaged: true, execPath: APP_BINARY, appPath: `${RESOURCES}/app.asar` }),
    )
    expect(entry).toMatch(new RegExp(`^Exec=${APP_BINARY} --hidden$`, 'm'))
    expect(entry).toMatch(new RegExp(`^Icon=${pkg.name}$`, 'm'))
    expect(entry).toMatch(new RegExp(`^Name=${pkg.productName}$`, 'm'))
  })
})
