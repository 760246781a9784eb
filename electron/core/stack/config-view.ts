import { posix } from 'node:path'

/**
 * How one container sees Stackdeck's config.toml, decided from its `docker inspect` Mounts alone (pure,
 * no I/O: the caller resolves real paths on this machine and passes them in).
 *
 * Why it matters: Stackdeck saves durably (temp file, fsync, rename over the old file). The rename gives
 * the host path a NEW inode. A bind mount of the config's directory looks the name up again on every
 * open, so the container sees the new file at once; a bind mount of the single file pins the inode it was
 * started with, so the container goes on reading the OLD file until it is recreated.
 */

export const CONFIG_VIEW_KINDS = ['directory', 'file', 'volume', 'none', 'unknown'] as const
/**
 * - directory: a bind mount of the config's directory or an ancestor: sees every save at once;
 * - file: a bind mount of config.toml itself: keeps the old inode after a save;
 * - volume: no bind shows the config, but the container mounts volumes: Stackdeck cannot know what
 *   they hold (a local volume may itself be a bind of a host directory; inspect does not say);
 * - none: nothing mounted shows the config;
 * - unknown: the engine could not be asked (see `reason`).
 */
export type ConfigViewKind = (typeof CONFIG_VIEW_KINDS)[number]

/** The part of one `docker inspect` Mounts entry this module reads. */
export interface InspectMount {
  Type?: string
  Name?: string
  Source?: string
  Destination?: string
  RW?: boolean
  Driver?: string
}

export interface ConfigMount {
  type: 'bind' | 'volume'
  /** Host path as the engine reports it: a path on the ENGINE's host, which may not be this machine. */
  source: string
  destination: string
  rw: boolean
  /** Volume name (volumes only). */
  name?: string
}

/** One place inside the container where the config file shows up. */
export interface ConfigSighting {
  kind: 'directory' | 'file'
  /** Where the container sees config.toml, e.g. /config/config.toml. */
  containerPath: string
  mount: ConfigMount
  /**
   * realpath: the mount's source resolves (on this machine) to the config's real file or an ancestor
   * of it; path: only the spelled paths match (remote engine, or a source this machine cannot resolve).
   */
  matchedBy: 'realpath' | 'path'
}

export interface ConfigView {
  kind: ConfigViewKind
  /** directory/file: where the container sees the config (the sighting that decided `kind`). */
  containerPath: string | null
  /** directory/file: the mount that shows it. */
  mount: ConfigMount | null
  /** Every place the container sees the config; a `file` sighting first, as it decides the refusal. */
  sightings: ConfigSighting[]
  /** Volumes the container mounts; their content cannot be judged from inspect. */
  volumes: ConfigMount[]
  /**
   * The mounts' sources are paths on the machine Stackdeck runs on (local engine). False: they are
   * paths on the engine's host, so even a match by path does not make it the same file.
   */
  sameHost: boolean
  /** unknown: why the engine could not be asked; null otherwise. */
  reason: string | null
  /** Human notes: shadowed mounts, symlinks, a remote engine… */
  notes: string[]
}

export interface ClassifyInput {
  /** settings `config.path` (absolute) as written. */
  configPath: string
  /** realpath of configPath on this machine; null when it cannot be resolved. */
  configRealPath: string | null
  mounts: readonly InspectMount[]
  /** The engine runs on this machine, so a mount's Source names a file Stackdeck can see. */
  local: boolean
  /** realpath on this machine of each bind Source (keyed by the Source as reported); local engines only. */
  realSources?: Readonly<Record<string, string | null>>
  /** Endpoint id, for the notes. */
  endpoint?: string
}

/** Absolute POSIX path without trailing slashes or dot segments; null for anything else. */
export function normalizeAbs(p: string | undefined): string | null {
  if (!p || !p.startsWith('/')) return null
  const n = posix.normalize(p)
  return n.length > 1 ? n.replace(/\/+$/, '') : n
}

/** `child` is `parent` or lies below it. */
export function isUnder(child: string, parent: string): boolean {
  return parent === '/' ? child.startsWith('/') : child === parent || child.startsWith(`${parent}/`)
}

export function unknownView(reason: string, sameHost = false): ConfigView {
  return {
    kind: 'unknown',
    containerPath: null,
    mount: null,
    sightings: [],
    volumes: [],
    sameHost,
    reason,
    notes: [],
  }
}

function toMount(m: InspectMount, source: string, destination: string): ConfigMount {
  const type = m.Type === 'volume' ? 'volume' : 'bind'
  return {
    type,
    source,
    destination,
    rw: m.RW !== false,
    ...(type === 'volume' && m.Name ? { name: m.Name } : {}),
  }
}

/** Where host file `file` appears inside the container through a bind of `source` at `destination`. */
function sightingThrough(
  file: string,
  source: string,
  destination: string,
): { kind: 'file' | 'directory'; containerPath: string } | null {
  if (file === source) return { kind: 'file', containerPath: destination }
  if (!isUnder(file, source)) return null
  return { kind: 'directory', containerPath: posix.join(destination, posix.relative(source, file)) }
}

export function classifyConfigView(input: ClassifyInput): ConfigView {
  const notes: string[] = []
  const given = normalizeAbs(input.configPath)
  const real = normalizeAbs(input.configRealPath ?? undefined)
  const where = input.endpoint ? `endpoint ${input.endpoint}` : 'the engine'

  // Every mount with a usable destination: binds may show the config; any mount may hide a bind below it.
  const all = input.mounts
    .map((m) => ({ m, dest: normalizeAbs(m.Destination) }))
    .filter((x): x is { m: InspectMount; dest: string } => x.dest !== null)
  const volumes = all.filter((x) => x.m.Type === 'volume').map((x) => toMount(x.m, x.m.Source ?? '', x.dest))

  const found: ConfigSighting[] = []
  for (const { m, dest } of all) {
    if (m.Type !== 'bind') continue
    const source = normalizeAbs(m.Source)
    if (source === null) continue
    const realSource = input.local ? normalizeAbs(input.realSources?.[m.Source ?? ''] ?? undefined) : null
    // On a local engine the kernel resolved the source's symlinks when it mounted it, and the writer
    // renames over the REAL file: compare real paths. Spelled paths are the fallback (remote engine,
    // unresolvable source), and only an approximation.
    let hit = realSource !== null && real !== null ? sightingThrough(real, realSource, dest) : null
    const matchedBy: ConfigSighting['matchedBy'] = hit ? 'realpath' : 'path'
    for (const file of [real, given]) {
      if (file !== null && !hit) hit = sightingThrough(file, source, dest)
    }
    if (!hit) continue
    found.push({
      kind: hit.kind,
      containerPath: hit.containerPath,
      mount: toMount(m, m.Source ?? source, dest),
      matchedBy,
    })
  }

  // The engine mounts parents before children, so at any container path the mount with the deepest
  // destination covering it wins. A sighting under a deeper, unrelated mount is hidden by it.
  const visible = found.filter((s) => {
    const hider = all
      .filter(
        (x) =>
          x.dest !== s.mount.destination &&
          isUnder(s.containerPath, x.dest) &&
          isUnder(x.dest, s.mount.destination),
      )
      .sort((a, b) => b.dest.length - a.dest.length)[0]
    if (!hider) return true
    const shows = found.some(
      (o) => o !== s && o.mount.destination === hider.dest && o.containerPath === s.containerPath,
    )
    if (!shows) {
      notes.push(
        `${s.mount.source} is mounted at ${s.mount.destination}, but the ${hider.m.Type ?? 'unknown'} mount at ${hider.dest} hides ${s.containerPath}`,
      )
    }
    return false
  })
  visible.sort((a, b) =>
    a.kind === b.kind ? a.containerPath.localeCompare(b.containerPath) : a.kind === 'file' ? -1 : 1,
  )

  if (given !== null && real !== null && given !== real && visible.some((s) => s.matchedBy === 'path')) {
    notes.push(
      `config.path ${given} is a symlink to ${real}; a container that sees the link resolves it inside its own filesystem`,
    )
  }
  if (!input.local) {
    notes.push(
      visible.length > 0
        ? `${where} is not local: mount sources are paths on the engine's host, so a match by path does not prove it is the file Stackdeck writes (read it through the archive API)`
        : `${where} is not local: Stackdeck's config.path is on this machine, and a container there sees it only through a filesystem shared at the same path`,
    )
  }

  const first = visible[0]
  const kind: ConfigViewKind = first ? first.kind : volumes.length > 0 ? 'volume' : 'none'
  return {
    kind,
    containerPath: first?.containerPath ?? null,
    mount: first?.mount ?? null,
    sightings: visible,
    volumes,
    sameHost: input.local,
    reason: null,
    notes,
  }
}
