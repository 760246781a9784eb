import { Type, type Static } from 'typebox'
import { ev, op } from '../define'

const Hash = Type.String({ pattern: '^[a-f0-9]{64}$', description: 'sha256 (hex) of the file bytes.' })

const BackupName = Type.String({
  pattern: '^[^/\\\\]+\\.bak\\.[0-9]{8}_[0-9]{6}(\\.[0-9]+)?$',
  maxLength: 255,
  description: 'A backup file name as listed by config.backups (no directory part).',
})

export const ConfigIssue = Type.Object({
  path: Type.Optional(Type.String({ description: 'JSON pointer (/risk/max_position) or config.toml:LINE:COL.' })),
  line: Type.Optional(Type.Integer({ minimum: 1 })),
  column: Type.Optional(Type.Integer({ minimum: 1 })),
  message: Type.String(),
})

const ApplyHint = Type.Union([Type.Literal('hot'), Type.Literal('restart'), Type.Literal('unknown')], {
  description: "From the schema's x-apply: hot = applies on reload, restart = needs a container restart.",
})

export const ConfigChange = Type.Object({
  pointer: Type.String(),
  kind: Type.Union([Type.Literal('added'), Type.Literal('removed'), Type.Literal('changed')]),
  before: Type.Optional(Type.Unknown()),
  after: Type.Optional(Type.Unknown()),
  apply: ApplyHint,
})

export const ConfigDiff = Type.Object({
  changes: Type.Array(ConfigChange),
  summary: Type.String(),
  restartNeeded: Type.Boolean({ description: 'Some change is restart-only (or of unknown apply mode).' }),
  unified: Type.String({ description: 'Unified text diff, old file first.' }),
})

const ErrorKind = Type.Union([Type.Literal('parse'), Type.Literal('schema'), Type.Null()])

const EditInput = {
  text: Type.Optional(Type.String({ maxLength: 1_000_000, description: 'Complete config.toml (raw editor); saved exactly as given.' })),
  value: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), {
      description:
        'The whole config as a value (form editor); patched into the file keeping comments and formatting. Dates/times as strings. A nan/inf float that arrived as null is kept unchanged.',
    }),
  ),
}

const BackupInfo = Type.Object({
  name: Type.String(),
  time: Type.String({ description: 'UTC time from the backup name (ISO 8601).' }),
  seq: Type.Integer({ minimum: 0, description: 'Same-second counter (.1, .2, ...).' }),
  size: Type.Integer({ minimum: 0 }),
  mtime: Type.String(),
})

/**
 * What became of an outside edit that raced the save's rename (see config-writer.ts): kept in a backup
 * named here, or (only a rename-replace in the last microseconds) lost but reported, never silently.
 */
const OutsideEdit = {
  outsideEditKept: Type.Optional(
    Type.Union([Type.String(), Type.Null()], { description: 'Backup holding an outside edit that landed during the save.' }),
  ),
  outsideEditLost: Type.Optional(
    Type.Boolean({ description: 'An outside rename-replace landed in the instant before ours and could not be kept.' }),
  ),
}

export const configOperations = {
  'config.load': op({
    summary: 'The current config.toml: text, parsed value, hash for conflict detection, the schema for the form, and its errors if it is invalid.',
    scope: 'read',
    input: Type.Object({}, { additionalProperties: false }),
    result: Type.Object({
      path: Type.String(),
      text: Type.String(),
      value: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
        description: 'Parsed value with dates/times as strings; null when the file does not parse.',
      }),
      hash: Hash,
      mtime: Type.String(),
      valid: Type.Boolean(),
      errorKind: ErrorKind,
      errors: Type.Array(ConfigIssue),
      schema: Type.Unknown({ description: 'The JSON Schema (with x-apply) the form is built from.' }),
      schemaPath: Type.String(),
    }),
    http: { method: 'GET', path: '/config' },
  }),
  'config.validate': op({
    summary: 'Check a candidate config (text or value) without writing: errors with line/column or pointer, and the diff against the current file.',
    scope: 'read',
    input: Type.Object(EditInput, { additionalProperties: false }),
    result: Type.Object({
      ok: Type.Boolean(),
      errorKind: ErrorKind,
      errors: Type.Array(ConfigIssue),
      diff: Type.Union([ConfigDiff, Type.Null()], { description: 'Null when the candidate does not parse.' }),
      text: Type.Optional(Type.String({ description: 'The text a value edit would produce.' })),
      baseHash: Type.Union([Hash, Type.Null()], { description: 'Hash of the file the candidate was compared with.' }),
    }),
    http: { method: 'POST', path: '/config/validate' },
  }),
  'config.save': op({
    summary: 'Validate, back up the current file and write the new one atomically (without restarting anything).',
    scope: 'operate',
    audit: true,
    input: Type.Object(
      { ...EditInput, baseHash: Type.String({ pattern: '^[a-f0-9]{64}$', description: 'Hash from config.load; a different file on disk is a conflict.' }) },
      { additionalProperties: false },
    ),
    result: Type.Object({
      hash: Hash,
      backup: Type.String({ description: 'Backup holding the previous content.' }),
      diff: ConfigDiff,
      warnings: Type.Array(Type.String()),
      ...OutsideEdit,
    }),
    http: { method: 'POST', path: '/config/save' },
  }),
  'config.backups': op({
    summary: 'Backups of config.toml, newest first.',
    scope: 'read',
    input: Type.Object({}, { additionalProperties: false }),
    result: Type.Object({ backups: Type.Array(BackupInfo), keep: Type.Integer({ minimum: 1 }) }),
    http: { method: 'GET', path: '/config/backups' },
  }),
  'config.diff': op({
    summary: 'What restoring a backup would change: unified diff (current file first) and field changes.',
    scope: 'read',
    input: Type.Object({ backup: BackupName }, { additionalProperties: false }),
    result: Type.Object({
      backup: Type.String(),
      diff: ConfigDiff,
      valid: Type.Boolean({ description: 'The backup parses and validates against the current schema.' }),
      errors: Type.Array(ConfigIssue),
    }),
    http: { method: 'POST', path: '/config/diff' },
  }),
  'config.restore': op({
    summary: 'Restore a backup: a validated save of its text, so the current file is itself backed up first.',
    scope: 'operate',
    audit: true,
    input: Type.Object({ backup: BackupName, baseHash: Type.String({ pattern: '^[a-f0-9]{64}$' }) }, { additionalProperties: false }),
    result: Type.Object({
      hash: Hash,
      backup: Type.String({ description: 'Backup of the content that was replaced.' }),
      restoredFrom: Type.String(),
      diff: ConfigDiff,
      warnings: Type.Array(Type.String()),
      ...OutsideEdit,
    }),
    http: { method: 'POST', path: '/config/restore' },
  }),
} as const

export const ConfigChangedOnDisk = Type.Object({
  path: Type.String(),
  hash: Hash,
  previousHash: Type.Union([Hash, Type.Null()]),
  valid: Type.Boolean({ description: 'Whether the new content parses and validates.' }),
  at: Type.String(),
})
export type ConfigChangedOnDiskT = Static<typeof ConfigChangedOnDisk>

export const configEvents = {
  'config.changedOnDisk': ev({
    summary: 'config.toml changed on disk, not through this Stackdeck (an editor, git, another host). Reload before editing.',
    payload: ConfigChangedOnDisk,
  }),
} as const
