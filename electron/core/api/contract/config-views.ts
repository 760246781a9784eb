import { Type, type Static } from 'typebox'

/**
 * How each stack container sees config.toml. Stackdeck's durable save renames a new
 * file over the old one; a container that bind-mounts the single FILE keeps the old inode and goes
 * on reading the old config. This report says, per container, which kind of mount shows the config,
 * the compose change that fixes a single-file mount, and optionally the bytes the container sees.
 */

export const CONFIG_VIEW_KIND_VALUES = ['directory', 'file', 'volume', 'none', 'unknown'] as const

const ConfigMountT = Type.Object({
  type: Type.Union([Type.Literal('bind'), Type.Literal('volume')]),
  source: Type.String({ description: "Host path as the engine reports it (a path on the engine's host)." }),
  destination: Type.String(),
  rw: Type.Boolean(),
  name: Type.Optional(Type.String({ description: 'Volume name (volumes only).' })),
})

export const ConfigViewT = Type.Object({
  kind: Type.Enum(CONFIG_VIEW_KIND_VALUES, {
    description:
      'directory: a bind of the config directory (sees every save); file: a bind of config.toml itself (keeps the OLD file after a save); volume: only volumes, content unknown; none: the config is not mounted; unknown: the engine could not be asked.',
  }),
  containerPath: Type.Union([Type.String(), Type.Null()], { description: 'Where the container sees config.toml.' }),
  mount: Type.Union([ConfigMountT, Type.Null()]),
  sightings: Type.Array(
    Type.Object({
      kind: Type.Union([Type.Literal('directory'), Type.Literal('file')]),
      containerPath: Type.String(),
      mount: ConfigMountT,
      matchedBy: Type.Union([Type.Literal('realpath'), Type.Literal('path')]),
    }),
  ),
  volumes: Type.Array(ConfigMountT),
  sameHost: Type.Boolean({ description: 'The engine runs on this machine, so mount sources are paths here.' }),
  reason: Type.Union([Type.String(), Type.Null()], { description: 'unknown: why.' }),
  notes: Type.Array(Type.String()),
})

export const FileMountRefusalT = Type.Object({
  summary: Type.String(),
  why: Type.String(),
  fix: Type.Object({
    replace: Type.String({ description: 'The compose volumes line to replace.' }),
    with: Type.String({ description: 'Its replacement: mount the directory.' }),
  }),
  containerPathAfter: Type.String(),
  caveats: Type.Array(Type.String()),
  text: Type.String({ description: 'All of the above as one block, for the UI, the CLI and logs.' }),
})

const Sha = Type.String({ pattern: '^[a-f0-9]{64}$' })

export const ContainerConfigViewT = Type.Object({
  id: Type.String(),
  name: Type.String(),
  endpoint: Type.String(),
  service: Type.Union([Type.String(), Type.Null()]),
  state: Type.Union([Type.String(), Type.Null()], { description: 'Container state at inspect time.' }),
  view: ConfigViewT,
  refusal: Type.Union([FileMountRefusalT, Type.Null()], {
    description: 'kind file: why Save & Restart refuses, and the one-line compose change that fixes it.',
  }),
  file: Type.Union([
    Type.Object({
      path: Type.String(),
      resolvedPath: Type.String(),
      size: Type.Integer({ minimum: 0 }),
      sha256: Sha,
      matchesHost: Type.Union([Type.Boolean(), Type.Null()]),
      provesContainerView: Type.Boolean({
        description: 'False for a single-file mount: the archive API shows the host file now, not the inode the container pinned.',
      }),
    }),
    Type.Null(),
  ], { description: 'The file read through the engine archive API (readFiles).' }),
  fileError: Type.Union([Type.String(), Type.Null()]),
  inside: Type.Union([
    Type.Object({
      path: Type.String(),
      size: Type.Integer({ minimum: 0 }),
      sha256: Sha,
      matchesHost: Type.Union([Type.Boolean(), Type.Null()]),
    }),
    Type.Null(),
  ], { description: 'The bytes the container processes read (exec cat), for single-file mounts.' }),
  insideError: Type.Union([Type.String(), Type.Null()]),
})

export const ConfigViewsReportT = Type.Object({
  at: Type.String(),
  configPath: Type.String(),
  realPath: Type.Union([Type.String(), Type.Null()]),
  hostSha256: Type.Union([Sha, Type.Null()]),
  /** What Save & Restart does with a single-file mount (settings config.singleFileMounts). */
  singleFileMounts: Type.Union([Type.Literal('refuse'), Type.Literal('write-in-place')]),
  containers: Type.Array(ContainerConfigViewT),
})
export type ConfigViewsReport = Static<typeof ConfigViewsReportT>

export const ConfigViewsInput = Type.Object(
  {
    readFiles: Type.Optional(
      Type.Boolean({ default: false, description: 'Also read the file each container sees (archive API; exec for single-file mounts) and compare it with the host file.' }),
    ),
  },
  { additionalProperties: false },
)
