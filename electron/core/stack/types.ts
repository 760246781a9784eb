import { CONTAINER_HEALTHS, CONTAINER_STATES, OUTCOMES } from '../api/contract/stack-values'

export { CONTAINER_HEALTHS, CONTAINER_STATES, OUTCOMES }
/**
 * Domain types of the stack engine. The contract rows in `api/contract/stack.ts` describe the same
 * shapes as TypeBox schemas; `stack-handlers.ts` returns these values typed as the contract's results,
 * so the two cannot drift without a compile error.
 */

export type ContainerState = (typeof CONTAINER_STATES)[number]

export type ContainerHealth = (typeof CONTAINER_HEALTHS)[number]

export interface EndpointSpec {
  id: string
  /** unix:///path/docker.sock, tcp://host:port, http(s)://host:port or ssh://user@host[:port]. */
  url: string
}

export interface ReloadSpec {
  /** Signal that makes the service re-read its config; null for services that watch the file themselves. */
  signal: string | null
  /** Regular expression (source) of the log line that proves a reload; null = unverifiable. */
  logPattern: string | null
  timeoutMs: number
}

export interface ServiceSpec {
  name: string
  /** Docker labels; a container belongs to the service when it carries all of them. */
  selector: Record<string, string>
  /** Endpoint id; the service is looked for on every endpoint when absent. */
  endpoint?: string
  reload: ReloadSpec
  /**
   * docker restart `t` for this service's containers (SIGTERM, then SIGKILL after t s): a supervised
   * service's `stopTimeoutS`, so the Stack tab gives an agent the same grace as auto-heal does.
   * Absent: the stack's default.
   */
  stopTimeoutS?: number
}

export interface ContainerInfo {
  id: string
  name: string
  image: string
  endpoint: string
  /** First service (in settings order) whose selector matches; a container matching several is listed under each. */
  service: string
  state: ContainerState
  health: ContainerHealth
  /** ISO time of the last start as the daemon reports it; null when never started. */
  startedAt: string | null
  /** Seconds since startedAt for running/paused containers, else null. */
  uptimeS: number | null
  labels: Record<string, string>
}

export interface ServiceView {
  name: string
  endpoint: string | null
  containers: ContainerInfo[]
}

export interface EndpointStatus {
  id: string
  url: string
  /** The last call to this endpoint succeeded. */
  reachable: boolean
  /** The events stream is connected and the snapshot of this endpoint is live. */
  watching: boolean
  error: string | null
  /** When `reachable`/`watching` last changed. */
  since: string
  containers: number
}

/** The full view of the stack. `stack.changed` always carries a whole snapshot, never a diff. */
export interface StackSnapshot {
  at: string
  services: ServiceView[]
  endpoints: EndpointStatus[]
}

export type StackState = 'running' | 'paused' | 'mixed' | 'empty' | 'unreachable'

export interface StackStatus {
  at: string
  state: StackState
  counts: Record<ContainerState, number>
  containers: ContainerInfo[]
  endpoints: EndpointStatus[]
}

export type ActionKind = 'pause' | 'unpause' | 'restart' | 'signal'

/**
 * `skipped`: the action does not apply to the container's state (pausing or signalling an exited
 * container, unpausing one that is not running). Reported instead of `failed` so a stack-wide pause
 * with a finished one-shot container still counts as a success.
 */
export type Outcome = (typeof OUTCOMES)[number]

export interface Target {
  service?: string
  /** Container id (or unique id prefix of 4+ characters) or name. */
  container?: string
}

export interface ContainerActionResult {
  id: string
  name: string
  service: string
  endpoint: string
  outcome: Outcome
  /** The state seen by the last inspect; null when the container could not be inspected. */
  state: ContainerState | null
  error?: string
  ms: number
}

export interface ActionResult {
  action: ActionKind
  signal: string | null
  target: Target
  /** True when nothing failed, timed out or was unreachable. */
  ok: boolean
  at: string
  ms: number
  containers: ContainerActionResult[]
  totals: Record<Outcome, number> & { all: number }
  /** Endpoints in scope that could not be listed: their containers were NOT acted on. */
  unreachable: Array<{ endpoint: string; error: string }>
  /** Whether the pause/resume announcement reached the bus; null when none was due. */
  announced: boolean | null
}

export interface ReloadContainerResult {
  id: string
  name: string
  endpoint: string
  proved: boolean
  /** The matching log line (without the daemon timestamp). */
  line?: string
  /** Daemon timestamp of the matching line. */
  at?: string
  /**
   * 'paused': the container was paused (by someone else) when inspected just before the signal,
   * so it was not signalled: a signal would have unfrozen it. Its reload happens, if at all, after
   * whoever paused it resumes it.
   */
  deferred?: 'paused'
  error?: string
  ms: number
}

export interface ReloadServiceResult {
  service: string
  signal: string | null
  /**
   * proved: every running container showed evidence; unverifiable: no logPattern configured;
   * deferred: every container was paused, so none was signalled. Paused containers of a service
   * that also has running ones do not count either way; they are listed in `deferred`.
   */
  status: 'proved' | 'not_proved' | 'unverifiable' | 'deferred'
  containers: ReloadContainerResult[]
  /** Names of the containers that were paused and therefore not signalled. */
  deferred: string[]
  /** Why the service as a whole could not be proved (e.g. no running containers). */
  error?: string
  ms: number
}

export interface ReloadResult {
  at: string
  ms: number
  services: ReloadServiceResult[]
  proved: string[]
  notProved: string[]
  unverifiable: string[]
  /** Services none of whose containers could be signalled because all were paused. */
  deferred: string[]
}

/** Announcement published after every pause/resume made through Stackdeck. */
export interface PauseAnnouncement {
  who: string
  door: string
  at: string
  why: string
  containers: string[]
}

export type AnnounceFn = (
  channel: 'orchestrator.paused' | 'orchestrator.resumed',
  payload: PauseAnnouncement,
) => unknown
