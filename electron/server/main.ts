/**
 * Headless host entry (`npm run serve`, and `npm start` where no Electron binary exists).
 * Loads settings, then the host factory (instance.ts): the state directory's lock, the core, and the
 * renderer build plus the contract over HTTP/WS. Exit codes: 2 cannot start, 70 crashed (crash-policy.ts),
 * 75 another instance owns the state directory (EXIT_LOCKED).
 */
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isCoreError } from '@core/errors'
import { loadSettings } from '@core/settings/load-settings'
import pkg from '../../package.json'
import { installCrashPolicy } from './crash-policy'
import type { Host } from './host'
import { EXIT_LOCKED, InstanceLockedError, startInstance, type Instance } from './instance'

function rendererDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url))
  const candidates = [
    process.env['STACKDECK_RENDERER_DIR'],
    resolve(here, '../renderer'), // out/main/server.js -> out/renderer
    resolve(here, '../../out/renderer'), // electron/server/main.ts run from source
  ].filter((p): p is string => !!p)
  return candidates.find((p) => existsSync(resolve(p, 'index.html'))) ?? null
}

/** Set once the instance is up, so a fatal error can close what exists and nothing else. */
let running: Instance | null = null

// Installed before anything starts: an error nothing caught is logged with its stack and, unless
// it belongs to one connection or promise only, ends the process with code 70 (see crash-policy.ts).
installCrashPolicy(process, {
  log: (line) => console.error(line),
  exit: (code) => process.exit(code),
  shutdown: async () => {
    await running?.close()
  },
})

async function main() {
  const loaded = await loadSettings()
  const staticDir = rendererDir()
  // The host factory takes the state directory's instance lock first: a second instance on it
  // starts no core and exits with EXIT_LOCKED (below), naming the owner.
  const instance = await startInstance({ loaded, door: 'headless', version: pkg.version, serveApi: true, staticDir })
  running = instance
  const host = instance.host as Host
  console.log(`Stackdeck ${pkg.version} headless host on ${host.url} (settings: ${loaded.source ?? 'built-in defaults'})`)
  console.log(`State directory ${instance.stateDir} (owned by this process, pid ${process.pid})`)
  if (!staticDir) console.log('No renderer build found; run `npm run build` to serve the UI. The API is up.')
  if (host.adminToken) {
    // The token travels in the fragment, which browsers never send to a server or log.
    console.log(`Open: ${host.url}/#token=${host.adminToken}`)
    if (host.adminTokenSource === 'file')
      console.log(
        `(${host.tokenCreated ? 'made a new' : 'reused the'} admin token kept in ${host.tokenFile}; ` +
          '`stackdeck token rotate` replaces it, STACKDECK_TOKEN overrides it)',
      )
  }
  let closing = false
  const shutdown = async (sig: string) => {
    if (closing) return
    closing = true
    console.log(`${sig}: shutting down`)
    await instance.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown('SIGINT'))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
}

main().catch((err: unknown) => {
  if (err instanceof InstanceLockedError) {
    console.error(`stackdeck: ${err.message}`)
    process.exit(EXIT_LOCKED)
  }
  if (isCoreError(err)) console.error(`stackdeck: ${err.message}`)
  else console.error('stackdeck: failed to start:', err)
  process.exit(2)
})
