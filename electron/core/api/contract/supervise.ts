import { Type, type Static, type TSchema } from 'typebox'
import { ev, op } from '../define'

/**
 * Contract rows of the supervisor (auto-heal). The supervisor (`electron/core/supervise/**`) returns
 * values typed with the `Static<>` types below, so runtime shapes and schemas cannot drift apart.
 *
 * Scopes: reading is `read`; `reset` (re-arms auto-heal of a failed service) and a manual restart are
 * `operate`. Both refuse with `conflict` while the killswitch, a Save & Restart run or a trader pause
 * blocks the supervisor.
 */

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])
const Literals = <const T extends readonly string[]>(values: T, options?: { description?: string }) => Type.Enum(values, options)

export const SERVICE_SUPERVISION_STATES = ['healthy', 'degraded', 'recovering', 'failed', 'blocked', 'disabled', 'unknown'] as const
export const HEALTH_SOURCES = ['docker', 'heartbeat', 'both'] as const
export const HEARTBEAT_VERDICTS = ['fresh', 'stale', 'unknown'] as const
export const MANUAL_RESTART_OUTCOMES = ['ok', 'failed', 'skipped'] as const

export const SupervisedContainerStatus = Type.Object({
  id: Type.String(),
  name: Type.String(),
  state: Type.String({ description: "Docker state: running, paused, exited, dead, restarting, created, removing." }),
  health: Type.String({ description: 'Docker healthcheck: healthy, unhealthy, starting, none.' }),
  heartbeat: Literals(HEARTBEAT_VERDICTS, {
    description: "Heartbeat of the agent tied to the container; 'unknown' (no agent tied, bus down) is never acted on.",
  }),
  restarts: Type.Integer({ minimum: 0, description: 'Restarts made by Stackdeck since the last reset.' }),
  consecutiveFailures: Type.Integer({ minimum: 0 }),
  problem: Type.Optional(Type.String({ description: 'What is wrong with it now, in words.' })),
})

export const ServiceSupervision = Type.Object({
  service: Type.String(),
  state: Literals(SERVICE_SUPERVISION_STATES, {
    description:
      'healthy; degraded (a problem not being acted on, or fewer containers than desired: Stackdeck does not create containers); recovering (a restart is pending or proving itself); failed (gave up after maxFailedRestarts, until reset); blocked (killswitch, Save & Restart, or trader pause); disabled (autoHeal off: reports only); unknown (the last check could not see the containers, e.g. the engine is unreachable: see `unknown`).',
  }),
  autoHeal: Type.Boolean(),
  healthSource: Literals(HEALTH_SOURCES),
  desired: Type.Integer({ minimum: 0, description: 'Containers expected running.' }),
  actual: Nullable(Type.Integer({ minimum: 0, description: 'Containers running now (paused ones not included); null while unknown.' })),
  paused: Nullable(Type.Integer({ minimum: 0, description: 'Containers paused (never acted on); null while unknown.' })),
  unknown: Type.Optional(
    Type.Object(
      {
        since: Type.String({ format: 'date-time', description: 'First failed check of the current outage.' }),
        reason: Type.String({ description: 'Why the containers cannot be seen, e.g. "engine unreachable: local (…)".' }),
      },
      { description: 'Present while the containers cannot be seen: counts are null and `containers` is empty, never a guess.' },
    ),
  ),
  lastCheckAt: Nullable(Type.String({ format: 'date-time' })),
  lastProblem: Type.Optional(
    Type.String({ description: 'What is wrong now; cleared once a check finds nothing wrong. A failed service keeps its give-up reason until reset.' }),
  ),
  restarts: Type.Integer({ minimum: 0, description: 'Restarts made by Stackdeck since the last reset.' }),
  consecutiveFailures: Type.Integer({ minimum: 0, description: 'Highest count of consecutive failed restarts among its containers.' }),
  nextAttemptAt: Type.Optional(Type.String({ format: 'date-time', description: 'Earliest time the next restart may happen.' })),
  blockedBy: Type.Optional(Type.String({ description: 'Why the supervisor is holding off.' })),
  failedAt: Type.Optional(Type.String({ format: 'date-time' })),
  containers: Type.Array(SupervisedContainerStatus),
})

export const SuperviseStatus = Type.Object({
  at: Type.String({ format: 'date-time' }),
  services: Type.Array(ServiceSupervision),
})

export const ManualRestartResult = Type.Object({
  at: Type.String({ format: 'date-time' }),
  containers: Type.Array(
    Type.Object({
      service: Type.String(),
      id: Type.String(),
      name: Type.String(),
      outcome: Literals(MANUAL_RESTART_OUTCOMES, { description: 'skipped: paused, or a restart already in flight.' }),
      error: Type.Optional(Type.String()),
      ms: Type.Number(),
    }),
  ),
})

export type SupervisedContainerStatusT = Static<typeof SupervisedContainerStatus>
export type ServiceSupervisionT = Static<typeof ServiceSupervision>
export type SuperviseStatusT = Static<typeof SuperviseStatus>
export type ManualRestartResultT = Static<typeof ManualRestartResult>

const ServiceName = Type.String({ minLength: 1, maxLength: 64 })

export const superviseOperations = {
  'supervise.status': op({
    summary: 'Auto-heal state of every supervised service: desired vs actual containers, problems, restarts and backoff.',
    scope: 'read',
    input: Type.Object({}, { additionalProperties: false }),
    result: SuperviseStatus,
    http: { method: 'GET', path: '/supervise' },
  }),
  'supervise.reset': op({
    summary: "Clear a service's failed mark and restart counters so auto-heal acts on it again.",
    scope: 'operate',
    audit: true,
    input: Type.Object({ service: ServiceName }, { additionalProperties: false }),
    result: ServiceSupervision,
    http: { method: 'POST', path: '/supervise/reset' },
  }),
  'supervise.restart': op({
    summary:
      'Restart a service or one container now, bypassing the backoff (paused containers are skipped). Refused while the killswitch, a Save & Restart run or a trader pause blocks the supervisor. Audited by the supervisor itself: the refusal, or per container the intent (supervise.restart.intent) and the outcome (supervise.restart).',
    scope: 'operate',
    audit: 'domain',
    input: Type.Object(
      {
        service: Type.Optional(ServiceName),
        container: Type.Optional(Type.String({ minLength: 1, description: 'Container id, unique id prefix (4+ chars) or name.' })),
        reason: Type.Optional(Type.String({ maxLength: 500 })),
      },
      { additionalProperties: false, description: 'Give service or container (or both: the container must belong to the service).' },
    ),
    result: ManualRestartResult,
    http: { method: 'POST', path: '/supervise/restart' },
  }),
} as const

export const superviseEvents = {
  'supervise.changed': ev({
    summary: 'The supervision status changed (state, counts, problems, backoff); carries the full status.',
    payload: SuperviseStatus,
  }),
} as const
