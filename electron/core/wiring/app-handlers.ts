import { hostname, userInfo } from 'node:os'
import type { Handler } from '../api/contract'
import type { AppInfoT } from '../api/contract/app'
import type { LoadedSettings } from '../settings/load-settings'
import { redactSettings } from './redact'

export interface Probe {
  ok: boolean
  detail: string
}

export interface AppHandlerDeps {
  loaded: LoadedSettings
  version: string
  startedAt: Date
  probeDocker: () => Promise<Probe>
  probeRedis: () => Promise<Probe>
  stateDir: string
  /** Which kind of instance runs this core, and its API's URL once it listens (server/instance.ts). */
  instance?: () => { door?: unknown; url?: unknown }
}

function instanceOf(deps: AppHandlerDeps): AppInfoT['instance'] {
  const i = deps.instance?.() ?? {}
  const kind = i.door === 'desktop' || i.door === 'headless' ? i.door : 'embedded'
  return { kind, url: typeof i.url === 'string' ? i.url : null, hostname: hostname(), stateDir: deps.stateDir }
}

export function osUser(): string {
  try {
    return userInfo().username
  } catch {
    return process.env['USER'] ?? 'unknown'
  }
}

export function createAppHandlers(deps: AppHandlerDeps): {
  'app.info': Handler<'app.info'>
  'app.health': Handler<'app.health'>
  'settings.get': Handler<'settings.get'>
} {
  const uptimeS = () => Math.round((Date.now() - deps.startedAt.getTime()) / 100) / 10
  return {
    'app.info': async (_input, ctx) => ({
      name: 'Stackdeck',
      version: deps.version,
      platform: `${process.platform}-${process.arch}`,
      node: process.versions.node,
      pid: process.pid,
      startedAt: deps.startedAt.toISOString(),
      uptimeS: uptimeS(),
      settingsSource: deps.loaded.source,
      who: ctx.who,
      instance: instanceOf(deps),
    }),
    'app.health': async () => {
      const [docker, redis] = await Promise.all([deps.probeDocker(), deps.probeRedis()])
      return {
        status: docker.ok && redis.ok ? 'ok' : 'degraded',
        version: deps.version,
        uptimeS: uptimeS(),
        docker,
        redis,
      }
    },
    'settings.get': async () => ({ source: deps.loaded.source, settings: redactSettings(deps.loaded.settings) }),
  }
}
