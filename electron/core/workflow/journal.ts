import { readFile, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fsyncDirectory, replaceFileDurably, reportOnce } from '../shared/durable-file'
import type { ContainerRef } from './ports'

/**
 * The on-disk record of a Save & Restart in flight. It is written before anything is paused and
 * removed only when the run has finished, so after a crash the next start knows exactly which
 * containers this process froze and which config it meant to write.
 */
export interface JournalRecord {
  version: 1
  runId: string
  who: string
  door: string
  startedAt: string
  /** writing: a hot apply (nothing paused) before its rename; verifying: the new file is in place and nothing is paused by the run. */
  phase: 'pausing' | 'paused' | 'writing' | 'written' | 'unpausing' | 'verifying'
  configPath: string
  baseHash: string
  newHash: string
  backup: string | null
  /** Containers this run asked to pause; `paused` are those it actually froze. */
  targets: ContainerRef[]
  paused: ContainerRef[]
  /**
   * Containers someone else had paused before the run (absent in journals written before this
   * field). Recovery never resumes them; it only names them.
   */
  pausedBefore?: ContainerRef[]
}

export class Journal {
  private readonly report: ReturnType<typeof reportOnce>

  constructor(
    readonly path: string,
    log?: (line: string) => void,
  ) {
    this.report = reportOnce(log)
  }

  /** Atomic replace with fsync of file and directory: a crash leaves the old or the new record, never half. */
  async write(rec: JournalRecord): Promise<void> {
    this.report(await replaceFileDurably(this.path, JSON.stringify(rec, null, 2)))
  }

  async read(): Promise<JournalRecord | null> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
    try {
      const rec = JSON.parse(text) as JournalRecord
      return rec.version === 1 ? rec : null
    } catch {
      // Unreadable journal: keep it for a human, report as an unknown interrupted run.
      return { version: 1, runId: 'unknown', who: 'unknown', door: 'unknown', startedAt: '', phase: 'pausing', configPath: '', baseHash: '', newHash: '', backup: null, targets: [], paused: [] }
    }
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true })
    // Best effort: a journal that survives a crash only makes the next start look for a run that finished.
    await fsyncDirectory(dirname(this.path)).catch(() => undefined)
  }
}
