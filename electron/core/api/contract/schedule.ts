import { Type, type Static, type TSchema } from 'typebox'
import { ev, op } from '../define'

/**
 * Contract rows of the trading-window scheduler (electron/core/schedule/**). Rule semantics (DST,
 * overnight windows, holidays, early closes) are documented in electron/core/schedule/README.md.
 */

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])

export const ScheduleTransition = Type.Object({
  at: Type.String({ format: 'date-time' }),
  kind: Type.Union([Type.Literal('start'), Type.Literal('stop')]),
  local: Type.String({ description: "Local 'YYYY-MM-DD HH:MM' in `zone` at which it fires." }),
  zone: Type.String(),
  note: Type.Optional(
    Type.String({
      description:
        "'skipped-hour-shifted' (DST gap: fires at the first instant after it), 'repeated-hour-first' (fires at the first of two occurrences) or 'early-close'.",
    }),
  ),
  scheduled: Type.Optional(
    Type.String({
      description: 'The rule time when it differs from `local` (a time inside a skipped hour).',
    }),
  ),
})
export type ScheduleTransitionT = Static<typeof ScheduleTransition>

export const ScheduleRulesView = Type.Object({
  start: Type.String(),
  startKind: Type.Union([Type.Literal('clock'), Type.Literal('cron')]),
  stop: Type.String(),
  stopKind: Type.Union([Type.Literal('clock'), Type.Literal('cron')]),
  timezone: Type.String(),
  timezoneDefaulted: Type.Boolean({
    description: "True when `timezone` is not configured and the machine's zone is used.",
  }),
  days: Nullable(
    Type.Array(Type.String(), {
      description: 'null: a cron start carries the days in its day-of-week field.',
    }),
  ),
  daysDefaulted: Type.Boolean(),
  holidays: Type.Array(Type.String()),
  early_closes: Type.Array(Type.Object({ date: Type.String(), stop: Type.String() })),
  overnight: Type.Boolean({
    description:
      'The window runs past midnight (stop earlier than start); it belongs to the day it starts on.',
  }),
})
export type ScheduleRulesViewT = Static<typeof ScheduleRulesView>

const OverrideUntil = Type.Union([Type.Literal('next-transition'), Type.Literal('cleared')])

export const ScheduleOverride = Type.Object({
  value: Type.Boolean(),
  until: OverrideUntil,
  who: Type.String(),
  why: Type.Optional(Type.String()),
  at: Type.String(),
  expiresAt: Nullable(Type.String({ description: 'With until = next-transition: when the override ends.' })),
})

export const TradingFlagState = Type.Object({
  value: Type.Boolean(),
  version: Type.Integer(),
  who: Type.String(),
  why: Type.String(),
  at: Type.String(),
  source: Type.Optional(Type.String({ description: "'schedule', 'override', 'killswitch', 'manual' or another writer's name." })),
})

const Problem = Type.Object({ path: Type.Optional(Type.String()), message: Type.String() })

export const ScheduleView = Type.Object({
  configured: Type.Boolean({ description: 'A valid [schedule] is in effect.' }),
  rules: Nullable(ScheduleRulesView),
  rulesError: Nullable(Type.Object({ message: Type.String(), details: Type.Array(Problem) })),
  state: Type.Object({
    enabled: Nullable(
      Type.Boolean({
        description:
          'What trading_enabled IS when the flag could be read (the killswitch or another writer may hold it off), else what the schedule wants; null: nothing configured and the flag unknown.',
      }),
    ),
    desired: Nullable(Type.Boolean({ description: 'What the schedule or an override wants now.' })),
    reason: Type.String(),
    code: Type.String(),
    source: Type.Union([
      Type.Literal('schedule'),
      Type.Literal('override'),
      Type.Literal('killswitch'),
      Type.Literal('other'),
      Type.Literal('none'),
    ], { description: "Why `enabled` is what it is: 'killswitch'/'other' when the flag differs from what the schedule wants." }),
    override: Nullable(ScheduleOverride),
    windowStart: Nullable(Type.String()),
    windowEnd: Nullable(Type.String()),
    vetoed: Nullable(Type.String({ description: 'Why turning trading on is held back (e.g. killswitch).' })),
  }),
  flag: Nullable(TradingFlagState),
  flagError: Nullable(Type.String()),
  next: Nullable(ScheduleTransition),
  upcoming: Type.Array(ScheduleTransition),
  machineTimezone: Type.String(),
  now: Type.String(),
  lastError: Nullable(Type.String()),
})
export type ScheduleViewT = Static<typeof ScheduleView>

export const CandidateRules = Type.Object(
  {
    start: Type.String({ maxLength: 200 }),
    stop: Type.String({ maxLength: 200 }),
    timezone: Type.Optional(Type.String({ maxLength: 100 })),
    days: Type.Optional(Type.Array(Type.String({ maxLength: 20 }), { maxItems: 7 })),
    holidays: Type.Optional(Type.Array(Type.String({ maxLength: 20 }), { maxItems: 1000 })),
    early_closes: Type.Optional(
      Type.Array(
        Type.Object(
          { date: Type.String({ maxLength: 20 }), stop: Type.String({ maxLength: 20 }) },
          { additionalProperties: false },
        ),
        {
          maxItems: 1000,
        },
      ),
    ),
  },
  { additionalProperties: false },
)

export const SchedulePreview = Type.Union([
  Type.Object({ ok: Type.Literal(false), errors: Type.Array(Problem) }),
  Type.Object({
    ok: Type.Literal(true),
    rules: ScheduleRulesView,
    enabled: Type.Boolean(),
    reason: Type.String(),
    code: Type.String(),
    windowStart: Nullable(Type.String()),
    windowEnd: Nullable(Type.String()),
    transitions: Type.Array(ScheduleTransition),
    now: Type.String(),
    machineTimezone: Type.String(),
  }),
])
export type SchedulePreviewT = Static<typeof SchedulePreview>

export const ScheduleTransitionEventT = Type.Object({
  at: Type.String({ description: 'When trading_enabled was written.' }),
  kind: Type.Union([Type.Literal('start'), Type.Literal('stop')]),
  enabled: Type.Boolean(),
  source: Type.Union([Type.Literal('schedule'), Type.Literal('override')]),
  next: Nullable(ScheduleTransition),
  reason: Type.String(),
  trigger: Type.String({ description: "'startup', 'timer', 'override', 'refresh' or 'resync'." }),
  who: Type.String(),
  version: Nullable(Type.Integer({ description: 'Version of the trading_enabled record written.' })),
})

export const scheduleOperations = {
  'schedule.get': op({
    summary:
      'The trading schedule: rules with defaults, current state and its source (schedule or override), the flag in Redis, and upcoming transitions.',
    scope: 'read',
    input: Type.Object({}, { additionalProperties: false }),
    result: ScheduleView,
    http: { method: 'GET', path: '/schedule' },
  }),
  'schedule.preview': op({
    summary:
      'Validate candidate rules and list the transitions they would produce. Pure: touches neither Redis nor the running schedule.',
    scope: 'read',
    input: Type.Object(
      {
        rules: CandidateRules,
        now: Type.Optional(
          Type.String({ format: 'date-time', description: 'Evaluate as of this instant (default: now).' }),
        ),
        n: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 10 })),
      },
      { additionalProperties: false },
    ),
    result: SchedulePreview,
    http: { method: 'POST', path: '/schedule/preview' },
  }),
  'schedule.override': op({
    summary:
      'Force trading on or off until the next scheduled transition or until cleared; value null clears the override.',
    scope: 'operate',
    audit: true,
    input: Type.Object(
      {
        value: Type.Union([Type.Boolean(), Type.Null()]),
        until: Type.Optional(OverrideUntil),
        reason: Type.Optional(Type.String({ maxLength: 500 })),
      },
      { additionalProperties: false },
    ),
    result: ScheduleView,
    http: { method: 'POST', path: '/schedule/override' },
  }),
} as const

export const scheduleEvents = {
  'schedule.transition': ev({
    summary:
      'trading_enabled was written by the schedule or an override (a transition, a start-up correction, or an override).',
    payload: ScheduleTransitionEventT,
  }),
} as const
