import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { CoreError } from '../errors'
import { createAjv, describeAjvErrors } from '../api/ajv'
import { overlapMessage, supervisedOverlaps } from './selector-overlap'
import { SettingsSchema, type Settings } from './settings-schema'

export const SETTINGS_ENV = 'STACKDECK_SETTINGS'
export const SETTINGS_FLAG = '--settings'
export const DEFAULT_SETTINGS_PATH = join(homedir(), '.config', 'stackdeck', 'settings.json')

const validate = createAjv({ useDefaults: true }).compile<Settings>(SettingsSchema)

export interface LoadedSettings {
  settings: Settings
  /** Where they came from; null when no file existed and only defaults apply. */
  source: string | null
  /**
   * SHA-256 (hex) of the file's bytes as read: the services domain refuses to write over a file
   * that changed on disk since (an outside edit), rather than losing that edit.
   */
  hash?: string
}

/** `--settings <path>` / `--settings=<path>` wins over STACKDECK_SETTINGS, which wins over the default path. */
export function settingsPathFrom(argv: readonly string[], env: NodeJS.ProcessEnv): { path: string; explicit: boolean } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === SETTINGS_FLAG && argv[i + 1]) return { path: resolve(argv[i + 1] as string), explicit: true }
    if (a?.startsWith(`${SETTINGS_FLAG}=`)) return { path: resolve(a.slice(SETTINGS_FLAG.length + 1)), explicit: true }
  }
  const fromEnv = env[SETTINGS_ENV]
  if (fromEnv) return { path: resolve(fromEnv), explicit: true }
  return { path: DEFAULT_SETTINGS_PATH, explicit: false }
}

/** Validate and fill defaults; errors name the file and the field. */
export function parseSettings(raw: unknown, file: string): Settings {
  const value = structuredClone(raw ?? {})
  if (!validate(value)) {
    const errs = describeAjvErrors(validate.errors)
    const first = errs[0]
    throw new CoreError('invalid_input', `${file}: ${first?.path ?? '/'} ${first?.message ?? 'is invalid'}`, {
      path: first?.path,
      details: errs,
    })
  }
  // Two supervisors of one container would restart it twice (the second SIGTERM lands on the fresh
  // process); the schema cannot say this, so it is checked here, with both services named.
  const overlaps = supervisedOverlaps(value.services)
  const first = overlaps[0]
  if (first) {
    const details = overlaps.map((o) => ({ path: `/services/${o.second}/selector`, message: overlapMessage(value.services, o) }))
    throw new CoreError('invalid_input', `${file}: /services/${first.second}/selector ${details[0]?.message ?? ''}`, {
      path: `/services/${first.second}/selector`,
      details,
    })
  }
  const cross = crossFieldProblem(value)
  if (cross) throw new CoreError('invalid_input', `${file}: ${cross.path} ${cross.message}`, { path: cross.path, details: [cross] })
  return value
}

/** Rules between fields that the schema cannot state; each names the field at fault. */
function crossFieldProblem(s: Settings): { path: string; message: string } | null {
  for (const [i, t] of s.api.tokens.entries()) {
    if (t.scope === 'agent' && !t.agent) return { path: `/api/tokens/${i}/agent`, message: `is required: token "${t.name}" has scope agent, which acts for one agent id` }
    if (t.scope !== 'agent' && t.agent !== undefined) return { path: `/api/tokens/${i}/agent`, message: `is only for scope agent (token "${t.name}" has scope ${t.scope})` }
  }
  const r = s.runs
  if (!(r.lateAfterMs < r.unhealthyAfterMs && r.unhealthyAfterMs < r.lostAfterMs)) {
    return { path: '/runs/unhealthyAfterMs', message: `must lie between lateAfterMs (${r.lateAfterMs}) and lostAfterMs (${r.lostAfterMs}), in that order; it is ${r.unhealthyAfterMs}` }
  }
  return null
}

function jsonErrorLocation(text: string, err: unknown): string {
  const m = /position (\d+)/.exec(String(err))
  if (!m) return ''
  const pos = Number(m[1])
  const before = text.slice(0, pos).split('\n')
  return `:${before.length}:${(before.at(-1)?.length ?? 0) + 1}`
}

/** Relative paths in a settings file are relative to that file, not to the cwd. */
function resolvePaths(s: Settings, baseDir: string): Settings {
  const abs = (p: string) => (p === '' || isAbsolute(p) ? p : resolve(baseDir, p))
  s.config.path = abs(s.config.path)
  s.config.schemaPath = abs(s.config.schemaPath)
  s.workflow.journalPath = abs(s.workflow.journalPath)
  s.stateDir = abs(s.stateDir)
  return s
}

export async function loadSettings(
  argv: readonly string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedSettings> {
  const { path, explicit } = settingsPathFrom(argv, env)
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) {
      return { settings: resolvePaths(parseSettings({}, '<defaults>'), process.cwd()), source: null }
    }
    throw new CoreError('io_error', `${path}: cannot read settings (${(err as Error).message})`, { cause: err })
  }
  const text = bytes.toString('utf8')
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new CoreError('parse_error', `${path}${jsonErrorLocation(text, err)}: ${(err as Error).message}`)
  }
  const hash = createHash('sha256').update(bytes).digest('hex')
  return { settings: resolvePaths(parseSettings(raw, path), dirname(path)), source: path, hash }
}
