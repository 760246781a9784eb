/**
 * The host factory: what every kind of Stackdeck instance runs, the headless host (server/main.ts)
 * and the desktop app (main/desktop-core.ts) alike. In order:
 *
 * 1. take the instance lock on the state directory (shared/dir-lock.ts), before anything reads or
 *    writes there: the scheduler, supervision, the killswitch fallback and the Save & Restart
 *    journal must have one owner per state directory. A second instance starts no core; it gets an
 *    InstanceLockedError naming the holder (pid, door, URL), and exits with EXIT_LOCKED.
 * 2. build and start the core;
 * 3. serve the control API (unless the caller's door turns it off) and tell the lock its URL, so a
 *    refused starter can print where the owner answers.
 *
 * The lock outlives everything it guards: close() stops the host and the core first, then lets go.
 */
import type { Core } from '@core/wiring/create-core'
import { createCore } from '@core/wiring/create-core'
import { CoreError } from '@core/errors'
import type { LoadedSettings } from '@core/settings/load-settings'
import { stateDirOf } from '@core/settings/state-dir'
import { acquireDirLock, describeHolder, type HeldDirLock, type LockHolder } from '@core/shared/dir-lock'
import { startHost, type Host } from './host'

export const INSTANCE_LOCK_NAME = 'instance'

/**
 * Exit code of an instance that found its state directory owned by another (sysexits EX_TEMPFAIL:
 * try again once the owner is gone). Documented in the README; the systemd unit does not restart on it.
 */
export const EXIT_LOCKED = 75

export type InstanceDoor = 'desktop' | 'headless'

export class InstanceLockedError extends CoreError {
  constructor(
    readonly stateDir: string,
    readonly holder: LockHolder | null,
  ) {
    super(
      'conflict',
      `Another Stackdeck owns the state directory ${stateDir}: ${describeHolder(holder)}. ` +
        'It runs the trading-window scheduler, supervision and the Save & Restart journal for it, so this one did not start. ' +
        `Use that one${holder?.url ? ` (stackdeck --url ${holder.url} status)` : ''}, stop it, or give this instance another stateDir in its settings.`,
      { path: '/stateDir' },
    )
    this.name = 'InstanceLockedError'
  }
}

export interface InstanceOptions {
  loaded: LoadedSettings
  door: InstanceDoor
  version: string
  /** Serve the control API (HTTP/WS). The headless host always does; the desktop app per desktop.serveApi. */
  serveApi: boolean
  /** The renderer build the API serves, or null for the API only. */
  staticDir: string | null
  env?: NodeJS.ProcessEnv
  /** Overrides settings.api.port (0: any free port; tests). */
  port?: number
  log?: (line: string) => void
}

export interface Instance {
  core: Core
  /** null when the API is off. */
  host: Host | null
  stateDir: string
  lock: HeldDirLock
  close(): Promise<void>
}

export async function startInstance(o: InstanceOptions): Promise<Instance> {
  const stateDir = stateDirOf(o.loaded.settings)
  const holder: LockHolder = { pid: process.pid, door: o.door, url: null, startedAt: new Date().toISOString(), stateDir, version: o.version }
  const taken = await acquireDirLock(stateDir, INSTANCE_LOCK_NAME, holder, { create: true })
  if (!taken.acquired) throw new InstanceLockedError(stateDir, taken.holder)
  const { lock } = taken
  let core: Core | null = null
  let host: Host | null = null
  try {
    core = await createCore(o.loaded, {
      version: o.version,
      ...(o.log ? { log: o.log } : {}),
      instance: () => ({ door: o.door, url: lock.holder.url ?? null }),
    })
    await core.start()
    if (o.serveApi) {
      host = await startHost({
        core,
        staticDir: o.staticDir,
        version: o.version,
        ...(o.env ? { env: o.env } : {}),
        ...(o.port !== undefined ? { port: o.port } : {}),
        ...(o.log ? { log: o.log } : {}),
      })
      lock.update({ url: host.url })
    }
  } catch (err) {
    await host?.close().catch(() => undefined)
    await core?.dispose().catch(() => undefined)
    await lock.release()
    throw err
  }
  const started = core
  let closing: Promise<void> | null = null
  return {
    core: started,
    host,
    stateDir,
    lock,
    close() {
      closing ??= (async () => {
        await host?.close().catch(() => undefined)
        await started.dispose().catch(() => undefined)
        await lock.release()
      })()
      return closing
    },
  }
}
