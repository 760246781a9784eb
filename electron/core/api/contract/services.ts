import { Type, type Static } from 'typebox'
import { ev, op } from '../define'

/**
 * Contract rows of the services managed live (`electron/core/services/**`) and of discovery.
 *
 * `ServiceSchema` is THE shape of a service: the settings schema (`core/settings/settings-schema.ts`,
 * hence `schemas/settings.schema.json`) takes it from here, so a service written by hand in
 * settings.json and one sent to `POST /services` are validated by the same definition.
 */

const Duration = (def: number, description: string) => Type.Integer({ minimum: 0, maximum: 3_600_000, default: def, description })

export const SERVICE_NAME_PATTERN = '^[a-zA-Z0-9_.-]{1,64}$'
const ServiceName = Type.String({ pattern: SERVICE_NAME_PATTERN })

export const ServiceSchema = Type.Object(
  {
    name: ServiceName,
    selector: Type.Record(Type.String({ minLength: 1 }), Type.String(), {
      minProperties: 1,
      description: 'Docker labels that every container of this service carries, e.g. {"app": "go-scanner"}.',
    }),
    endpoint: Type.Optional(Type.String({ description: 'Endpoint id; all endpoints when absent.' })),
    reload: Type.Object(
      {
        signal: Type.Union([Type.String({ pattern: '^SIG[A-Z0-9]+$' }), Type.Null()], {
          default: 'SIGHUP',
          description: 'Signal that makes the service re-read config.toml; null for services that watch the file.',
        }),
        logPattern: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
          default: 'Config reloaded',
          description: 'Regular expression of the log line that proves the reload; null when unverifiable.',
        }),
        timeoutMs: Duration(10_000, 'How long to wait for the reload evidence.'),
      },
      { additionalProperties: false, default: {} },
    ),
    supervise: Type.Optional(
      Type.Object(
        {
          desired: Type.Integer({ minimum: 0, maximum: 1000, default: 1 }),
          autoHeal: Type.Boolean({ default: false }),
          healthSource: Type.Union([Type.Literal('docker'), Type.Literal('heartbeat'), Type.Literal('both')], {
            default: 'docker',
          }),
          intervalMs: Duration(5_000, 'Reconcile interval.'),
          timeoutMs: Duration(1_000, 'Health check timeout.'),
          backoffBaseMs: Duration(1_000, 'First restart delay.'),
          backoffMaxMs: Duration(60_000, 'Restart delay cap.'),
          maxFailedRestarts: Type.Integer({ minimum: 0, maximum: 100, default: 3 }),
          stopTimeoutS: Type.Integer({ minimum: 0, maximum: 600, default: 10 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)
export type ServiceT = Static<typeof ServiceSchema>

const ServicesList = Type.Object({
  services: Type.Array(ServiceSchema),
  source: Type.Union([Type.String(), Type.Null()], { description: 'The settings file they live in; null: built-in defaults, nothing can be written.' }),
})
export type ServicesListT = Static<typeof ServicesList>

const Written = Type.Object({
  service: ServiceSchema,
  created: Type.Boolean({ description: 'true: the service is new (201); false: an existing one was replaced (204, no body).' }),
  backup: Type.Union([Type.String(), Type.Null()], { description: 'The backup of the settings file taken before the write.' }),
})
export type ServiceWrittenT = Static<typeof Written>

const DiscoveredContainer = Type.Object({
  endpoint: Type.String(),
  id: Type.String(),
  name: Type.String(),
  image: Type.String(),
  state: Type.String({ description: 'Docker state: running, paused, exited, created, restarting, removing, dead.' }),
  labels: Type.Record(Type.String(), Type.String()),
  compose: Type.Object(
    { project: Type.Union([Type.String(), Type.Null()]), service: Type.Union([Type.String(), Type.Null()]) },
    { description: 'From the com.docker.compose.project / .service labels; null where a label is not set.' },
  ),
  mounts: Type.Array(Type.Object({ type: Type.String(), source: Type.String(), destination: Type.String() })),
  services: Type.Array(Type.String(), { description: 'Configured services whose selector matches it (none: not in the stack yet).' }),
})
export type DiscoveredContainerT = Static<typeof DiscoveredContainer>

const Discovery = Type.Object({
  at: Type.String(),
  containers: Type.Array(DiscoveredContainer),
  unreachable: Type.Array(Type.Object({ endpoint: Type.String(), error: Type.String() })),
})
export type DiscoveryT = Static<typeof Discovery>

const Reason = Type.Optional(Type.String({ maxLength: 500, description: 'Why; kept in the audit log.' }))

export const servicesOperations = {
  'services.list': op({
    summary: 'The configured services: selector, endpoint, reload signal, log pattern and supervision.',
    scope: 'read',
    input: Type.Object({}, { additionalProperties: false }),
    result: ServicesList,
    http: { method: 'GET', path: '/services' },
  }),
  'services.create': op({
    summary: 'Add a service to the settings file and apply it live (selection, events watch, supervision, schedule pauses). 409 when the name exists.',
    scope: 'admin',
    input: Type.Object({ ...ServiceSchema.properties, reason: Reason }, { additionalProperties: false }),
    result: Written,
    http: { method: 'POST', path: '/services', status: 201 },
    audit: true,
  }),
  'services.update': op({
    summary: 'Create or replace the service {name} in the settings file and apply it live: 201 when new, 204 when replaced.',
    scope: 'admin',
    input: Type.Object({ ...ServiceSchema.properties, reason: Reason }, { additionalProperties: false }),
    result: Written,
    http: { method: 'PUT', path: '/services/{name}', status: { field: 'created', whenTrue: 201, whenFalse: 204 } },
    audit: true,
  }),
  'services.delete': op({
    summary: 'Remove the service {name} from the settings file; its containers leave the stack and supervision stops, live. 204.',
    scope: 'admin',
    input: Type.Object({ name: ServiceName, reason: Reason }, { additionalProperties: false }),
    result: Type.Object({ name: Type.String(), backup: Type.Union([Type.String(), Type.Null()]) }),
    http: { method: 'DELETE', path: '/services/{name}', status: 204 },
    audit: true,
  }),
  'engine.discover': op({
    summary: 'Every container on every configured endpoint, in the stack or not: labels, compose project and service, image, state and mounts.',
    scope: 'read',
    input: Type.Object({}, { additionalProperties: false }),
    result: Discovery,
    http: { method: 'GET', path: '/engine/containers' },
  }),
} as const

export const servicesEvents = {
  'services.changed': ev({ summary: 'A service was created, replaced or removed and is applied.', payload: ServicesList }),
} as const
