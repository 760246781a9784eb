import { Type, type Static } from 'typebox'
import { ev, op } from '../define'

/**
 * Contract rows of the history store: bus events, agent status transitions and state changes kept
 * across restarts (embedded PGlite by default, PostgreSQL with store.url).
 */

const Time = (description: string) => Type.String({ format: 'date-time', description })
const Glob = (what: string) =>
  Type.String({ minLength: 1, maxLength: 200, description: `${what} glob: * any run, ? one character.` })
const Text = Type.String({ minLength: 1, maxLength: 200 })
const NullableText = Type.Union([Type.String(), Type.Null()])

export const HistoryStatus = Type.Object({
  enabled: Type.Boolean({ description: 'store.enabled; false: nothing is recorded.' }),
  engine: Type.Union([Type.Literal('pglite'), Type.Literal('postgres')]),
  state: Type.Union(
    [
      Type.Literal('off'),
      Type.Literal('opening'),
      Type.Literal('unavailable'),
      Type.Literal('writing'),
      Type.Literal('paused'),
      Type.Literal('stopped'),
    ],
    {
      description:
        'paused / unavailable: the database cannot be written or opened now (see reason); the live view is unaffected.',
    },
  ),
  reason: NullableText,
  since: Type.Union([Type.String(), Type.Null()], { description: 'Since when it is paused or unavailable.' }),
  written: Type.Integer({ minimum: 0 }),
  buffered: Type.Integer({ minimum: 0, description: 'Events read from the bus and not stored yet.' }),
  dropped: Type.Object({
    evicted: Type.Integer({
      minimum: 0,
      description: 'Gone from the ring before the writer read them (the store fell behind).',
    }),
    overflow: Type.Integer({ minimum: 0, description: 'Dropped from the bounded buffer during an outage.' }),
  }),
  lagMs: Type.Number({ minimum: 0, description: 'Age of the oldest event not stored yet.' }),
  lastWriteAt: NullableText,
  disk: Type.Object({
    bytes: Type.Union([Type.Number(), Type.Null()], {
      description: 'What the events table and its indexes take.',
    }),
    limit: Type.Number(),
    percent: Type.Union([Type.Number(), Type.Null()]),
  }),
  events: Type.Union([Type.Number(), Type.Null()]),
  oldest: NullableText,
  retentionDropped: Type.Integer({ minimum: 0, description: 'Events removed by retention since start.' }),
})
export type HistoryStatusT = Static<typeof HistoryStatus>

export const StoredEvent = Type.Object({
  cursor: Type.Integer(),
  receivedAt: Type.String(),
  channel: Type.String(),
  type: NullableText,
  source: NullableText,
  agent: NullableText,
  payload: Type.String({ description: 'The message as received (NUL shown as U+FFFD).' }),
  host: Type.String({ description: 'The Stackdeck that stored it.' }),
})

export const HistoryEventsQuery = Type.Object(
  {
    from: Type.Optional(Time('At or after.')),
    to: Type.Optional(Time('Before.')),
    channel: Type.Optional(Glob('Channel')),
    type: Type.Optional(Glob('Type')),
    source: Type.Optional(Text),
    agent: Type.Optional(Text),
    // Bounded: JSON integers have no limit, and a bigint cursor past 2^53 cannot be a real one (the
    // fuzz suite sent 3.7e188, which reached PostgreSQL as an out-of-range bigint: a 500).
    after: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'Cursor: the next page, ascending.',
      }),
    ),
    before: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'Cursor: the next page, descending.',
      }),
    ),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
)

const StateKind = Type.Union([
  Type.Literal('killswitch'),
  Type.Literal('trading'),
  Type.Literal('regime'),
  Type.Literal('workflow'),
  Type.Literal('supervise'),
])

export const historyOperations = {
  'history.status': op({
    summary: 'Whether history is being recorded, its lag, what it dropped and its disk use.',
    scope: 'read',
    input: Type.Object({}, { additionalProperties: false }),
    result: HistoryStatus,
    http: { method: 'GET', path: '/history/status' },
  }),
  'history.events': op({
    summary: 'Stored bus events by time range, channel/type glob, source and agent, with cursor pagination.',
    scope: 'read',
    input: HistoryEventsQuery,
    result: Type.Object({
      events: Type.Array(StoredEvent),
      next: Type.Union([Type.Integer(), Type.Null()], {
        description: 'Pass as after (asc) or before (desc); null at the end.',
      }),
    }),
    http: { method: 'GET', path: '/history/events' },
  }),
  'history.counts': op({
    summary: 'Stored events per minute and channel in a time range, for charts.',
    scope: 'read',
    input: Type.Object(
      { from: Time('At or after.'), to: Time('Before.'), channel: Type.Optional(Glob('Channel')) },
      { additionalProperties: false },
    ),
    result: Type.Object({
      counts: Type.Array(
        Type.Object({ minute: Type.String(), channel: Type.String(), count: Type.Integer() }),
      ),
    }),
    http: { method: 'GET', path: '/history/counts' },
  }),
  'history.agent': op({
    summary: "An agent's status timeline (alive, dead, paused, ...), oldest first.",
    scope: 'read',
    input: Type.Object(
      { agent: Text, from: Type.Optional(Time('At or after.')), to: Type.Optional(Time('Before.')) },
      { additionalProperties: false },
    ),
    result: Type.Object({
      transitions: Type.Array(
        Type.Object({ at: Type.String(), from: NullableText, to: Type.String(), detail: Type.Unknown() }),
      ),
    }),
    http: { method: 'GET', path: '/history/agent' },
  }),
  'history.state': op({
    summary:
      'State history: killswitch engage/release, trading_enabled changes, regime changes, Save & Restart runs, supervised restarts.',
    scope: 'read',
    input: Type.Object(
      {
        kind: Type.Optional(StateKind),
        from: Type.Optional(Time('At or after.')),
        to: Type.Optional(Time('Before.')),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
      },
      { additionalProperties: false },
    ),
    result: Type.Object({
      records: Type.Array(
        Type.Object({
          at: Type.String(),
          kind: StateKind,
          who: NullableText,
          why: NullableText,
          detail: Type.Unknown(),
          host: Type.String(),
        }),
      ),
    }),
    http: { method: 'GET', path: '/history/state' },
  }),
} as const

export const historyEvents = {
  'history.status': ev({
    summary: 'The history store started or stopped writing, or its figures changed.',
    payload: HistoryStatus,
  }),
} as const
