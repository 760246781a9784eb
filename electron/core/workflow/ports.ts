/**
 * What Save & Restart needs from the stack and config modules, stated narrowly so the step
 * machine can be reasoned about (and unit-tested) apart from Docker and the file system.
 */
import type { CallContext } from '../api/call-context'
import type { RunReportT, StepReportT } from '../api/contract/workflow'
import type { Journal } from './journal'
import type { RunHistory } from './run-history'

export interface ContainerRef {
  id: string
  name: string
  service: string
  endpoint: string
}

export type ContainerOutcome = 'ok' | 'already' | 'gone' | 'failed' | 'timeout'

export interface ContainerResult extends ContainerRef {
  outcome: ContainerOutcome
  error?: string
  ms: number
}

export interface StackPort {
  /** Running containers of the configured services (the ones a run will freeze). */
  runningTargets(): Promise<{ running: ContainerRef[]; paused: ContainerRef[] }>
  pause(targets: ContainerRef[], ctx: CallContext, why: string): Promise<ContainerResult[]>
  unpause(targets: ContainerRef[], ctx: CallContext, why: string): Promise<ContainerResult[]>
  /** Current state of specific containers, for crash recovery ('missing' when gone). */
  states(targets: ContainerRef[]): Promise<Map<string, string>>
  /**
   * Signals each service's RUNNING containers and waits, per service timeout, for the evidence log
   * line stamped after the signal (or after `since` for services that watch the file themselves).
   * Paused containers are never signalled (a signal would unfreeze them): they come back deferred.
   * `awaitEvidence: false` only sends the signals.
   */
  reload(services: string[], since: Date, opts?: { awaitEvidence?: boolean; config?: unknown }): Promise<ReloadReport>
  /**
   * How each container sees config.toml (from inspect), and with `readFiles` the bytes it sees
   * there: through the archive API, or from inside (exec) for a running container that bind-mounts
   * the file itself, since the archive read shows the host's file rather than the pinned inode.
   */
  configViews(targets: ContainerRef[], opts?: { readFiles?: boolean }): Promise<ContainerSight[]>
  /** First pause to last unpause of these containers in the engines' own event clocks; null when unknown. */
  engineFreeze(targets: ContainerRef[], sinceMs: number, untilMs: number): Promise<number | null>
}

export type ConfigViewKind = 'directory' | 'file' | 'volume' | 'none' | 'unknown'

/** One container's view of config.toml, as Save & Restart needs it. */
export interface ContainerSight {
  id: string
  name: string
  endpoint: string
  kind: ConfigViewKind
  containerPath: string | null
  /** kind 'file': the explanation and the compose fix (config-refusal.ts). */
  refusal: { summary: string; text: string; fix: { replace: string; with: string } } | null
  /** Why the view is unknown, or notes worth a report line. */
  reason: string | null
  /** readFiles: the bytes the container sees, and how they were read; null when not read. */
  seen: { via: 'archive' | 'exec'; sha256: string } | null
  seenError: string | null
}

export interface ReloadDetail {
  service: string
  id: string
  container: string
  endpoint: string
  /** null: unverifiable (no pattern, or evidence not awaited). */
  proved: boolean | null
  /** Set when the container was paused and therefore not signalled. */
  deferred?: 'paused'
  line?: string
  ms: number
  error?: string
}

export interface ReloadReport {
  proved: string[]
  notProved: string[]
  unverifiable: string[]
  /** Services every container of which was paused, so none was signalled. */
  deferred: string[]
  details: ReloadDetail[]
}

export interface PreparedConfig {
  newText: string
  /** The new config's values, for reload patterns that name them. */
  newValue?: unknown
  newHash: string
  baseHash: string
  diff: { changes: Array<{ pointer: string; apply: string }>; summary: string }
}

export interface ConfigPort {
  /** Validates and computes the diff. Throws parse/schema/conflict errors; writes nothing. */
  prepare(input: { text?: string; value?: unknown; baseHash: string }): Promise<PreparedConfig>
  /**
   * Everything slow before the freeze: checks the base hash, makes the backup, writes and fsyncs the
   * temp file. Throws conflict/io errors with the file untouched. `in-place`: see StagedWrite.
   */
  stage(prepared: PreparedConfig, mode: 'atomic' | 'in-place'): Promise<StagedConfig>
  currentHash(): Promise<string | null>
  /** True when the file on disk parses and validates. */
  isValidOnDisk(): Promise<boolean>
}

export interface StagedConfig {
  backup: string
  hash: string
  /**
   * The check-and-rename window only (or the in-place write). Throws with the old file in place,
   * unless `touched`: an in-place write that failed part-way may have left it incomplete.
   */
  commit(): Promise<void>
  readonly touched: boolean
  /** After the unpause: the after-checks. `warnings` name an outside edit kept in a backup, or lost. */
  finish(): Promise<{ warnings: string[] }>
  /** Before commit: drops the backup and temp file made for this save. */
  abandon(): Promise<void>
}

export interface WorkflowEmitter {
  progress(runId: string, step: StepReportT): void
  finished(report: RunReportT): void
  alert(a: { id: string; level: 'info' | 'warning' | 'critical'; title: string; message: string; sticky: boolean }): void
}

export interface SaveAndRestartDeps {
  stack: StackPort
  config: ConfigPort
  journal: Journal
  history: RunHistory
  emit: WorkflowEmitter
  configPath: string
  unpauseRetries: number
  retryDelayMs?: number
  now?: () => Date
  /** settings workflow.applyMode; default auto. */
  applyMode?: 'auto' | 'paused'
  /** settings config.singleFileMounts; default refuse. */
  singleFileMounts?: 'refuse' | 'write-in-place'
  /**
   * Held for the whole run, across processes (config-run-lock.ts): the in-process claim keeps one
   * run per instance, this keeps one run per config directory, whichever instance asks. Throws a
   * CoreError naming the holder when another instance's run holds it. None: in-process claim only.
   */
  runLock?: RunLock
}

export interface RunLockClaim {
  runId: string
  who: string
  door: string
  startedAt: string
}

export interface RunLock {
  /** Resolves to the release; rejects (CoreError `busy`) when another run holds the lock. */
  acquire(run: RunLockClaim): Promise<() => Promise<void>>
}
