/**
 * Can `npm run package` run here? Decided before any build, so a machine that cannot package (no
 * Electron binary, electron-builder's tools not downloadable) learns it at once, in one line, instead
 * of after a build and a long electron-builder log. The decisions are pure functions of facts;
 * gatherFacts and probeUrl (at the bottom) read the machine.
 *
 * What electron-builder needs, per platform (app-builder-lib 26, toolsets/linux.js): for the deb, fpm
 * (release `fpm@2.1.4`); for the AppImage, the AppImage tools (release `appimage-12.0.1`, the default
 * FUSE2 toolset). It downloads them from ELECTRON_BUILDER_BINARIES_MIRROR or GitHub into its cache and
 * reuses the archive from there. macOS and Windows need tools this does not enumerate (dmg, NSIS): for
 * them only the mirror's reachability is checked. The Electron zip itself is not downloaded: the package
 * script passes the installed binary's directory as `electronDist`.
 */
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

/** electron-builder's own precedence (app-builder-lib util/electronGet.js getBinariesMirrorUrl). */
const MIRROR_VARS = [
  'NPM_CONFIG_ELECTRON_BUILDER_BINARIES_MIRROR',
  'npm_config_electron_builder_binaries_mirror',
  'npm_package_config_electron_builder_binaries_mirror',
  'ELECTRON_BUILDER_BINARIES_MIRROR',
]
export const DEFAULT_MIRROR =
  'https://github.com/electron-userland/electron-builder-binaries/releases/download/'

/** @param {NodeJS.ProcessEnv} env */
export function binariesMirror(env) {
  for (const name of MIRROR_VARS) {
    const v = env[name]?.trim()
    if (v && /^https?:\/\//.test(v)) return v.endsWith('/') ? v : `${v}/`
  }
  return DEFAULT_MIRROR
}

/** Where electron-builder caches its downloads (electronGet.js getCacheDirectory). */
export function builderCacheDir(env, platform, home) {
  const override = env['ELECTRON_BUILDER_CACHE']?.trim()
  if (override?.startsWith('/') || (platform === 'win32' && override && /^[A-Za-z]:/.test(override)))
    return override
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'electron-builder')
  if (platform === 'win32') return join(env['LOCALAPPDATA'] ?? home, 'electron-builder', 'Cache')
  return env['XDG_CACHE_HOME']?.startsWith('/')
    ? join(env['XDG_CACHE_HOME'], 'electron-builder')
    : join(home, '.cache', 'electron-builder')
}

const FPM_ARCH = { x64: 'amd64', arm64: 'arm64v8', ia32: 'i386' }

/**
 * The tools electron-builder downloads for this platform's targets. `cached`: the archive's path in
 * its cache; `provided`: an environment variable that hands electron-builder the tool instead.
 * @returns {{ name: string, release: string, file: string, provided: (env: NodeJS.ProcessEnv) => boolean }[]}
 */
export function toolsFor(platform, arch) {
  if (platform !== 'linux') return []
  return [
    {
      name: 'fpm (builds the deb)',
      release: 'fpm@2.1.4',
      file: `fpm-1.17.0-ruby-3.4.3-linux-${FPM_ARCH[arch] ?? 'i386'}.7z`,
      provided: (env) => env['USE_SYSTEM_FPM'] === 'true' || !!env['CUSTOM_FPM_PATH'],
    },
    {
      name: 'the AppImage tools',
      release: 'appimage-12.0.1',
      file: 'appimage-12.0.1.7z',
      provided: (env) => !!env['APPIMAGE_TOOLS_PATH'],
    },
  ]
}

/**
 * What is missing, as the one line to print, or null when packaging can run.
 * @param {{
 *   electronBinary: string | null,
 *   missingTools: { name: string, release: string, file: string }[],
 *   mirror: string,
 *   cacheDir: string,
 *   probe: { url: string, error: string | null } | null,
 * }} facts `missingTools`: needed, not provided and not cached; `probe`: the mirror check, made only
 *   when something must be downloaded (null: not made)
 * @returns {string | null}
 */
export function preflightProblem(facts) {
  if (!facts.electronBinary)
    return (
      'cannot package: the Electron binary is not installed (node_modules/electron/dist); ' +
      'run `node node_modules/electron/install.js` with ELECTRON_MIRROR set to a reachable Electron mirror, ' +
      'or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron of the version in package.json'
    )
  if (facts.probe?.error == null) return null
  const what =
    facts.missingTools.length > 0
      ? facts.missingTools.map((t) => t.name).join(' and ')
      : "electron-builder's platform tools"
  const seed = facts.missingTools.map((t) => join(facts.cacheDir, t.release, t.file)).join(', ')
  return (
    `cannot package: electron-builder must download ${what} but ${facts.probe.url} is unreachable (${facts.probe.error}); ` +
    `set ELECTRON_BUILDER_BINARIES_MIRROR to a reachable mirror` +
    (seed ? `, or put the archives in its cache (${seed})` : '')
  )
}

/** The URL to probe: the first missing tool's archive on the mirror, or the mirror itself. */
export function probeTarget(mirror, missingTools) {
  const t = missingTools[0]
  return t ? `${mirror}${t.release}/${t.file}` : mirror
}

/**
 * Whether the mirror must be probed: a tool is neither provided nor cached, or (macOS, Windows) this
 * script does not know the tools and cannot tell from the cache.
 */
export function needsProbe(platform, missingTools) {
  return platform !== 'linux' || missingTools.length > 0
}

/**
 * The machine's side: the Electron binary, the environment, the cache.
 * @param {{ electronBinary: string | null, env?: NodeJS.ProcessEnv, platform?: string, arch?: string, home?: string }} o
 */
export function gatherFacts(o) {
  const env = o.env ?? process.env
  const platform = o.platform ?? process.platform
  const cacheDir = builderCacheDir(env, platform, o.home ?? homedir())
  const missingTools = toolsFor(platform, o.arch ?? process.arch).filter(
    (t) => !t.provided(env) && !existsSync(join(cacheDir, t.release, t.file)),
  )
  return { electronBinary: o.electronBinary, missingTools, mirror: binariesMirror(env), cacheDir, platform }
}

/**
 * A HEAD request that follows redirects, with a short timeout: a blocked network answers fast with
 * an error, a filtering one may not answer at all.
 * @returns {Promise<string | null>} null when reachable, else why not
 */
export async function probeUrl(url, timeoutMs = 3000) {
  try {
    const res = await fetch(url, {
      method: 'HEAD',
      redirect: 'follow',
      signal: AbortSignal.timeout(timeoutMs),
    })
    return res.ok ? null : `HTTP ${res.status}`
  } catch (err) {
    const e = /** @type {Error & { cause?: { code?: string } }} */ (err)
    return e.cause?.code ?? (e.name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : e.message)
  }
}

/**
 * The whole preflight: null when packaging can run, else the one line saying why not.
 * @param {{ electronBinary: string | null, env?: NodeJS.ProcessEnv, platform?: string, arch?: string, home?: string, probe?: typeof probeUrl }} o
 */
export async function packagingPreflight(o) {
  const facts = gatherFacts(o)
  // Local facts first: a missing binary is reported without touching the network.
  if (!facts.electronBinary || !needsProbe(facts.platform, facts.missingTools))
    return preflightProblem({ ...facts, probe: null })
  const url = probeTarget(facts.mirror, facts.missingTools)
  const error = await (o.probe ?? probeUrl)(url)
  return preflightProblem({ ...facts, probe: { url, error } })
}

/** The directory to hand electron-builder as `electronDist`: the installed binary's. */
export const electronDistOf = (binary) =>
  binary.includes('.app/Contents/MacOS/')
    ? binary.replace(/\/[^/]+\.app\/Contents\/MacOS\/.*$/, '')
    : dirname(binary)
