import { readFile } from 'node:fs/promises'
import type { RunCommandT, RunHealth, RunState, RunTransitionT } from '@core/api/contract/runs'
import { replaceFileDurably } from '@core/shared/durable-file'
import type { LastBeat } from './run-rules'

/** A run as kept: the contract's row without the figures computed at answer time. */
export interface StoredRun {
  id: string
  agent: string
  strategy: string
  version: string
  overrides: Record<string, unknown> | null
  container: string | null
  createdBy: string
  createdAt: string
  state: RunState
  stateSince: string
  health: RunHealth
  healthSince: string
  lastHeartbeatAt: string | null
  runtimeStatus: string | null
  metrics: Record<string, unknown> | null
  heartbeats: number
  last: LastBeat | null
  transitions: RunTransitionT[]
}

export interface RunsSnapshot {
  version: 1
  runs: StoredRun[]
  commands: RunCommandT[]
}

/**
 * Where runs, their transitions and commands survive a restart. One interface for every backing
 * (the state directory's file today; the history store's tables implement the same shape).
 */
export interface RunStore {
  /** What was saved last; an empty snapshot the first time. Throws when the saved data is unreadable. */
  load(): Promise<RunsSnapshot>
  /** Replaces what is saved; resolves once it is durable. */
  save(snapshot: RunsSnapshot): Promise<void>
  /** Where it lives, for messages. */
  readonly where: string
}

export const emptySnapshot = (): RunsSnapshot => ({ version: 1, runs: [], commands: [] })

/**
 * Runs in one JSON file in the state directory, replaced durably (temp file, fsync, rename,
 * fsync the directory), so a crash leaves the previous or the new snapshot, never a torn one.
 */
export class FileRunStore implements RunStore {
  constructor(readonly where: string) {}

  async load(): Promise<RunsSnapshot> {
    let text: string
    try {
      text = await readFile(this.where, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptySnapshot()
      throw err
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      throw new Error(`${this.where} is not valid JSON (${(err as Error).message}); move it aside to start without the saved runs`, { cause: err })
    }
    const snap = parsed as Partial<RunsSnapshot>
    if (snap.version !== 1 || !Array.isArray(snap.runs) || !Array.isArray(snap.commands)) {
      throw new Error(`${this.where} is not a runs snapshot (version 1 with runs and commands)`)
    }
    return snap as RunsSnapshot
  }

  async save(snapshot: RunsSnapshot): Promise<void> {
    await replaceFileDurably(this.where, JSON.stringify(snapshot))
  }
}
