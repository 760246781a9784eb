/**
 * The desktop door's control API, beneath the Electron binary (which cannot be downloaded here):
 * the desktop core started exactly as electron/main/index.ts starts it (startDesktopCore, the host
 * factory with door "desktop"), driven by the BUILT `stackdeck` CLI as a separate process. Real
 * private Docker engine and Redis when the test environment provides them.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseSettings } from '@core/settings/load-settings'
import { ensureBuilt, runCli } from '../../test-support/api-harness'
import { hostExitOf } from '../../test-support/host-process'
import { testSettings } from '../../test-support/test-settings'
import { EXIT_LOCKED, type Instance } from '../server/instance'
import { desktopApiLines, startDesktopCore } from './desktop-core'

const dirs: string[] = []
const instances: Instance[] = []
afterAll(async () => {
  for (const i of instances) await i.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function settingsFor(extra: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sd-desktop-'))
  dirs.push(dir)
  const raw = testSettings({
    stateDir: join(dir, 'state'),
    config: { path: join(dir, 'config.toml') },
    services: [],
    api: { port: 0 },
    ...extra,
  })
  return { raw, dir, stateDir: join(dir, 'state') }
}

/** As main does it: no STACKDECK_TOKEN in the environment, so the token file in the state directory. */
async function startDesktop(raw: Record<string, unknown>): Promise<Instance> {
  const instance = await startDesktopCore(
    { settings: parseSettings(raw, 'desktop test settings'), source: null },
    { version: '0.0.0-desktop-test', staticDir: null, env: {}, port: 0, log: () => undefined },
  )
  instances.push(instance)
  return instance
}

describe('the desktop app serves the control API', () => {
  it('stackdeck status answers while only the desktop core runs, with the token kept in its state directory', async () => {
    ensureBuilt()
    const { raw, stateDir } = settingsFor()
    const desktop = await startDesktop(raw)
    const host = desktop.host
    expect(host).not.toBeNull()
    if (!host) return
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const tokenFile = join(stateDir, 'api-token')
    expect(host.adminTokenSource).toBe('file')
    expect(host.tokenFile).toBe(tokenFile)
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600)
    expect(desktopApiLines(desktop)).toEqual([
      `Control API on ${host.url} (admin token in ${tokenFile}: export STACKDECK_TOKEN="$(cat ${tokenFile})"); state directory ${stateDir}`,
    ])
    const token = readFileSync(tokenFile, 'utf8').trim()

    const status = await runCli(['status', '--json'], { STACKDECK_URL: host.url, STACKDECK_TOKEN: token })
    expect(status.code, status.stderr).toBe(0)
    const body = JSON.parse(status.stdout) as Record<string, unknown>
    expect(Object.keys(body)).toEqual(expect.arrayContaining(['stack', 'killswitch']))

    // The same token rules as the headless host: no token, no answer.
    const denied = await runCli(['status'], { STACKDECK_URL: host.url })
    expect(denied.code).toBe(4)

    // The desktop holds the state directory's instance lock: a headless host on it starts no core,
    // and names the desktop as the owner.
    const headless = await hostExitOf(raw, null)
    expect(headless.code, headless.output).toBe(EXIT_LOCKED)
    expect(headless.output).toContain(`pid ${process.pid} (desktop, ${host.url}`)
  })

  it('desktop.serveApi = false: the core runs and holds the lock, with no API', async () => {
    const { raw } = settingsFor({ desktop: { serveApi: false } })
    const desktop = await startDesktop(raw)
    expect(desktop.host).toBeNull()
    expect(desktopApiLines(desktop)[0]).toContain('Control API off (desktop.serveApi = false)')
    const headless = await hostExitOf(raw, null)
    expect(headless.code, headless.output).toBe(EXIT_LOCKED)
    expect(headless.output).toContain(`pid ${process.pid} (desktop, since `)
  })
})
