/**
 * How the desktop app starts its core: the same host factory as the headless host
 * (server/instance.ts), so the desktop takes the state directory's instance lock and, unless
 * `desktop.serveApi` is false, serves the same control API (loopback, same token rules, the token
 * file in the state directory). `stackdeck status` then reaches the desktop app as it reaches a
 * headless host. Kept apart from index.ts, and free of `electron` imports, so a test starts it
 * exactly as main does where no Electron binary exists.
 */
import type { LoadedSettings } from '@core/settings/load-settings'
import { startInstance, type Instance } from '../server/instance'

export interface DesktopCoreOptions {
  version: string
  /** The renderer build, also served over HTTP so a browser can open the desktop's URL. */
  staticDir: string | null
  env?: NodeJS.ProcessEnv
  /** Overrides settings.api.port (tests: 0). */
  port?: number
  log?: (line: string) => void
}

export function startDesktopCore(loaded: LoadedSettings, o: DesktopCoreOptions): Promise<Instance> {
  return startInstance({
    loaded,
    door: 'desktop',
    version: o.version,
    serveApi: loaded.settings.desktop.serveApi,
    staticDir: o.staticDir,
    ...(o.env ? { env: o.env } : {}),
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.log ? { log: o.log } : {}),
  })
}

/** What the desktop prints at start about its API: where it answers and which token opens it. */
export function desktopApiLines(instance: Pick<Instance, 'host' | 'stateDir'>): string[] {
  const host = instance.host
  if (!host) return ['Control API off (desktop.serveApi = false): only this window drives the core.']
  const token = {
    file: `admin token in ${host.tokenFile}: export STACKDECK_TOKEN="$(cat ${host.tokenFile})"`,
    env: 'admin token from STACKDECK_TOKEN',
    settings: 'admin token from api.token in the settings',
    none: 'no admin token: only the scoped tokens of api.tokens',
  }[host.adminTokenSource]
  return [`Control API on ${host.url} (${token}); state directory ${instance.stateDir}`]
}
