import { Type } from 'typebox'
import { ev, op } from '../define'
import { Fact, KillswitchFactValue, TradingFactValue } from './state'
import { ConfigViewsInput, ConfigViewsReportT } from './config-views'
import { ALLOWED_SIGNALS, CONTAINER_HEALTHS, CONTAINER_STATES, OUTCOMES } from './stack-values'

// Enum rather than a union of literals: JSON Schema `enum`, and TypeBox keeps the static union.
const literals = <const T extends string[]>(values: readonly [...T], description?: string) =>
  Type.Enum(values, description ? { description } : {})

const ContainerState = literals(CONTAINER_STATES)
const IsoTime = Type.String({ format: 'date-time' })

export const StackContainer = Type.Object({
  id: Type.String(),
  name: Type.String(),
  image: Type.String(),
  endpoint: Type.String({ description: 'Endpoint id.' }),
  service: Type.String({ description: 'First service (settings order) whose selector matches.' }),
  state: ContainerState,
  health: literals(CONTAINER_HEALTHS),
  startedAt: Type.Union([Type.String(), Type.Null()], {
    description: 'Daemon time of the last start; null if never started.',
  }),
  uptimeS: Type.Union([Type.Number(), Type.Null()], {
    description: 'Seconds since startedAt while running or paused.',
  }),
  labels: Type.Record(Type.String(), Type.String()),
})

export const StackEndpoint = Type.Object({
  id: Type.String(),
  url: Type.String(),
  reachable: Type.Boolean({ description: 'The last call to this endpoint succeeded.' }),
  watching: Type.Boolean({ description: 'Its events stream is connected, so its part of the view is live.' }),
  error: Type.Union([Type.String(), Type.Null()]),
  since: IsoTime,
  containers: Type.Integer({ minimum: 0 }),
})

export const StackSnapshot = Type.Object({
  at: IsoTime,
  services: Type.Array(
    Type.Object({
      name: Type.String(),
      endpoint: Type.Union([Type.String(), Type.Null()], {
        description: 'Endpoint id, or null when looked for on all.',
      }),
      containers: Type.Array(StackContainer),
    }),
  ),
  endpoints: Type.Array(StackEndpoint),
})

const Target = Type.Object(
  {
    service: Type.Optional(Type.String({ minLength: 1 })),
    container: Type.Optional(
      Type.String({ minLength: 1, description: 'Container id, unique id prefix (4+ chars) or name.' }),
    ),
  },
  { additionalProperties: false, description: 'Absent: the whole stack.' },
)

const actionInput = {
  target: Type.Optional(Target),
  reason: Type.Optional(
    Type.String({ maxLength: 500, description: 'Why; recorded in the pause/resume announcement.' }),
  ),
}

const ActionInput = Type.Object(actionInput, { additionalProperties: false })

export const StackSignalName = literals(ALLOWED_SIGNALS)

const Totals = Type.Object({
  ok: Type.Integer(),
  already: Type.Integer(),
  skipped: Type.Integer(),
  gone: Type.Integer(),
  failed: Type.Integer(),
  timeout: Type.Integer(),
  all: Type.Integer(),
})

export const StackActionResult = Type.Object({
  action: literals(['pause', 'unpause', 'restart', 'signal'] as const),
  signal: Type.Union([Type.String(), Type.Null()]),
  target: Target,
  ok: Type.Boolean({ description: 'Nothing failed, timed out or was unreachable.' }),
  at: IsoTime,
  ms: Type.Number(),
  containers: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      service: Type.String(),
      endpoint: Type.String(),
      outcome: literals(
        OUTCOMES,
        'ok: done and confirmed by inspect; already: was in that state; skipped: does not apply to its state (e.g. pausing an exited container); gone: removed meanwhile; failed; timeout: not confirmed in time.',
      ),
      state: Type.Union([ContainerState, Type.Null()], { description: 'State seen by the last inspect.' }),
      error: Type.Optional(Type.String()),
      ms: Type.Number(),
    }),
  ),
  totals: Totals,
  unreachable: Type.Array(Type.Object({ endpoint: Type.String(), error: Type.String() }), {
    description: 'Endpoints in scope that could not be listed; their containers were not acted on.',
  }),
  announced: Type.Union([Type.Boolean(), Type.Null()], {
    description: 'Pause/resume: whether the announcement reached the bus; null when none was due.',
  }),
})

const Count = Type.Integer({ minimum: 0 })

// The same facts as state.get: GET /status answers "is it trading, is the killswitch on" too.
const TradingFact = Fact(TradingFactValue)
const KillswitchFact = Fact(KillswitchFactValue)

export const StackStatus = Type.Object({
  at: IsoTime,
  state: literals(['running', 'paused', 'mixed', 'empty', 'unreachable'] as const),
  counts: Type.Object({
    running: Count,
    paused: Count,
    restarting: Count,
    exited: Count,
    dead: Count,
    created: Count,
    removing: Count,
  }),
  containers: Type.Array(StackContainer),
  endpoints: Type.Array(StackEndpoint),
  trading: Type.Optional(TradingFact),
  killswitch: Type.Optional(KillswitchFact),
})

export const stackOperations = {
  'stack.list': op({
    summary: 'Stack containers grouped by service, and every Docker endpoint with its reachability.',
    scope: 'read',
    input: Type.Object({}, { additionalProperties: false }),
    result: StackSnapshot,
    http: { method: 'GET', path: '/stack' },
  }),
  'stack.status': op({
    summary:
      'Overall stack state (running, paused, mixed, empty, unreachable) with counts by container state, plus trading and the killswitch (known or unknown, as in state.get).',
    scope: 'read',
    input: Type.Object({}, { additionalProperties: false }),
    result: StackStatus,
    http: { method: 'GET', path: '/status' },
  }),
  'stack.pause': op({
    summary:
      'Pause the stack, a service or a container; each container is confirmed by inspect. Announced on the bus.',
    scope: 'operate',
    audit: true,
    input: ActionInput,
    result: StackActionResult,
    http: { method: 'POST', path: '/stack/pause' },
  }),
  'stack.resume': op({
    summary:
      'Unpause the stack, a service or a container; each container is confirmed by inspect. Announced on the bus.',
    scope: 'operate',
    audit: true,
    input: ActionInput,
    result: StackActionResult,
    http: { method: 'POST', path: '/stack/resume' },
  }),
  'stack.restart': op({
    summary:
      'Restart the stack, a service or a container. Destructive: the UI confirms first; the API does not.',
    scope: 'operate',
    audit: true,
    input: ActionInput,
    result: StackActionResult,
    http: { method: 'POST', path: '/stack/restart' },
  }),
  'stack.signal': op({
    summary: 'Send a signal (from an allowed list) to the stack, a service or a container.',
    scope: 'operate',
    audit: true,
    input: Type.Object({ ...actionInput, signal: StackSignalName }, { additionalProperties: false }),
    result: StackActionResult,
    http: { method: 'POST', path: '/stack/signal' },
  }),
  'stack.configViews': op({
    summary:
      'How each stack container sees config.toml: directory, single-file bind (keeps the old file after a save), volume or not at all; with the compose fix for a single-file mount, and optionally the bytes each container sees.',
    scope: 'read',
    input: ConfigViewsInput,
    result: ConfigViewsReportT,
    http: { method: 'GET', path: '/stack/config-views' },
  }),
} as const

export const stackEvents = {
  'stack.changed': ev({
    summary: 'The whole stack snapshot (not a diff), at most once per ~50 ms burst of container changes.',
    payload: StackSnapshot,
  }),
} as const
