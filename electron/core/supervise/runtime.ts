import { CoreError } from '../errors'
import type { ResolvedServiceOptions } from './options'
import type { Clock, TimerHandle } from '../shared/clock'
import type { SupervisedContainer } from './ports'
import type { ContainerCheck } from './service-status'

/** In-memory facts about a container that need not survive a Stackdeck restart. */
export interface Seen {
  /** When we first saw it running in its current run (reset by a stop, a pause, or our restart). */
  runningSince: number | null
  /** Start of the current unbroken stretch of healthy checks, while a restart has to prove itself. */
  okSince: number | null
}

/** Per-service loop state: the last check's findings and the loop's timer. */
export interface Runtime {
  opts: ResolvedServiceOptions
  timer: TimerHandle | null
  /** Tail of this service's operation queue: checks, manual restarts and resets never interleave. */
  chain: Promise<unknown>
  containers: SupervisedContainer[]
  checks: Map<string, ContainerCheck>
  seen: Map<string, Seen>
  lastCheckAt: number | null
  lastProblem: string | null
  checkError: string | null
  /** First failed check of the current run of failed checks: the state is unknown since then. */
  unknownSince: number | null
  blockedBy: string | null
}

export const newRuntime = (opts: ResolvedServiceOptions): Runtime => ({
  opts,
  timer: null,
  chain: Promise.resolve(),
  containers: [],
  checks: new Map(),
  seen: new Map(),
  lastCheckAt: null,
  lastProblem: null,
  checkError: null,
  unknownSince: null,
  blockedBy: null,
})

export const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err))

/** `p`, or a CoreError('timeout') after `ms` on the injected clock; `ms` <= 0 means unbounded. */
export function bounded<T>(clock: Clock, p: Promise<T>, ms: number, what: string): Promise<T> {
  if (!(ms > 0)) return p
  let timer: TimerHandle | null = null
  const limit = new Promise<never>((_, reject) => {
    timer = clock.setTimer(() => reject(new CoreError('timeout', `${what} timed out after ${ms} ms`)), ms)
  })
  return Promise.race([p, limit]).finally(() => {
    if (timer !== null) clock.clearTimer(timer)
  })
}
