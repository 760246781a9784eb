#!/usr/bin/env node
/**
 * `npm run package`: the preflight (package-preflight.mjs), then `electron-vite build`, then
 * electron-builder for this platform's targets (package.json `build`), into dist/.
 * `--preflight`: only the check; prints nothing and exits 0 when packaging can run (package-check.sh).
 * Exit 1 with one line on stderr when packaging cannot run here; otherwise the tools' exit status.
 */
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { electronBinary } from './electron-binary.mjs'
import { electronDistOf, packagingPreflight } from './package-preflight.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const PLATFORM_FLAG = { linux: '--linux', darwin: '--mac', win32: '--win' }

const binary = electronBinary()
const problem = await packagingPreflight({ electronBinary: binary })
if (problem) {
  console.error(`[package] ${problem}`)
  process.exit(1)
}
if (process.argv.includes('--preflight')) process.exit(0)

const flag = PLATFORM_FLAG[process.platform]
if (!flag) {
  console.error(
    `[package] cannot package on ${process.platform}: electron-builder targets linux, darwin and win32`,
  )
  process.exit(1)
}

/** Runs a tool from node_modules/.bin; its output goes straight to the terminal. */
function run(tool, args) {
  const bin = join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${tool}.cmd` : tool)
  const r = spawnSync(bin, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' })
  if (r.error) console.error(`[package] ${tool}: ${r.error.message}`)
  return r.status ?? 1
}

const built = run('electron-vite', ['build'])
if (built !== 0) process.exit(built)
// electronDist: package the Electron the preflight found, so electron-builder does not download its zip.
process.exit(
  run('electron-builder', [
    flag,
    '--publish',
    'never',
    `-c.electronDist=${electronDistOf(/** @type {string} */ (binary))}`,
  ]),
)
