import { Type, type Static } from 'typebox'
import { ServiceSchema } from '../api/contract/services'

/**
 * Stackdeck's own settings. This TypeBox definition is the single source of truth:
 * `schemas/settings.schema.json` is generated from it (`npm run schemas`) and a unit test
 * fails if the committed file drifts.
 */

const Duration = (def: number, description: string) =>
  Type.Integer({ minimum: 0, maximum: 3_600_000, default: def, description })

export const EndpointSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-zA-Z0-9_.-]{1,64}$', description: 'Name used by services to pick this endpoint.' }),
    url: Type.String({
      pattern: '^(unix|tcp|ssh|http|https|npipe)://.+',
      description: 'unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host',
    }),
  },
  { additionalProperties: false },
)

// One shape for a service, shared with the services API: see contract/services.ts.
export { ServiceSchema }

export const ApiTokenSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-zA-Z0-9_.-]{1,64}$' }),
    sha256: Type.String({ pattern: '^[a-f0-9]{64}$', description: 'Hex SHA-256 of the token; the token itself is never stored.' }),
    scope: Type.Union([Type.Literal('read'), Type.Literal('operate'), Type.Literal('admin'), Type.Literal('agent')], {
      description: 'agent: may only beat, pull and ack commands for the runs of the agent named in `agent`.',
    }),
    agent: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:@-]{1,128}$', description: 'Required with scope agent: the one agent id it acts for.' })),
  },
  { additionalProperties: false },
)

export const SettingsSchema = Type.Object(
  {
    docker: Type.Object(
      {
        endpoints: Type.Array(EndpointSchema, { minItems: 1, default: [{ id: 'local', url: 'unix:///var/run/docker.sock' }] }),
        actionTimeoutMs: Duration(10_000, 'Confirm-by-inspect timeout for pause/unpause/restart.'),
      },
      { additionalProperties: false, default: {} },
    ),
    services: Type.Array(ServiceSchema, {
      default: [
        { name: 'orchestrator', selector: { app: 'python-orchestrator' }, reload: { signal: 'SIGUSR1' } },
        { name: 'scanner', selector: { app: 'go-scanner' }, reload: { signal: null } },
      ],
    }),
    stack: Type.Object(
      {
        startPaused: Type.Boolean({ default: false, description: 'Keep the stack paused when Stackdeck starts.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    config: Type.Object(
      {
        path: Type.String({ default: './config.toml' }),
        schemaPath: Type.String({ default: '', description: 'Empty: the bundled schemas/config.schema.json.' }),
        keepBackups: Type.Integer({ minimum: 1, maximum: 10_000, default: 20 }),
        singleFileMounts: Type.Union([Type.Literal('refuse'), Type.Literal('write-in-place')], {
          default: 'refuse',
          description:
            'A container that bind-mounts config.toml itself keeps the old file after an atomic save. refuse: Save & Restart refuses before pausing and names the compose fix (mount the directory). write-in-place: rewrite the file in place (same inode) for such stacks, backed up first, NOT crash-atomic.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    workflow: Type.Object(
      {
        journalPath: Type.String({ default: '', description: 'Empty: <state dir>/save-restart.journal.json' }),
        autoResumeOnRecovery: Type.Boolean({ default: false }),
        unpauseRetries: Type.Integer({ minimum: 0, maximum: 20, default: 3 }),
        applyMode: Type.Union([Type.Literal('auto'), Type.Literal('paused')], {
          default: 'auto',
          description:
            'auto: a change whose every field is x-apply "hot" is applied without pausing (atomic write, reload, verify); anything else pauses. paused: always pause. A run may ask for either.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    redis: Type.Object(
      {
        url: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' }),
        patterns: Type.Array(Type.String({ minLength: 1 }), {
          default: ['heartbeat.*', 'data.market.*', 'news.signal.entity', 'quant.regime.state', 'strategy.*', 'risk.*'],
        }),
        heartbeatTimeoutMs: Duration(15_000, 'An agent is alive when it has beaten within this time.'),
        tradingKey: Type.String({ default: 'stackdeck:trading_enabled' }),
        tradingChannel: Type.String({ default: 'stackdeck.trading_enabled' }),
        killswitchKey: Type.String({ default: 'stackdeck:killswitch' }),
        killswitchPausesStack: Type.Boolean({ default: true }),
        killswitchAckTimeoutMs: Duration(3_000, 'Execution agents that do not ack within this are paused.'),
        commandAckTimeoutMs: Duration(5_000, 'Agent command ack timeout.'),
      },
      { additionalProperties: false, default: {} },
    ),
    schedule: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        pauseOutsideWindow: Type.Boolean({ default: false, description: 'Pause the stack outside the trading window.' }),
        resumeAfterKillswitch: Type.Union([Type.Literal('manual'), Type.Literal('next-start')], {
          default: 'manual',
          description:
            "After a killswitch release trading stays disabled (latched). 'manual': until someone runs Resume trading; 'next-start': also lifted by the next scheduled start (a window that opens after the release).",
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    api: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 7420 }),
        allowNonLoopback: Type.Boolean({ default: false, description: 'Required to bind anything but loopback.' }),
        token: Type.Optional(Type.String({ minLength: 16, description: 'Admin token; prefer STACKDECK_TOKEN.' })),
        tokens: Type.Array(ApiTokenSchema, { default: [] }),
        allowedHosts: Type.Array(Type.String(), { default: [], description: 'Extra Host header names accepted.' }),
        allowedOrigins: Type.Array(Type.String(), { default: [], description: 'Extra Origins accepted (exact match).' }),
        rateLimitPerMinute: Type.Integer({ minimum: 1, maximum: 100_000, default: 600 }),
        authFailuresPerMinute: Type.Integer({
          minimum: 1,
          maximum: 100_000,
          default: 20,
          description: 'Wrong tokens one client address may present per minute before it is locked out.',
        }),
        authLockoutMs: Duration(60_000, 'How long an address that spent its failed-authentication budget gets 429.'),
        maxBodyBytes: Type.Integer({ minimum: 1024, maximum: 16_777_216, default: 1_048_576 }),
      },
      { additionalProperties: false, default: {} },
    ),
    store: Type.Object(
      {
        enabled: Type.Boolean({
          default: false,
          description: 'Record bus events, agent transitions and state changes in the history store (the Monitor time ranges, agent timelines, audit links, GET /history/*). Off by default: the embedded engine misses its ingest goals at 10,000 events/s (README, History store).',
        }),
        url: Type.String({
          default: '',
          pattern: '^(|postgres(ql)?://.*)$',
          description: 'Empty: the embedded PGlite database in <state dir>/history. postgres://user@host:port/db: a PostgreSQL server (shared by several Stackdecks and your own tools).',
        }),
        schema: Type.String({ default: 'stackdeck', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$', description: 'The schema its tables live in.' }),
        channels: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Channel globs to record; empty: every event the bus receives.' }),
        retention: Type.Object(
          {
            maxAgeDays: Type.Number({ minimum: 0.01, maximum: 3650, default: 30 }),
            maxBytes: Type.Integer({ minimum: 1_048_576, default: 2_147_483_648, description: 'Disk the events may take; the oldest are dropped first.' }),
            warnAtPercent: Type.Number({ minimum: 1, maximum: 100, default: 80 }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    runs: Type.Object(
      {
        lateAfterMs: Duration(5_000, 'A running run with no heartbeat for this long is late.'),
        unhealthyAfterMs: Duration(15_000, 'No heartbeat for this long: unhealthy.'),
        lostAfterMs: Duration(60_000, 'No heartbeat for this long: lost (unless it or its container is paused).'),
        commandTimeoutMs: Duration(60_000, 'A command not acknowledged within this time is expired; an undelivered one is then never delivered.'),
      },
      { additionalProperties: false, default: {} },
    ),
    desktop: Type.Object(
      {
        serveApi: Type.Boolean({
          default: true,
          description:
            'The desktop app serves the control API too (api.host and api.port, the same token rules as the headless host: STACKDECK_TOKEN, api.token or <state dir>/api-token), so `stackdeck` reaches it. false: the window only.',
        }),
        background: Type.Boolean({
          default: true,
          description: 'Closing the window hides it and the core keeps running (tray icon); Quit is in the tray menu. false: closing the window quits.',
        }),
        autostart: Type.Boolean({
          default: false,
          description: 'Start Stackdeck hidden at login: an XDG autostart entry on Linux, a login item on macOS and Windows. Applied at each start of the desktop app.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    stateDir: Type.String({
      default: '',
      description: 'Empty: ~/.local/state/stackdeck. One running Stackdeck per state directory (an OS-level lock).',
    }),
  },
  { additionalProperties: false, $id: 'https://stackdeck.dev/schemas/settings.schema.json', title: 'Stackdeck settings' },
)

export type Settings = Static<typeof SettingsSchema>
export type ServiceSettings = Static<typeof ServiceSchema>
export type EndpointSettings = Static<typeof EndpointSchema>
