import { userInfo } from 'node:os'
import type { Handler } from '../api/contract'
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
