/**
 * Headless host entry (`npm run serve`, and `npm start` where no Electron binary exists).
 * Loads settings, builds the core, serves the renderer build plus the contract over HTTP/WS.
 */
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createCore } from '@core/wiring/create-core'
import { isCoreError } from '@core/errors'
import { loadSettings } from '@core/settings/load-settings'
import pkg from '../../package.json'
import { installCrashPolicy } from './crash-policy'
import { startHost, type Host } from './host'

function rendererDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url))
  const candidates = [
    process.env['STACKDECK_RENDERER_DIR'],
    resolve(here, '../renderer'), // out/main/server.js -> out/renderer
    resolve(here, '../../out/renderer'), // electron/server/main.ts run from source
  ].filter((p): p is string => !!p)
  return candidates.find((p) => existsSync(resolve(p, 'index.html'))) ?? null
}

/** Set once each part is up, so a fatal error can close what exists and nothing else. */
let running: { host?: Host; dispose?: () => Promise<void> } = {}

// Installed before anything starts: an error nothing caught is logged with its stack and, unless
// it belongs to one connection or promise only, ends the process with code 70 (see crash-policy.ts).
installCrashPolicy(process, {
  log: (line) => console.error(line),
  exit: (code) => process.exit(code),
  shutdown: async () => {
    await running.host?.close()
    await running.dispose?.()
  },
})

async function main() {
  const loaded = await loadSettings()
  const core = await createCore(loaded, { version: pkg.version })
  running = { dispose: () => core.dispose() }
  await core.start()
  const staticDir = rendererDir()
  const host = await startHost({ core, staticDir, version: pkg.version })
  running = { ...running, host }
  console.log(`Stackdeck ${pkg.version} headless host on ${host.url} (settings: ${loaded.source ?? 'built-in defaults'})`)
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
    await host.close()
    await core.dispose()
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown('SIGINT'))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
}

main().catch((err: unknown) => {
  if (isCoreError(err)) console.error(`stackdeck: ${err.message}`)
  else console.error('stackdeck: failed to start:', err)
  process.exit(2)
})
