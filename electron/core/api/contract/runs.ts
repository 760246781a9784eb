import { Type, type Static } from 'typebox'
import { ev, op } from '../define'

/**
 * Contract rows of runs and the HTTP agent protocol (seed 004): a run registry with a state
 * machine, heartbeats whose `step` and `checkpoint_version` never go backwards, and control
 * commands the agent pulls (`commands/next` stamps `deliveredAt`) and acknowledges (`ack` stamps
 * `acknowledgedAt`). The agent-facing routes live under the seed's `/api/v1` prefix.
 */

export const RUN_STATES = ['queued', 'running', 'paused', 'completed', 'failed', 'terminated'] as const
export type RunState = (typeof RUN_STATES)[number]
export const RUN_HEALTHS = ['pending', 'healthy', 'late', 'unhealthy', 'lost', 'paused', 'ended'] as const
export type RunHealth = (typeof RUN_HEALTHS)[number]
export const RUN_COMMAND_TYPES = ['pause', 'resume', 'terminate', 'tune'] as const
export const RUN_COMMAND_STATUSES = ['queued', 'delivered', 'acknowledged', 'expired'] as const

/** The heartbeat body's cap; bigger answers 413 before it is parsed (seed: http.MaxBytesReader). */
export const HEARTBEAT_MAX_BYTES = 16_384

const Id = (what: string) => Type.String({ pattern: '^[A-Za-z0-9_.:@-]{1,128}$', description: what })
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])
const Params = (description: string) =>
  Type.Record(Type.String({ maxLength: 128 }), Type.Unknown(), { maxProperties: 64, description })
const Reason = Type.String({ minLength: 1, maxLength: 500, description: 'Why; recorded with the transition and in the audit log.' })

export const RunTransition = Type.Object({
  at: Type.String(),
  from: Nullable(Type.Enum(RUN_STATES)),
  to: Type.Enum(RUN_STATES),
  who: Type.String(),
  why: Type.String(),
})
export type RunTransitionT = Static<typeof RunTransition>

export const Run = Type.Object({
  id: Type.String(),
  agent: Type.String({ description: 'The agent this run belongs to (one row in the agent grid).' }),
  strategy: Type.String({ description: 'The experiment or strategy it runs.' }),
  version: Type.String(),
  overrides: Nullable(Params('Parameter overrides given at creation.')),
  container: Nullable(Type.String({ description: 'The container it runs in, when known: a paused container makes the run paused, not lost.' })),
  createdBy: Type.String(),
  createdAt: Type.String(),
  state: Type.Enum(RUN_STATES),
  stateSince: Type.String(),
  health: Type.Enum(RUN_HEALTHS, {
    description: 'From the heartbeat age: pending (no heartbeat yet), healthy, late, unhealthy, lost; paused while the run or its container is paused; ended once completed, failed or terminated.',
  }),
  healthSince: Type.String(),
  lastHeartbeatAt: Nullable(Type.String()),
  heartbeatAgeMs: Nullable(Type.Number({ description: 'At the time of the answer.' })),
  step: Nullable(Type.Integer()),
  checkpointVersion: Nullable(Type.Integer()),
  runtimeStatus: Nullable(Type.String({ description: 'What the agent last said it was doing.' })),
  metrics: Nullable(Params('The last heartbeat\'s metrics.')),
  heartbeats: Type.Integer({ minimum: 0, description: 'Accepted heartbeats.' }),
  pendingCommands: Type.Integer({ minimum: 0, description: 'Queued or delivered, not acknowledged nor expired.' }),
})
export type RunT = Static<typeof Run>

export const RunCommand = Type.Object({
  id: Type.String(),
  runId: Type.String(),
  type: Type.Enum(RUN_COMMAND_TYPES),
  params: Params('tune: the fields to change; the others: optional.'),
  createdBy: Type.String(),
  createdAt: Type.String(),
  deliveredAt: Nullable(Type.String()),
  acknowledgedAt: Nullable(Type.String()),
  expiresAt: Type.String({ description: 'After this an undelivered command is never delivered, and an unacknowledged one is expired.' }),
  status: Type.Enum(RUN_COMMAND_STATUSES),
  result: Nullable(Type.Object({ ok: Type.Boolean(), message: Nullable(Type.String()) })),
})
export type RunCommandT = Static<typeof RunCommand>

export const Heartbeat = Type.Object(
  {
    id: Id('The run.'),
    step: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Never lower than the last accepted one.' }),
    checkpoint_version: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Never lower than the last accepted one (the seed\'s field name).' }),
    status: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'What the agent is doing (e.g. training, evaluating).' })),
    metrics: Type.Optional(Params('Figures to show with the run (loss, pnl, ...).')),
    message: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
)
export type HeartbeatT = Static<typeof Heartbeat>

const RunRef = Type.Object({ id: Id('The run.') }, { additionalProperties: false })

export const runsOperations = {
  'runs.create': op({
    summary: 'Create a run (state queued); it turns running with its first heartbeat.',
    scope: 'operate',
    audit: true,
    input: Type.Object(
      {
        agent: Id('The agent id the run belongs to.'),
        strategy: Type.String({ minLength: 1, maxLength: 200 }),
        version: Type.String({ minLength: 1, maxLength: 100 }),
        overrides: Type.Optional(Params('Parameter overrides.')),
        container: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Container name or id it runs in.' })),
        id: Type.Optional(Id('Client-chosen id; a repeat with the same fields answers the same run (idempotent), with other fields 409.')),
      },
      { additionalProperties: false },
    ),
    result: Type.Object({ run: Run, created: Type.Boolean() }),
    http: { method: 'POST', path: '/api/v1/runs', status: { field: 'created', whenTrue: 201, whenFalse: 200 } },
  }),
  'runs.get': op({
    summary: 'One run, with its transitions and its latest commands.',
    scope: 'read',
    input: RunRef,
    result: Type.Object({ run: Run, transitions: Type.Array(RunTransition), commands: Type.Array(RunCommand) }),
    http: { method: 'GET', path: '/api/v1/runs/{id}' },
  }),
  'runs.list': op({
    summary: 'Runs, newest first, by state and agent.',
    scope: 'read',
    input: Type.Object(
      {
        state: Type.Optional(Type.Enum(RUN_STATES)),
        agent: Type.Optional(Id('Only this agent\'s runs.')),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
      },
      { additionalProperties: false },
    ),
    result: Type.Object({ runs: Type.Array(Run) }),
    http: { method: 'GET', path: '/api/v1/runs' },
  }),
  'runs.heartbeat': op({
    summary: 'Record a heartbeat: step and checkpoint_version may not go backwards (409 names the field and both values); an exact repeat of the last one is accepted once.',
    scope: 'operate',
    // Not one record per beat (one a second per run): the domain audits what a beat changed
    // (the run started) and each refused regression.
    audit: 'domain',
    input: Heartbeat,
    result: Type.Object({ run: Run, duplicate: Type.Boolean({ description: 'An exact repeat of the last heartbeat, accepted without recording it again.' }) }),
    http: { method: 'POST', path: '/api/v1/runs/{id}/heartbeat', maxBodyBytes: HEARTBEAT_MAX_BYTES },
  }),
  'runs.transition': op({
    summary: 'Move a run to another state (completed, failed, ...); an illegal transition answers 409.',
    scope: 'operate',
    audit: true,
    input: Type.Object({ id: Id('The run.'), to: Type.Enum(RUN_STATES), reason: Reason }, { additionalProperties: false }),
    result: Type.Object({ run: Run }),
    http: { method: 'POST', path: '/api/v1/runs/{id}/state' },
  }),
  'runs.commands.create': op({
    summary: 'Queue a control command for the run\'s agent to pull; a repeated commandId is idempotent.',
    scope: 'operate',
    audit: true,
    input: Type.Object(
      {
        id: Id('The run.'),
        type: Type.Enum(RUN_COMMAND_TYPES),
        params: Type.Optional(Params('tune: at least one field; pause/resume/terminate: optional (reason, ...).')),
        commandId: Type.Optional(Id('Client-chosen id: a repeat with the same type and params answers the same command.')),
      },
      { additionalProperties: false },
    ),
    result: Type.Object({ command: RunCommand, created: Type.Boolean() }),
    http: { method: 'POST', path: '/api/v1/runs/{id}/commands', status: { field: 'created', whenTrue: 201, whenFalse: 200 } },
  }),
  'runs.commands.next': op({
    summary: 'The oldest undelivered command, stamped delivered; 204 when none. wait=N long-polls up to N seconds.',
    scope: 'operate',
    audit: 'domain', // each delivery is recorded; an empty poll is not

    input: Type.Object(
      { id: Id('The run.'), wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 30, default: 0, description: 'Seconds to wait for a command.' })) },
      { additionalProperties: false },
    ),
    result: Type.Object({ command: Nullable(RunCommand) }),
    http: { method: 'GET', path: '/api/v1/runs/{id}/commands/next', noContentWhenNull: 'command' },
  }),
  'runs.commands.ack': op({
    summary: 'Acknowledge a delivered command with its result; stamps acknowledgedAt. A repeat with the same result is idempotent.',
    scope: 'operate',
    audit: true,
    input: Type.Object(
      { id: Id('The run.'), cmd: Id('The command.'), ok: Type.Boolean(), message: Type.Optional(Type.String({ maxLength: 500 })) },
      { additionalProperties: false },
    ),
    result: Type.Object({ command: RunCommand, run: Run }),
    http: { method: 'POST', path: '/api/v1/runs/{id}/commands/{cmd}/ack' },
  }),
} as const

/** The operations an `agent`-scoped token may call, each for its own agent's runs only. */
export const AGENT_OPERATIONS: ReadonlySet<string> = new Set(['runs.heartbeat', 'runs.commands.next', 'runs.commands.ack'])

export const runsEvents = {
  'runs.changed': ev({ summary: 'A run was created, changed state or health, or beat (at most one per run per second).', payload: Run }),
  'runs.command': ev({ summary: 'A run command was queued, delivered, acknowledged or expired.', payload: RunCommand }),
} as const
