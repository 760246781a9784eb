/**
 * What Save & Restart needs from the stack and config modules, stated narrowly so the step
 * machine can be reasoned about (and unit-tested) apart from Docker and the file system.
 */
import type { CallContext } from '../api/call-context'

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
  reload(services: string[], since: Date, opts?: { awaitEvidence?: boolean }): Promise<ReloadReport>
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
  newHash: string
  baseHash: string
  diff: { changes: Array<{ pointer: string; apply: string }>; summary: string }
}

export interface ConfigPort {
  /** Validates and computes the diff. Throws parse/schema/conflict errors; writes nothing. */
  prepare(input: { text?: string; value?: unknown; baseHash: string }): Promise<PreparedConfig>
  /** Backs up the current file and writes the new one atomically; throws conflict/io errors. */
  /** `warnings` name an outside edit the write kept in a backup, or one it could not keep. */
  commit(prepared: PreparedConfig): Promise<{ backup: string; hash: string; warnings?: string[] }>
  currentHash(): Promise<string | null>
  /** True when the file on disk parses and validates. */
  isValidOnDisk(): Promise<boolean>
}
