import { Type, type Static, type TSchema } from 'typebox'
import { ev, op } from '../define'

/**
 * The state the trader relies on (DESIGN.md, "State the trader relies on"): every safety-relevant
 * fact is either `known {value, version, at, source}` or `unknown {since, reason}`. The core owns
 * the model (electron/core/state/**) and every door serves this one shape: `state.get`, the
 * `state.changed` event, and `GET /status` (killswitch and trading).
 *
 * A fact is never filled with a safe-looking default: when its source (Redis, an engine) is away,
 * it is `unknown`, with since when and why.
 */

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])

export const Unknown = Type.Object({
  known: Type.Literal(false),
  since: Type.String({ description: 'When the fact stopped being known (ISO instant).' }),
  reason: Type.String({ description: "Why, e.g. 'Redis unreachable'." }),
})

export const Known = <T extends TSchema>(value: T) =>
  Type.Object({
    known: Type.Literal(true),
    value,
    version: Type.Integer({
      description:
        'Goes only forward for this fact (the Redis record version for trading and the killswitch, a counter otherwise).',
    }),
    at: Type.String({ description: 'When the value was last set or confirmed by its source.' }),
    source: Type.String({ description: "Where the value comes from ('redis', 'docker:<endpoint>', 'schedule', ...)." }),
  })

export const Fact = <T extends TSchema>(value: T) => Type.Union([Known(value), Unknown])

export const TRADING_SOURCES = ['schedule', 'override', 'killswitch', 'manual', 'other'] as const

export const TradingFactValue = Type.Object({
  enabled: Type.Boolean({ description: 'trading_enabled as stored in Redis: what the trading services obey.' }),
  source: Type.Enum(TRADING_SOURCES, { description: 'Which part of Stackdeck (or something else) wrote it.' }),
  who: Type.String(),
  why: Type.String(),
  since: Type.String({ description: 'When it was written.' }),
})

export const KillswitchFactValue = Type.Object({
  engaged: Type.Boolean(),
  reason: Nullable(Type.String()),
  who: Nullable(Type.String()),
  changedAt: Nullable(Type.String()),
  latched: Type.Boolean({
    description: 'Released but trading stays off until someone runs "Resume trading" (trading.resume).',
  }),
  resumeMode: Type.Union([Type.Literal('manual'), Type.Literal('next-start')], {
    description: "'next-start': the latch lifts at the next scheduled start by itself.",
  }),
  stored: Type.Boolean({ description: 'false: engaged here but not yet written to Redis (written on reconnect).' }),
})

export const BusFactValue = Type.Object({
  state: Type.Union([
    Type.Literal('connecting'),
    Type.Literal('ready'),
    Type.Literal('reconnecting'),
    Type.Literal('down'),
  ]),
  url: Type.String(),
  error: Nullable(Type.String()),
})

export const EngineFact = Type.Object({
  id: Type.String(),
  fact: Fact(Type.Object({ reachable: Type.Boolean(), error: Nullable(Type.String()) })),
})

export const ScheduleFactValue = Type.Object({
  configured: Type.Boolean(),
  desired: Nullable(Type.Boolean({ description: 'What the schedule (or an override) wants now.' })),
  source: Type.Union([Type.Literal('schedule'), Type.Literal('override'), Type.Literal('none')]),
  nextKind: Nullable(Type.Union([Type.Literal('start'), Type.Literal('stop')])),
  nextAt: Nullable(Type.String()),
  vetoed: Nullable(Type.String({ description: 'Why turning trading on is held back.' })),
})

export const ContainersFactValue = Type.Object({
  total: Type.Integer(),
  running: Type.Integer(),
  paused: Type.Integer(),
  other: Type.Integer(),
  /** Engines we could not list: their containers are not counted. */
  unreachable: Type.Array(Type.String()),
})

export const SafetyState = Type.Object({
  version: Type.Integer({
    description:
      'Bumped on every change of any fact; seeded from the clock at start so it also goes forward across restarts. A client drops anything older than what it holds.',
  }),
  at: Type.String({ description: 'When the core built this view (also sent every second as a liveness beat).' }),
  trading: Fact(TradingFactValue),
  killswitch: Fact(KillswitchFactValue),
  bus: Fact(BusFactValue),
  engines: Type.Array(EngineFact),
  schedule: Fact(ScheduleFactValue),
  containers: Fact(ContainersFactValue),
})
export type SafetyStateT = Static<typeof SafetyState>
export type TradingFactT = SafetyStateT['trading']
export type KillswitchFactT = SafetyStateT['killswitch']

export const ResumeResult = Type.Object({
  state: SafetyState,
  outcome: Type.String({
    description: 'What happened, in words: e.g. "trading enabled by the schedule" or "the latch is lifted; outside the window".',
  }),
  tradingEnabled: Nullable(Type.Boolean({ description: 'trading_enabled as written (or left) by the resume.' })),
})
export type ResumeResultT = Static<typeof ResumeResult>

export const stateOperations = {
  'state.get': op({
    summary:
      'Every safety-relevant fact (trading, killswitch, bus, engines, schedule, containers) as known {value, version, at, source} or unknown {since, reason}.',
    scope: 'read',
    input: Type.Object({}, { additionalProperties: false }),
    result: SafetyState,
    http: { method: 'GET', path: '/state' },
  }),
  'trading.resume': op({
    summary:
      'Resume trading after a killswitch release: lifts the latch, then trading follows the schedule (or is enabled, with no schedule). Refused while the killswitch is engaged or its state is unknown.',
    scope: 'admin',
    audit: true,
    input: Type.Object(
      {
        reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'Recorded in the audit log.' }),
        confirm: Type.Literal(true, { description: 'Must be literally true: a deliberate act.' }),
      },
      { additionalProperties: false },
    ),
    result: ResumeResult,
    http: { method: 'POST', path: '/trading/resume' },
  }),
} as const

export const stateEvents = {
  'state.changed': ev({
    summary:
      'The whole safety state, whenever a fact changes and at least once a second (a liveness beat: a client that hears nothing for 2 s marks its view stale).',
    payload: SafetyState,
  }),
} as const
