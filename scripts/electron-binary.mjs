// Finds the Electron binary without triggering Electron's lazy download (which needs GitHub).
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** @returns {string | null} the executable path, or null when no binary is installed */
export function electronBinary() {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH
  if (override) {
    const p = join(override, process.platform === 'win32' ? 'electron.exe' : 'electron')
    return existsSync(p) ? p : null
  }
  const pkg = join(root, 'node_modules', 'electron')
  const pathFile = join(pkg, 'path.txt')
  if (!existsSync(pathFile)) return null
  const exe = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim())
  return existsSync(exe) ? exe : null
}
