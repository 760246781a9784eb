#!/usr/bin/env node
/**
 * `node scripts/check-deb.mjs <file.deb>`: checks a built Stackdeck .deb holds what scripts/deb-layout.mjs
 * says it must (the app, its .desktop file and icon, the headless host with its runtime packages, the
 * systemd unit) and has the control fields it needs. Reads the package with `dpkg-deb`, so it checks
 * the artifact itself, not electron-builder's config. Prints each missing thing; exits 1 if any is.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { dependencyEntries, REQUIRED_CONTROL, REQUIRED_ENTRIES } from './deb-layout.mjs'

/**
 * The paths in `dpkg-deb -c` output, without the leading `.` and a directory's trailing `/`
 * (`drwxr-xr-x root/root 0 2026-12-03 19:00 ./opt/Stackdeck/` is `/opt/Stackdeck`).
 * @param {string} listing
 * @returns {Set<string>}
 */
export function parseListing(listing) {
  const paths = new Set()
  for (const line of listing.split('\n')) {
    const m = /^(\S)\S*\s+\S+\s+\d+\s+\S+\s+\S+\s+\.(\/.*)$/.exec(line)
    if (!m) continue
    let path = m[2]
    if (m[1] === 'l') path = path.replace(/ -> .*$/, '')
    paths.add(path.length > 1 ? path.replace(/\/$/, '') : path)
  }
  return paths
}

/**
 * `dpkg-deb -f` output (RFC 822 style; continuation lines start with a space) as field -> value.
 * @param {string} text
 * @returns {Map<string, string>}
 */
export function parseControl(text) {
  const fields = new Map()
  let last = null
  for (const line of text.split('\n')) {
    if (/^\s/.test(line) && last) fields.set(last, `${fields.get(last)}\n${line.trim()}`)
    else {
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line)
      if (m) fields.set((last = m[1]), m[2])
    }
  }
  return fields
}

/** @param {string} pattern a REQUIRED_ENTRIES path; `*` is one path segment */
function matcher(pattern) {
  const re = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]+')
  return new RegExp(`^${re}$`)
}

/**
 * What the package lacks, one line each; empty when it is complete.
 * @param {Set<string>} paths from parseListing
 * @param {Map<string, string>} control from parseControl
 * @param {{ what: string, path: string }[]} entries
 * @param {ReadonlyArray<{ field: string, includes: string[] }>} [controlRules]
 * @returns {string[]}
 */
export function debProblems(paths, control, entries, controlRules = REQUIRED_CONTROL) {
  const problems = []
  const all = [...paths]
  for (const { what, path } of entries) {
    const re = matcher(path)
    if (!all.some((p) => re.test(p))) problems.push(`missing ${what}: ${path}`)
  }
  for (const { field, includes } of controlRules) {
    const value = control.get(field)
    if (value === undefined) {
      problems.push(`missing control field ${field}`)
      continue
    }
    for (const s of includes)
      if (!value.includes(s)) problems.push(`control field ${field} lacks ${s} (is: ${value})`)
  }
  return problems
}

/** Every entry a Stackdeck .deb must hold: the fixed list and one per runtime dependency in package.json. */
export function requiredEntries(root = join(dirname(fileURLToPath(import.meta.url)), '..')) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  return [...REQUIRED_ENTRIES, ...dependencyEntries(pkg.dependencies ?? {})]
}

/** @param {string} deb @returns {string[]} */
export function checkDeb(deb, entries = requiredEntries()) {
  const dpkg = (/** @type {string} */ flag) =>
    execFileSync('dpkg-deb', [flag, deb], { encoding: 'utf8', maxBuffer: 256 << 20 })
  return debProblems(parseListing(dpkg('-c')), parseControl(dpkg('-f')), entries)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const deb = process.argv[2]
  if (!deb) {
    console.error('usage: node scripts/check-deb.mjs <file.deb>')
    process.exit(2)
  }
  let problems
  try {
    problems = checkDeb(deb)
  } catch (err) {
    console.error(
      `[check-deb] cannot read ${deb}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    )
    process.exit(2)
  }
  for (const p of problems) console.error(`[check-deb] ${deb}: ${p}`)
  if (problems.length > 0) process.exit(1)
  console.log(
    `[check-deb] ${deb}: complete (${requiredEntries().length} entries, ${REQUIRED_CONTROL.length} control fields)`,
  )
}
