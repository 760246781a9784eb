#!/usr/bin/env node
// `npm start` used to run a full build every time. This rebuilds only when the build's inputs
// changed: a SHA-256 over the paths and contents of every source file (what git checkout, an editor
// or a `touch` does to mtimes does not matter, only bytes do) is kept in out/.build-stamp.json after a
// build that succeeded, and a later start compares. The hash is taken BEFORE the build, so a file
// saved while it runs makes the next start build again rather than be stamped as built.
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Trees the build reads. */
export const SOURCE_DIRS = ['electron', 'renderer', 'schemas']
/** Files at the root (or elsewhere) the build reads: its config and what it imports, the package, tsconfigs. */
export const SOURCE_FILE = /^(package\.json|package-lock\.json|tsconfig[^/]*\.json|electron\.vite\.config\.[cm]?[jt]s|scripts\/exec-bit-plugin\.ts)$/
/** What a build must have left; any one missing means build, whatever the stamp says. */
export const OUTPUTS = ['out/main/index.js', 'out/main/server.js', 'out/main/cli.js', 'out/preload/index.cjs', 'out/renderer/index.html']
export const STAMP = 'out/.build-stamp.json'

// Tests and their fixtures never reach the bundle: editing one must not cost a build.
const NOT_BUILT = /(\.test\.[cm]?[jt]sx?|\.spec\.[cm]?[jt]sx?)$/
const SKIP_DIRS = new Set(['node_modules', '__fixtures__', 'out', 'dist'])

function walk(root, dir, out) {
  let entries
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true })
  } catch {
    return
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue
    const rel = dir === '' ? e.name : `${dir}/${e.name}`
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) walk(root, rel, out)
    } else if (e.isFile() && !NOT_BUILT.test(e.name)) out.push(rel)
  }
}

/** The build's input files, relative with `/`, sorted so the hash does not depend on readdir order. */
export function sourceFiles(root) {
  const files = []
  for (const d of SOURCE_DIRS) walk(root, d, files)
  for (const f of ['package.json', 'package-lock.json', 'scripts/exec-bit-plugin.ts', ...readdirSync(root)]) {
    if (SOURCE_FILE.test(f) && existsSync(join(root, f)) && !files.includes(f)) files.push(f)
  }
  return files.sort()
}

export function sourceHash(root) {
  const h = createHash('sha256')
  for (const f of sourceFiles(root)) {
    // Length-prefixed, so moving bytes from one file's end to the next file's name changes the hash.
    const bytes = readFileSync(join(root, f))
    h.update(`${f}\0${bytes.length}\0`)
    h.update(bytes)
  }
  return h.digest('hex')
}

/** `{ stale, reason, hash }`: whether a build is needed, and why (for the one line we print). */
export function staleness(root) {
  const hash = sourceHash(root)
  const missing = OUTPUTS.find((f) => !existsSync(join(root, f)))
  if (missing) return { stale: true, reason: `${missing} is missing`, hash }
  let stamp
  try {
    stamp = JSON.parse(readFileSync(join(root, STAMP), 'utf8'))
  } catch {
    return { stale: true, reason: 'no build stamp yet', hash }
  }
  if (stamp?.hash !== hash) return { stale: true, reason: 'sources changed since the last build', hash }
  return { stale: false, reason: 'sources unchanged since the last build', hash }
}

export function writeStamp(root, hash) {
  writeFileSync(join(root, STAMP), `${JSON.stringify({ hash, builtAt: new Date().toISOString() }, null, 2)}\n`)
}

/**
 * Builds when stale (or when `force`). `build` runs the build and returns its exit status; the stamp
 * is written only after a build that exited 0. Returns the exit status (0 when nothing was needed).
 */
export function buildIfStale(root, { force = false, build = defaultBuild, log = console.log } = {}) {
  const s = staleness(root)
  if (!s.stale && !force) {
    log(`[build] up to date (${s.reason}); \`npm run build\` or --rebuild forces one`)
    return 0
  }
  log(`[build] building: ${force ? 'asked to (--rebuild)' : s.reason}`)
  const status = build(root)
  if (status === 0) writeStamp(root, s.hash)
  return status
}

function defaultBuild(root) {
  const r = spawnSync(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  })
  return r.status ?? 1
}

const here = fileURLToPath(import.meta.url)
// Run directly (`node scripts/build-if-stale.mjs [--rebuild]`), not when start.mjs or a test imports it.
if (process.argv[1] && resolve(process.argv[1]) === here) {
  const root = join(dirname(here), '..')
  process.exit(buildIfStale(root, { force: process.argv.includes('--rebuild') }))
}
