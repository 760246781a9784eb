/**
 * check-deb against real .deb files: each test lays out a package tree from deb-layout.mjs (the list
 * the check reads), leaves something out, builds it with `dpkg-deb --build` and checks that.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkDeb, parseControl, parseListing, requiredEntries } from './check-deb.mjs'
import { APP_BINARY, SYSTEMD_UNIT, UNPACKED } from './deb-layout.mjs'

const CHECK = join(import.meta.dirname, 'check-deb.mjs')
const CONTROL = {
  Package: 'stackdeck',
  Version: '0.1.0',
  Architecture: 'amd64',
  Maintainer: 'Stackdeck maintainers <maintainers@stackdeck.dev>',
  Depends: 'libgtk-3-0, libnotify4, libnss3',
  Recommends: 'libappindicator3-1, nodejs (>= 22.12)',
  Description: 'Cockpit for Docker-hosted trading stacks',
}

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stackdeck-deb-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** Builds a .deb holding every required entry except `omit`, with `control` over the defaults. */
function buildDeb(o: { omit?: string[]; control?: Record<string, string | undefined> } = {}): string {
  const tree = join(dir, 'tree')
  for (const { path } of requiredEntries()) {
    if (o.omit?.includes(path)) continue
    const file = join(tree, path.replace('*', '512x512'))
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, 'x')
  }
  // electron-builder's deb also carries symlinks; the listing shows them as `path -> target`.
  symlinkSync('stackdeck', join(tree, dirname(APP_BINARY), 'stackdeck-link'))
  const control = Object.entries({ ...CONTROL, ...o.control })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}\n`)
    .join('')
  mkdirSync(join(tree, 'DEBIAN'))
  writeFileSync(join(tree, 'DEBIAN', 'control'), control)
  const deb = join(dir, 'stackdeck_0.1.0_amd64.deb')
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', tree, deb], { stdio: 'pipe' })
  return deb
}

const cli = (deb: string) => spawnSync(process.execPath, [CHECK, deb], { encoding: 'utf8' })

describe('check-deb on built packages', () => {
  it('a complete package passes, and the command says so with status 0', () => {
    const deb = buildDeb()
    expect(checkDeb(deb)).toEqual([])
    const r = cli(deb)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/complete/)
  })

  it('a package without the systemd unit fails with status 1, naming the unit', () => {
    const deb = buildDeb({ omit: [SYSTEMD_UNIT] })
    expect(checkDeb(deb)).toEqual([`missing the systemd unit: ${SYSTEMD_UNIT}`])
    const r = cli(deb)
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(`missing the systemd unit: ${SYSTEMD_UNIT}`)
  })

  it('names each thing missing: the icon, a runtime package of the headless host, and control fields', () => {
    const deb = buildDeb({
      omit: ['/usr/share/icons/hicolor/*/apps/stackdeck.png', `${UNPACKED}/node_modules/ws/package.json`],
      control: { Recommends: 'libappindicator3-1', Depends: undefined },
    })
    expect(checkDeb(deb)).toEqual([
      'missing the icon: /usr/share/icons/hicolor/*/apps/stackdeck.png',
      `missing the runtime dependency ws: ${UNPACKED}/node_modules/ws/package.json`,
      'missing control field Depends',
      'control field Recommends lacks nodejs (>= 22.12) (is: libappindicator3-1)',
    ])
  })

  it('a file that is not a .deb is an error (status 2), not a pass', () => {
    writeFileSync(join(dir, 'not.deb'), 'text')
    const r = cli(join(dir, 'not.deb'))
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/cannot read/)
  })
})

describe('reading dpkg-deb output', () => {
  it('listing: paths without the leading dot or a trailing slash; a symlink by its own name', () => {
    const listing = [
      'drwxr-xr-x root/root         0 2026-12-03 19:00 ./',
      'drwxr-xr-x root/root         0 2026-12-03 19:00 ./opt/Stackdeck/',
      '-rwxr-xr-x root/root 190000000 2026-12-03 19:00 ./opt/Stackdeck/stackdeck',
      'lrwxrwxrwx root/root         0 2026-12-03 19:00 ./usr/bin/stackdeck -> /opt/Stackdeck/stackdeck',
      '-rw-r--r-- root/root       400 2026-12-03 19:00 ./usr/share/applications/my app.desktop',
    ].join('\n')
    expect([...parseListing(listing)]).toEqual([
      '/',
      '/opt/Stackdeck',
      '/opt/Stackdeck/stackdeck',
      '/usr/bin/stackdeck',
      '/usr/share/applications/my app.desktop',
    ])
  })

  it('control: fields by name, continuation lines joined to their field', () => {
    const c = parseControl(
      'Package: stackdeck\nDescription: Cockpit\n Desktop cockpit for stacks.\nDepends: libnss3\n',
    )
    expect(c.get('Package')).toBe('stackdeck')
    expect(c.get('Description')).toBe('Cockpit\nDesktop cockpit for stacks.')
    expect(c.get('Depends')).toBe('libnss3')
  })
})
