/**
 * The config domain in one object: read -> parse -> validate -> (patch) -> backup -> durable write
 * -> watch -> restore. Every write, including a restore, goes through `prepareSave` (validation)
 * and `backupAndWrite` (the durable protocol), which Save & Restart also calls step by step.
 */
import { readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { ConfigChangedOnDiskT } from '../api/contract/config'
import { CoreError, type ErrorDetail } from '../errors'
import { isBackupName, listBackups, type BackupInfo } from '../shared/backup-files'
import { buildDiff, type ConfigDiff } from './config-diff'
import { watchConfig, type ConfigWatcher } from './config-watch'
import {
  backupAndWrite as writeDurably,
  cleanUpLeftovers,
  currentFileHash,
  ioError,
  readConfigFile,
  resolveConfigPath,
  sha256,
  StagedWrite,
  type LeftoverReport,
  type WriteResult,
} from './config-writer'

/** A save staged by ConfigService.stageWrite. */
export interface StagedSave {
  backup: string
  hash: string
  mode: 'atomic' | 'in-place'
  /** True once commit() may have changed the live file, even if it then threw (a torn in-place write). */
  readonly touched: boolean
  commit(): Promise<void>
  finish(): Promise<WriteResult>
  abandon(): Promise<void>
}
import { SchemaStore } from './schema-store'
import { applyPlainValue, type EditStrategy } from './toml-edit'
import { lineForPointer, locate } from './toml-locator'
import { parseToml, toPlain, type PlainTable, type RawTable } from './toml-values'

/** Anything that can publish the contract event (the core's EventHub). */
export interface ConfigEventSink {
  emit(name: 'config.changedOnDisk', payload: ConfigChangedOnDiskT): void
}

export interface ConfigServiceOptions {
  configPath: string
  schemaPath: string
  /** How many backups to keep (>= 1); older ones are deleted after a successful write. */
  keepBackups: number
  hub?: ConfigEventSink
  /** Injectable clock for backup names and event times. */
  clock?: () => Date
  watch?: { debounceMs?: number; pollMs?: number; onError?: (err: unknown) => void }
  /** Where start-up housekeeping is reported (removed leftovers); default console.info. */
  log?: (message: string) => void
}

export interface ConfigIssue {
  path?: string
  line?: number
  column?: number
  message: string
}

export interface Analysis {
  ok: boolean
  errorKind: 'parse' | 'schema' | null
  errors: ConfigIssue[]
  raw: RawTable | null
  value: PlainTable | null
}

export interface EditInput {
  text?: string | undefined
  value?: unknown
}

export interface PreparedSave {
  newText: string
  newValue: PlainTable
  newHash: string
  baseHash: string
  diff: ConfigDiff
  strategy: EditStrategy | 'text'
}

export interface SaveResult {
  hash: string
  backup: string
  diff: ConfigDiff
  warnings: string[]
  /** Backup holding an outside edit that landed while the file was being replaced (see config-writer). */
  outsideEditKept: string | null
  /** Another program's rename-replace landed in the instant before ours and was overwritten. */
  outsideEditLost: boolean
}

export class ConfigService {
  readonly schemas: SchemaStore
  private watcher: ConfigWatcher | null = null
  private readonly label: string

  constructor(private readonly opts: ConfigServiceOptions) {
    if (!Number.isInteger(opts.keepBackups) || opts.keepBackups < 1) {
      throw new CoreError('invalid_input', `keepBackups must be an integer >= 1 (got ${opts.keepBackups})`)
    }
    this.schemas = new SchemaStore(opts.schemaPath)
    this.label = basename(opts.configPath)
  }

  get configPath(): string {
    return this.opts.configPath
  }

  get keepBackups(): number {
    return this.opts.keepBackups
  }

  private now(): Date {
    return this.opts.clock?.() ?? new Date()
  }

  /** Parse and validate a text; never throws for content problems (only for an unusable schema). */
  async analyze(text: string): Promise<Analysis> {
    let raw: RawTable
    try {
      raw = parseToml(text, this.label)
    } catch (err) {
      if (err instanceof CoreError && err.code === 'parse_error') {
        return { ok: false, errorKind: 'parse', errors: err.details ?? [{ message: err.message }], raw: null, value: null }
      }
      throw err
    }
    const value = toPlain(raw) as PlainTable
    const issues = await this.schemas.validate(value)
    if (issues.length === 0) return { ok: true, errorKind: null, errors: [], raw, value }
    const loc = locate(text)
    const errors = issues.map((i): ConfigIssue => {
      const at = lineForPointer(loc, i.path)
      return at ? { path: i.path, message: i.message, line: at.line, column: at.column } : { path: i.path, message: i.message }
    })
    return { ok: false, errorKind: 'schema', errors, raw, value }
  }

  async load() {
    const file = await readConfigFile(this.opts.configPath)
    const analysis = file.utf8 ? await this.analyze(file.text) : notUtf8(this.label)
    const { schema } = await this.schemas.get()
    return {
      path: file.path,
      text: file.text,
      value: analysis.value,
      hash: file.hash,
      mtime: file.mtime.toISOString(),
      valid: analysis.ok,
      errorKind: analysis.errorKind,
      errors: analysis.errors,
      schema: schema as unknown,
      schemaPath: this.schemas.schemaPath,
    }
  }

  async currentHash(): Promise<string | null> {
    return currentFileHash(this.opts.configPath)
  }

  async isValidOnDisk(): Promise<boolean> {
    try {
      const file = await readConfigFile(this.opts.configPath)
      return file.utf8 && (await this.analyze(file.text)).ok
    } catch {
      return false
    }
  }

  /** The candidate text of an edit: raw text as given, or the value patched onto `baseText`. */
  private candidate(input: EditInput, baseText: string | null): { text: string; strategy: EditStrategy | 'text' } {
    const hasText = typeof input.text === 'string'
    const hasValue = input.value !== undefined && input.value !== null
    if (hasText === hasValue) {
      // Both given: the second one is the fault; neither: the raw-editor field is what is missing.
      throw new CoreError('invalid_input', 'Give exactly one of `text` (raw editor) or `value` (form editor)', { path: hasText ? '/value' : '/text' })
    }
    if (hasText) return { text: input.text as string, strategy: 'text' }
    if (baseText === null) throw new CoreError('not_found', `${this.opts.configPath} does not exist; save raw text instead`)
    try {
      const r = applyPlainValue(baseText, input.value, this.label)
      return { text: r.text, strategy: r.strategy }
    } catch (err) {
      if (err instanceof CoreError && err.code === 'parse_error') {
        throw new CoreError('parse_error', `${this.label} on disk does not parse (${err.message}); fix it in the raw editor first`, {
          ...(err.details ? { details: err.details } : {}),
          ...(err.path ? { path: err.path } : {}),
        })
      }
      throw err
    }
  }

  private async diffAgainst(oldText: string | null, newText: string, newRaw: RawTable | null, newLabel: string): Promise<ConfigDiff> {
    const { schema } = await this.schemas.get()
    let oldRaw: RawTable | null
    try {
      oldRaw = oldText === null ? {} : parseToml(oldText, this.label)
    } catch {
      oldRaw = null
    }
    const diff = buildDiff(oldRaw ?? {}, newRaw ?? {}, schema, {
      oldText: oldText ?? '',
      newText,
      oldLabel: `${this.label} (current)`,
      newLabel,
    })
    if (oldRaw === null) diff.summary = `replaces a file that did not parse; ${diff.summary}`
    return diff
  }

  /** config.validate: never writes, never throws for a bad candidate (ok:false + errors). */
  async validate(input: EditInput) {
    const current = await readConfigFile(this.opts.configPath).catch((err: unknown) => {
      if (err instanceof CoreError && err.code === 'not_found' && typeof input.text === 'string') return null
      throw err
    })
    const { text, strategy } = this.candidate(input, current?.text ?? null)
    const analysis = await this.analyze(text)
    const diff = analysis.raw ? await this.diffAgainst(current?.text ?? null, text, analysis.raw, `${this.label} (edited)`) : null
    return {
      ok: analysis.ok,
      errorKind: analysis.errorKind,
      errors: analysis.errors,
      diff,
      ...(strategy === 'text' ? {} : { text }),
      baseHash: current?.hash ?? null,
    }
  }

  /** Validate an edit against the file it was based on; writes nothing. Throws conflict/parse/schema errors. */
  async prepareSave(input: EditInput & { baseHash: string }): Promise<PreparedSave> {
    const current = await readConfigFile(this.opts.configPath)
    if (current.hash !== input.baseHash) {
      throw new CoreError(
        'conflict',
        `${current.path} changed on disk since it was loaded (expected sha256 ${input.baseHash.slice(0, 12)}, found ${current.hash.slice(0, 12)}); reload it and apply your edit again`,
        { path: current.path },
      )
    }
    const { text, strategy } = this.candidate(input, current.text)
    const analysis = await this.assertValid(text)
    return {
      newText: text,
      newValue: analysis.value as PlainTable,
      newHash: sha256(text),
      baseHash: current.hash,
      diff: await this.diffAgainst(current.text, text, analysis.raw, `${this.label} (new)`),
      strategy,
    }
  }

  private async assertValid(text: string): Promise<Analysis> {
    const analysis = await this.analyze(text)
    if (analysis.ok) return analysis
    const details: ErrorDetail[] = analysis.errors
    const first = details
      .slice(0, 3)
      .map((d) => `${d.path ?? ''}${d.line ? ` (line ${d.line})` : ''} ${d.message}`.trim())
      .join('; ')
    if (analysis.errorKind === 'parse') {
      throw new CoreError('parse_error', `${this.label} does not parse: ${first}`, { details, ...(details[0]?.path ? { path: details[0].path } : {}) })
    }
    const more = details.length > 3 ? ` (+${details.length - 3} more)` : ''
    throw new CoreError('schema_error', `${this.label} has ${details.length} schema error${details.length === 1 ? '' : 's'}: ${first}${more}`, {
      details,
      ...(details[0]?.path ? { path: details[0].path } : {}),
    })
  }

  /**
   * Back up the current file and write `newText` (which is validated once more: this is the last
   * gate before the disk). Our own write is not reported as a change on disk.
   */
  async backupAndWrite(newText: string, baseHash: string): Promise<WriteResult> {
    await this.assertValid(newText)
    const release = this.watcher?.hold()
    try {
      const res = await writeDurably(this.opts.configPath, newText, baseHash, {
        keepBackups: this.opts.keepBackups,
        ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      })
      this.watcher?.setKnownHash(res.hash)
      return res
    } finally {
      release?.()
    }
  }

  /**
   * The same save in Save & Restart's three parts (config-writer.ts, StagedWrite): stage before the
   * pause, commit inside it, finish after. The watcher is held from stage to finish, so our own
   * write is not reported as a change on disk.
   */
  async stageWrite(newText: string, baseHash: string, mode: 'atomic' | 'in-place' = 'atomic'): Promise<StagedSave> {
    await this.assertValid(newText)
    const release = this.watcher?.hold()
    let staged: StagedWrite
    try {
      staged = await StagedWrite.stage(this.opts.configPath, newText, baseHash, {
        keepBackups: this.opts.keepBackups,
        mode,
        ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      })
    } catch (err) {
      release?.()
      throw err
    }
    let released = false
    const done = () => {
      if (!released) release?.()
      released = true
    }
    return {
      backup: staged.backup,
      hash: staged.hash,
      mode,
      get touched() {
        return staged.touched
      },
      commit: async () => {
        try {
          await staged.commit()
          this.watcher?.setKnownHash(staged.hash)
        } catch (err) {
          done()
          throw err
        }
      },
      finish: async () => {
        try {
          return await staged.finish()
        } finally {
          done()
        }
      },
      abandon: async () => {
        try {
          await staged.abandon()
        } finally {
          done()
        }
      },
    }
  }

  async save(input: EditInput & { baseHash: string }): Promise<SaveResult> {
    const prepared = await this.prepareSave(input)
    const res = await this.backupAndWrite(prepared.newText, input.baseHash)
    return { hash: res.hash, backup: res.backup, diff: prepared.diff, warnings: res.warnings, outsideEditKept: res.outsideEditKept, outsideEditLost: res.outsideEditLost }
  }

  async listBackups(): Promise<BackupInfo[]> {
    const real = await resolveConfigPath(this.opts.configPath)
    try {
      return await listBackups(real)
    } catch (err) {
      throw ioError(real, 'list backups of', err)
    }
  }

  private async readBackup(name: string): Promise<{ path: string; text: string }> {
    const real = await resolveConfigPath(this.opts.configPath)
    if (!isBackupName(real, name)) {
      throw new CoreError('invalid_input', `${name} is not a backup of ${basename(real)}`, { path: name })
    }
    const path = join(real, '..', name)
    try {
      return { path, text: await readFile(path, 'utf8') }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CoreError('not_found', `Backup ${name} does not exist`, { path: name })
      throw ioError(path, 'read', err)
    }
  }

  /** What restoring `name` would do: diff from the current file to the backup. */
  async diffBackup(name: string) {
    const backup = await this.readBackup(name)
    const current = await readConfigFile(this.opts.configPath)
    const analysis = await this.analyze(backup.text)
    return {
      backup: name,
      diff: await this.diffAgainst(current.text, backup.text, analysis.raw, name),
      valid: analysis.ok,
      errors: analysis.errors,
    }
  }

  async restore(name: string, baseHash: string) {
    const backup = await this.readBackup(name)
    const res = await this.save({ text: backup.text, baseHash })
    return { ...res, restoredFrom: name }
  }

  /**
   * Remove what saves killed mid-way left next to the file (only our own temp names; see
   * cleanUpLeftovers) and log each one. Never throws: housekeeping must not stop start-up.
   */
  async cleanUpLeftovers(): Promise<LeftoverReport | null> {
    const log = this.opts.log ?? ((m: string) => console.info(m))
    try {
      const r = await cleanUpLeftovers(this.opts.configPath, () => this.now())
      for (const x of r.removed) log(`[config] removed leftover temp file ${join(r.path, '..', x.name)} (${x.why})`)
      for (const x of r.kept) log(`[config] leftover ${x.name} held an edit found nowhere else: kept as backup ${x.backup}`)
      for (const x of r.skipped) log(`[config] left ${join(r.path, '..', x.name)} alone: ${x.why}`)
      return r
    } catch (err) {
      log(`[config] could not clean up leftovers next to ${this.opts.configPath}: ${(err as Error).message}`)
      return null
    }
  }

  /** Clean up leftovers of killed saves, then start reporting external changes as `config.changedOnDisk`. */
  async start(): Promise<void> {
    if (this.watcher) return
    await this.cleanUpLeftovers()
    let target = this.opts.configPath
    try {
      target = await resolveConfigPath(this.opts.configPath)
    } catch {
      // Not there yet: watch where it will appear.
    }
    this.watcher = watchConfig(
      target,
      (e) => {
        void this.analyze(e.text)
          .then((a) => a.ok)
          .catch(() => false)
          .then((valid) => {
            this.opts.hub?.emit('config.changedOnDisk', {
              path: target,
              hash: e.hash,
              previousHash: e.previousHash,
              valid,
              at: this.now().toISOString(),
            })
          })
      },
      {
        ...(this.opts.watch?.debounceMs !== undefined ? { debounceMs: this.opts.watch.debounceMs } : {}),
        ...(this.opts.watch?.pollMs !== undefined ? { pollMs: this.opts.watch.pollMs } : {}),
        onError: this.opts.watch?.onError ?? ((err) => console.warn(`[config] watch ${target}:`, err)),
      },
    )
    await this.watcher.ready
  }

  async stop(): Promise<void> {
    this.watcher?.close()
    this.watcher = null
  }
}

function notUtf8(label: string): Analysis {
  const message = `${label} is not valid UTF-8 text (TOML requires UTF-8)`
  return { ok: false, errorKind: 'parse', errors: [{ message, path: label }], raw: null, value: null }
}
