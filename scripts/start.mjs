#!/usr/bin/env node
// `npm start`: build (when a source changed), then the desktop app when an Electron binary and a display exist, otherwise the
// headless host. `npm run serve` (--headless) always starts the headless host.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildIfStale } from './build-if-stale.mjs'
import { electronBinary } from './electron-binary.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const headless = args.includes('--headless')
const passThrough = args.filter((a) => a !== '--headless' && a !== '--rebuild')

// Only when a source changed since the last build (see build-if-stale.mjs); --rebuild forces one.
const built = buildIfStale(root, { force: args.includes('--rebuild') })
if (built !== 0) process.exit(built)

const exe = headless ? null : electronBinary()
const hasDisplay = process.platform !== 'linux' || !!(process.env.DISPLAY || process.env.WAYLAND_DISPLAY)
let child
if (exe && hasDisplay) {
  child = spawn(exe, [join(root, 'out/main/index.js'), ...passThrough], { cwd: root, stdio: 'inherit' })
} else {
  if (!headless) {
    console.log(
      exe
        ? 'No display found: starting the headless host instead; open the URL below in a browser.'
        : 'Electron binary not installed (its download needs GitHub): starting the headless host instead; open the URL below in a browser.',
    )
  }
  child = spawn(process.execPath, [join(root, 'out/main/server.js'), ...passThrough], { cwd: root, stdio: 'inherit' })
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
