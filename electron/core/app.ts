/**
 * Composition root: builds the core from settings. Both doors (Electron IPC and the headless
 * host) call `createCore` and then only ever talk to `core.handlers` through a dispatcher.
 */
import type { EventMap, Handlers } from './api/contract'
import { EventHub } from './event-hub'
import { createAppHandlers } from './app/app-handlers'
import { probeDockerEndpoints, probeRedisUrl } from './app/probes'
import type { LoadedSettings } from './settings/load-settings'

export interface Core {
  readonly handlers: Handlers
  readonly hub: EventHub<EventMap>
  readonly loaded: LoadedSettings
  start(): Promise<void>
  dispose(): Promise<void>
}

export interface CoreOptions {
  version: string
}

export async function createCore(loaded: LoadedSettings, opts: CoreOptions): Promise<Core> {
  const { settings } = loaded
  const hub = new EventHub<EventMap>()
  const startedAt = new Date()

  const handlers: Handlers = {
    ...createAppHandlers({
      loaded,
      version: opts.version,
      startedAt,
      probeDocker: () => probeDockerEndpoints(settings.docker.endpoints),
      probeRedis: () => probeRedisUrl(settings.redis.url),
    }),
  }

  return {
    handlers,
    hub,
    loaded,
    async start() {},
    async dispose() {},
  }
}
