import { Type, type Static, type TSchema } from 'typebox'
import { ev, op } from '../define'
import { RUN_HEALTHS, RUN_STATES } from './runs'

/**
 * Contract rows of the Redis event bus. The bus core (`electron/core/bus/**`) returns values typed
 * with the `Static<>` types below, so the runtime shapes and these schemas cannot drift apart.
 *
 * Scopes: reading is `read`; agent commands and engaging the killswitch are `operate` (stopping is
 * always allowed to an operator); RELEASING the killswitch is `admin`, because re-arming trading
 * is the more dangerous act.
 */

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])

export const AGENT_GROUPS = ['ingestion', 'signals', 'execution', 'orchestration', 'other'] as const
export const AgentGroup = Type.Enum(AGENT_GROUPS)

export const CONNECTION_STATES = ['connecting', 'ready', 'reconnecting', 'down'] as const
export const ConnectionStateT = Type.Enum(CONNECTION_STATES)

/**
 * Why a bus message was refused. too_deep / too_many_keys / non_finite are shape bounds checked
 * after parsing: a value nested thousands of levels deep parses fine but cannot be serialised
 * again, and `1e999` parses to Infinity, which JSON writes back as null.
 */
export const MALFORMED_REASONS = [
  'oversized',
  'not_json',
  'not_object',
  'too_deep',
  'too_many_keys',
  'non_finite',
  'bad_shape',
] as const

export const AgentAnomaly = Type.Object({
  at: Type.String(),
  kind: Type.Union([Type.Literal('step_regression'), Type.Literal('checkpoint_regression')]),
  previous: Type.Number(),
  received: Type.Number(),
  message: Type.String(),
})

/**
 * How Stackdeck reaches an agent. `redis`: heartbeats on heartbeat.*, commands pushed on
 * agent.<id>.command with an ack on the bus. `http`: a run of the HTTP agent protocol, whose
 * commands the agent pulls from commands/next and acknowledges.
 */
export const AGENT_TRANSPORTS = ['redis', 'http'] as const
export type AgentTransport = (typeof AGENT_TRANSPORTS)[number]

/** The agent's latest HTTP run, as the grid shows it (the whole run is `runs.get`). */
export const AgentRun = Type.Object({
  id: Type.String(),
  state: Type.Enum(RUN_STATES),
  health: Type.Enum(RUN_HEALTHS),
  healthSince: Type.String(),
  lastHeartbeatAt: Nullable(Type.String()),
  heartbeatAgeMs: Nullable(Type.Number({ description: 'At the time of the answer.' })),
  step: Nullable(Type.Integer()),
  checkpointVersion: Nullable(Type.Integer()),
  strategy: Type.String(),
  version: Type.String(),
  pendingCommands: Type.Integer({ minimum: 0 }),
})
export type AgentRunT = Static<typeof AgentRun>

export const Agent = Type.Object({
  id: Type.String(),
  transport: Type.Enum(AGENT_TRANSPORTS, {
    description: 'Where commands to it go: http while it has a run that is not finished (the agent pulls them), else redis.',
  }),
  heardOn: Type.Array(Type.Enum(AGENT_TRANSPORTS), { description: 'Where Stackdeck hears it: its Redis heartbeats, its HTTP run, or both.' }),
  run: Type.Optional(AgentRun),
  name: Type.String(),
  group: AgentGroup,
  groupRaw: Type.String({ description: 'The group string as the agent sent it.' }),
  status: Type.String({
    description:
      "'paused' when its container is paused, 'dead' when silent past the timeout, 'unknown' while the bus is down or just after a reconnect/unpause, else the status the agent reports.",
  }),
  reportedStatus: Type.String(),
  lastBeat: Type.String({
    description: 'When Stackdeck received the last heartbeat (our clock, not the agent\u2019s).',
  }),
  reportedAt: Nullable(Type.String()),
  alive: Type.Boolean({ description: 'now - lastBeat < heartbeat timeout.' }),
  secondsSinceBeat: Type.Number(),
  beats: Type.Integer(),
  step: Type.Optional(Type.Number()),
  checkpointVersion: Type.Optional(Type.Number()),
  anomalies: Type.Array(AgentAnomaly, { description: 'Most recent anomalies, newest last (bounded).' }),
  anomalyCount: Type.Integer(),
  containerId: Type.Optional(Type.String()),
  hostname: Type.Optional(Type.String()),
  paused: Type.Boolean({ description: 'Its container is paused: not dead, raises no alarm.' }),
})
export type AgentT = Static<typeof Agent>

export const AgentTotals = Type.Object({
  total: Type.Integer(),
  alive: Type.Integer(),
  dead: Type.Integer(),
  paused: Type.Integer(),
  unknown: Type.Integer(),
  ended: Type.Optional(Type.Integer({ description: 'Agents whose HTTP run finished (completed, failed, terminated): listed, in no other count.' })),
})
export type AgentTotalsT = Static<typeof AgentTotals>

export const AgentHealthEntry = Type.Object({
  id: Type.String(),
  name: Type.String(),
  agent_group: Type.String(),
  status: Type.String({
    description:
      "As in bus.agents; 'unknown' for an agent only the history store knows (not heard since Stackdeck started) or while the bus is down.",
  }),
  last_beat: Nullable(Type.String()),
  is_alive: Type.Boolean(),
  seconds_since_beat: Nullable(Type.Number()),
  known_from: Type.Union([Type.Literal('live'), Type.Literal('history')], {
    description: 'live: the registry has heard it since Stackdeck started; history: only the store remembers it.',
  }),
})

export const AgentHealth = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')], {
    description: 'degraded: the bus is not connected, so no agent can be known to be alive (see reason).',
  }),
  reason: Nullable(Type.String()),
  timestamp: Type.String(),
  agents: Type.Array(AgentHealthEntry),
  total_agents: Type.Integer(),
  active_agents: Type.Integer({ description: 'Agents alive now.' }),
  history: Nullable(Type.String({ description: 'Why agents from the history store are not included, when they are not.' })),
})
export type AgentHealthT = Static<typeof AgentHealth>

export const BusEvent = Type.Object({
  id: Type.Integer({
    description:
      'Cursor id; strictly increasing, seeded from the start time so ids of an earlier run are older.',
  }),
  channel: Type.String(),
  type: Type.String({
    description: "The channel's leading segments, e.g. 'heartbeat', 'data.market', 'risk'.",
  }),
  source: Nullable(Type.String()),
  ts: Type.String({ description: 'When Stackdeck received it.' }),
  payload: Type.Unknown(),
})
export type BusEventT = Static<typeof BusEvent>

export const EventsQuery = Type.Object(
  {
    since: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'Cursor: events with a larger id. Absent: the newest events.',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    type: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Channel prefix at a dot boundary, e.g. heartbeat or data.market.',
      }),
    ),
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
)
export type EventsQueryT = Static<typeof EventsQuery>

export const EventsPage = Type.Object({
  events: Type.Array(BusEvent),
  nextCursor: Type.Integer(),
  dropped: Type.Integer({
    description:
      'Events after `since` that are in neither the ring nor the history store (evicted before they were stored, or history was off).',
  }),
  fromStore: Type.Optional(
    Type.Integer({
      minimum: 0,
      description:
        'How many of these events came from the history store: a cursor older than the ring is served from the store by the same ids.',
    }),
  ),
  history: Type.Optional(
    Type.String({
      description:
        'Why events older than the ring could not be read from the history store, or what it does not keep (store.channels).',
    }),
  ),
})
export type EventsPageT = Static<typeof EventsPage>

export const MalformedCounts = Type.Object(
  Object.fromEntries(MALFORMED_REASONS.map((r) => [r, Type.Integer({ minimum: 0 })])) as Record<
    (typeof MALFORMED_REASONS)[number],
    ReturnType<typeof Type.Integer>
  >,
)

export const ChannelStat = Type.Object({
  channel: Type.String(),
  type: Type.String(),
  count: Type.Integer({ description: 'Accepted messages.' }),
  malformed: Type.Integer({
    description:
      'Dropped messages (oversized, not JSON, not an object, too deep, too many keys, non-finite number, wrong shape).',
  }),
  malformedByReason: Type.Optional(
    Type.Partial(MalformedCounts, {
      description: 'The dropped messages of this channel by reason; only reasons that occurred.',
    }),
  ),
  rate: Type.Number({ description: 'Messages per second (accepted + dropped) over the sliding window.' }),
  bytes: Type.Number(),
  lastAt: Nullable(Type.String()),
})
export type ChannelStatT = Static<typeof ChannelStat>

export const ConnectionInfo = Type.Object({
  state: ConnectionStateT,
  since: Type.String(),
  url: Type.String({ description: 'Redis URL with the password redacted.' }),
  error: Nullable(Type.String()),
  attempts: Type.Integer({ description: 'Failed connection attempts since the last ready.' }),
})
export type ConnectionInfoT = Static<typeof ConnectionInfo>

export const KillswitchRound = Type.Object({
  requestId: Type.String(),
  startedAt: Type.String(),
  endedAt: Nullable(Type.String()),
  timeoutMs: Type.Integer(),
  asked: Type.Array(Type.String(), {
    description: 'Agents alive (and not paused) when the request went out.',
  }),
  acked: Type.Array(Type.Object({ agentId: Type.String(), ms: Type.Number() })),
  alreadyPaused: Type.Array(Type.String(), {
    description: 'Execution agents that did not ack but whose container was already paused.',
  }),
  paused: Type.Array(
    Type.Object({ agentId: Type.String(), ok: Type.Boolean(), error: Type.Optional(Type.String()) }),
    { description: 'Execution agents that did not ack in time and were paused at Docker level.' },
  ),
  silent: Type.Array(Type.String(), {
    description: 'Non-execution agents that did not ack (informational).',
  }),
})
export type KillswitchRoundT = Static<typeof KillswitchRound>

const FrozenContainer = Type.Object({ id: Type.String(), name: Type.String(), service: Type.String(), endpoint: Type.String() })

export const KillswitchState = Type.Object({
  engaged: Type.Boolean(),
  latched: Type.Boolean({
    description:
      'Trading is held off by the killswitch: set on engage and kept on release; only trading.resume (or, if configured, the next scheduled start) clears it.',
  }),
  reason: Nullable(Type.String()),
  who: Nullable(Type.String()),
  at: Nullable(Type.String()),
  version: Type.Integer({ description: 'Bumped atomically in Redis on every engage/release.' }),
  stored: Type.Boolean({
    description: 'false: the latest change is not in Redis yet (written on reconnect).',
  }),
  lastRound: Nullable(KillswitchRound),
  frozen: Type.Optional(
    Type.Array(FrozenContainer, {
      description: 'Containers the killswitch paused itself and has not resumed: a release resumes exactly these, where still paused.',
    }),
  ),
  leftAlone: Type.Optional(
    Type.Array(FrozenContainer, {
      description: 'Containers already paused (by someone else) when it engaged: never resumed by a release.',
    }),
  ),
})
export type KillswitchStateT = Static<typeof KillswitchState>

const ActionOutcome = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('failed'), Type.Literal('skipped')]),
  error: Type.Optional(Type.String()),
})

export const KillswitchResult = Type.Object({
  state: KillswitchState,
  actions: Type.Object({
    store: ActionOutcome,
    trading: ActionOutcome,
    announce: ActionOutcome,
    stackPause: ActionOutcome,
    audit: ActionOutcome,
  }),
  warnings: Type.Array(Type.String()),
})
export type KillswitchResultT = Static<typeof KillswitchResult>

export const TradingState = Type.Object({
  key: Type.String(),
  enabled: Nullable(Type.Boolean()),
  raw: Nullable(Type.String()),
  readAt: Nullable(Type.String()),
})
export type TradingStateT = Static<typeof TradingState>

export const RegimeView = Type.Object({
  regime: Nullable(Type.String()),
  confidence: Nullable(Type.Number()),
  at: Nullable(Type.String({ description: 'The detector\u2019s own timestamp, as sent.' })),
  receivedAt: Nullable(Type.String()),
  ageS: Nullable(Type.Number()),
  source: Type.Union([Type.Literal('live'), Type.Literal('stored'), Type.Literal('none')]),
  payload: Type.Unknown(),
})
export type RegimeViewT = Static<typeof RegimeView>

export const BusStatus = Type.Object({
  connection: ConnectionInfo,
  patterns: Type.Array(Type.String()),
  totals: Type.Object({
    messages: Type.Integer(),
    malformed: Type.Integer(),
    rate: Type.Number(),
    malformedByReason: MalformedCounts,
  }),
  lastMalformed: Nullable(
    Type.Object({
      channel: Type.String(),
      reason: Type.String(),
      at: Type.String(),
      sample: Type.String({ description: 'The first 200 characters of the message.' }),
      path: Type.Optional(
        Type.String({ description: 'JSON pointer of the value that broke a shape bound.' }),
      ),
    }),
  ),
  channels: Type.Array(ChannelStat),
  events: Type.Object({
    capacity: Type.Integer(),
    size: Type.Integer(),
    firstId: Type.Integer(),
    lastId: Type.Integer(),
    evicted: Type.Integer(),
  }),
  killswitch: KillswitchState,
  trading: TradingState,
})
export type BusStatusT = Static<typeof BusStatus>

export const COMMAND_TYPES = ['pause', 'resume', 'terminate', 'tune'] as const
export const COMMAND_STATES = ['queued', 'delivered', 'undelivered', 'acked', 'rejected', 'timeout', 'expired', 'failed'] as const

export const AgentCommand = Type.Object({
  commandId: Type.String(),
  agentId: Type.String(),
  transport: Type.Enum(AGENT_TRANSPORTS),
  runId: Nullable(Type.String({ description: 'http: the run the command was queued for.' })),
  type: Type.Enum(COMMAND_TYPES),
  params: Type.Record(Type.String(), Type.Unknown()),
  who: Type.String(),
  issuedAt: Type.String(),
  deliveredAt: Nullable(Type.String({ description: 'redis: when PUBLISH reached a subscriber; http: when the agent pulled it.' })),
  expiresAt: Nullable(Type.String({ description: 'http: not delivered or acknowledged by then, it is expired and never delivered late.' })),
  state: Type.Enum(COMMAND_STATES, {
    description:
      'queued (http): waiting for the agent to pull it; delivered: PUBLISH reached >=1 subscriber (redis) or the agent pulled it (http), waiting for the ack; undelivered (redis): nobody listened; acked/rejected: the agent answered ok true/false; timeout (redis): no ack in time; expired (http): not pulled or acknowledged before its expiry; failed: could not publish.',
  }),
  receivers: Type.Integer(),
  ackedAt: Nullable(Type.String()),
  ackMs: Nullable(Type.Number()),
  late: Type.Boolean({ description: 'The ack arrived after the timeout.' }),
  message: Nullable(Type.String()),
})
export type AgentCommandT = Static<typeof AgentCommand>

const AgentId = Type.String({ pattern: '^[A-Za-z0-9_.:@-]{1,128}$' })

export const CommandInput = Type.Object(
  {
    agentId: AgentId,
    type: Type.Enum(COMMAND_TYPES),
    params: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'tune needs at least one field.' }),
    ),
    wait: Type.Optional(
      Type.Boolean({ default: true, description: 'Wait for the ack (or its timeout) before answering.' }),
    ),
  },
  { additionalProperties: false },
)
export type CommandInputT = Static<typeof CommandInput>

const Confirmed = (what: string) =>
  Type.Object(
    {
      reason: Type.String({
        minLength: 1,
        maxLength: 500,
        pattern: '\\S',
        description: `Why ${what}; recorded in the audit log.`,
      }),
      confirm: Type.Literal(true, { description: 'Must be literally true: a deliberate act.' }),
    },
    { additionalProperties: false },
  )

export const BusUpdate = Type.Object({
  seq: Type.Integer(),
  at: Type.String(),
  connection: Type.Optional(ConnectionInfo),
  agents: Type.Array(Agent, { description: 'Agents that changed since the previous batch.' }),
  removedAgents: Type.Optional(
    Type.Array(Type.String(), { description: 'Agents forgotten (silent past the forget horizon).' }),
  ),
  totals: AgentTotals,
  events: Type.Array(BusEvent, { description: 'New events, oldest first (at most maxEventsPerBatch).' }),
  eventsSkipped: Type.Integer({ description: 'New events not included (query bus.events for them).' }),
  cursor: Type.Integer({ description: 'Id of the newest event the bus has.' }),
  rates: Type.Optional(Type.Object({ total: Type.Number(), channels: Type.Array(ChannelStat) })),
  killswitch: Type.Optional(KillswitchState),
  trading: Type.Optional(TradingState),
  regime: Type.Optional(RegimeView),
  commands: Type.Optional(Type.Array(AgentCommand, { description: 'Commands whose state changed.' })),
})
export type BusUpdateT = Static<typeof BusUpdate>

export const AgentDied = Type.Object({
  agentId: Type.String(),
  name: Type.String(),
  group: AgentGroup,
  lastBeat: Type.String(),
  secondsSinceBeat: Type.Number(),
  at: Type.String(),
})
export type AgentDiedT = Static<typeof AgentDied>

const NoInput = Type.Object({}, { additionalProperties: false })

export const busOperations = {
  'bus.status': op({
    summary:
      'Redis connection, subscribed patterns, per-channel counts/rates/malformed counts, the killswitch and trading flag.',
    scope: 'read',
    input: NoInput,
    result: BusStatus,
    http: { method: 'GET', path: '/bus/status' },
  }),
  'bus.agents': op({
    summary: 'Agents seen on heartbeat.* with liveness, anomalies and pause state, plus totals.',
    scope: 'read',
    input: NoInput,
    result: Type.Object({
      agents: Type.Array(Agent),
      totals: AgentTotals,
      connection: ConnectionStateT,
      timeoutMs: Type.Integer(),
    }),
    http: { method: 'GET', path: '/agents' },
  }),
  'bus.events': op({
    summary:
      'Page through bus events by cursor, optionally filtered by type (channel prefix) or source: the live ring, and the history store (when on) for cursors older than the ring.',
    scope: 'read',
    input: EventsQuery,
    result: EventsPage,
    http: { method: 'GET', path: '/bus/events' },
  }),
  'agents.health': op({
    summary:
      "The agent registry in the Orchestrator-Lite seed's GET /health/agents shape, so its dashboard can point at Stackdeck; with the history store on, agents not heard since Stackdeck started are listed from the store.",
    scope: 'read',
    input: NoInput,
    result: AgentHealth,
    http: { method: 'GET', path: '/health/agents' },
  }),
  'bus.regime': op({
    summary: 'The latest quant.regime.state with its age.',
    scope: 'read',
    input: NoInput,
    result: RegimeView,
    http: { method: 'GET', path: '/regime/state' },
  }),
  'bus.killswitch.get': op({
    summary: 'Killswitch state as stored in Redis, with the last acknowledgement round.',
    scope: 'read',
    input: NoInput,
    result: KillswitchState,
    http: { method: 'GET', path: '/risk/killswitch' },
  }),
  'bus.killswitch.engage': op({
    summary:
      'Stop trading now: store the killswitch, disable trading, announce on risk.killswitch, optionally pause the stack, and pause execution agents that do not acknowledge in time.',
    scope: 'operate',
    audit: 'domain',
    input: Confirmed('the killswitch is engaged'),
    result: KillswitchResult,
    http: { method: 'POST', path: '/risk/killswitch' },
  }),
  'bus.killswitch.release': op({
    summary:
      'Release the killswitch (admin: re-arming is the dangerous act). Re-arms it but leaves trading DISABLED (latched) until trading.resume; resumes only the containers the killswitch itself paused (state.frozen), never ones that were paused before it engaged.',
    scope: 'admin',
    audit: 'domain',
    input: Confirmed('the killswitch is released'),
    result: KillswitchResult,
    http: { method: 'POST', path: '/risk/killswitch/release' },
  }),
  'bus.command': op({
    summary:
      'Send pause/resume/terminate/tune to one agent by its transport: pushed on agent.<id>.command with an ack on the bus, or, for an agent with an unfinished HTTP run, queued for it to pull (commands/next) and acknowledge. wait holds the answer until the ack or the ack timeout.',
    scope: 'operate',
    audit: true,
    input: CommandInput,
    result: AgentCommand,
    http: { method: 'POST', path: '/agents/command' },
  }),
  'bus.commands': op({
    summary: 'Recent agent commands on both transports with their delivery/ack state, newest first.',
    scope: 'read',
    input: Type.Object(
      {
        agentId: Type.Optional(AgentId),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
      },
      { additionalProperties: false },
    ),
    result: Type.Object({ commands: Type.Array(AgentCommand) }),
    http: { method: 'GET', path: '/agents/commands' },
  }),
} as const

export const busEvents = {
  'bus.update': ev({
    summary:
      'Coalesced bus changes (agents, new events, rates, killswitch, regime), at most one per batch interval.',
    payload: BusUpdate,
  }),
  'bus.agentDied': ev({
    summary: 'An agent went from alive to dead (not paused, bus connected): worth a desktop notification.',
    payload: AgentDied,
  }),
} as const
