/**
 * Composition root: builds the core from settings. Both doors (Electron IPC and the headless
 * host) call `createCore` and then only ever talk to `core.handlers` through a dispatcher.
 * Every cross-module dependency is wired here, so modules stay ignorant of each other.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { Redis } from 'ioredis'
import { wrapperAuditedOperations, type EventMap, type Handlers } from '../api/contract'
import { systemContext } from '../api/call-context'
import { EventHub } from '../event-hub'
import { createAppHandlers, osUser } from './app-handlers'
import { probeDockerEndpoints } from './probes'
import { agentContainerPauser, busAnnouncer, containerResumer, heartbeatViewFor, killswitchStackPauser, pauseEffectOf, pausedResolverFor, runPausedResolverFor, supervisedStackFor } from './stack-bridges'
import { AuditLog, auditedHandlers, createAuditHandlers } from '../audit'
import { BusClient } from '../bus/bus-client'
import { createBusHandlers } from '../bus/bus-handlers'
import { BusUpdateBatcher } from '../bus/update-batcher'
import { ConfigService } from '../config/config-service'
import { createConfigHandlers } from '../config/config-handlers'
import { createConfigPort } from '../workflow/config-port'
import { systemClock } from '../shared/clock'
import { RedisOverrideStore } from '../schedule/redis-override-store'
import { RedisTradingFlag } from '../schedule/redis-trading-flag'
import { createScheduleHandlers } from '../schedule/schedule-handlers'
import { ScheduleRulesSource } from '../schedule/rules-source'
import { killswitchLatchVeto } from '../schedule/latch-veto'
import { Scheduler } from '../schedule/scheduler'
import { WindowPauser } from '../schedule/window-pause'
import type { LoadedSettings } from '../settings/load-settings'
import { stateDirOf } from '../settings/state-dir'
import { createStackHandlers } from '../stack/stack-handlers'
import { StackService } from '../stack/stack-service'
import { createSuperviseHandlers } from '../supervise/supervise-handlers'
import { Supervisor } from '../supervise/supervisor'
import { supervisionBlocker } from '../supervise/blockers'
import { supervisionAuditEntry, withSupervisionChannels } from '../supervise/audit-entry'
import { fileKillswitchMirror } from '../state/killswitch-mirror'
import { SafetyModel } from '../state/safety-model'
import { createStateHandlers } from '../state/state-handlers'
import { Journal } from '../workflow/journal'
import { createHistoryHandlers } from '../store/history-handlers'
import { HistoryService, type HistoryServiceStatus } from '../store/history-service'
import { historyAlertFor } from '../store/history-alerts'
import { StateRecorder } from '../store/state-recorder'
import { busEventFeed, historyBackedBusHandlers } from './history-bridges'
import { liveServices, stackSpecsOf, supervisedOf } from './services-bridges'
import { createServicesHandlers } from '../services/services-handlers'
import { AgentDirectory } from '../agents/agent-directory'
import { createAgentDirectoryHandlers } from '../agents/agent-directory-handlers'
import { agentDiedOfRun } from '../agents/run-agent-rows'
import { RunRegistry } from '../runs/run-registry'
import { FileRunStore } from '../runs/run-store'
import { createRunsHandlers } from '../runs/runs-handlers'
import { RunHistory } from '../workflow/run-history'
import { SaveAndRestart } from '../workflow/save-and-restart'
import { configRunLock } from '../workflow/config-run-lock'
import type { LockHolder } from '../shared/dir-lock'
import { createStackPort } from '../workflow/stack-port'
import { createWorkflowHandlers } from '../workflow/workflow-handlers'
import { createTokenRotation, type TokenRotation } from './token-rotation'

export interface Core {
  readonly handlers: Handlers
  readonly hub: EventHub<EventMap>
  readonly loaded: LoadedSettings
  /** Where Stackdeck keeps its own state (settings.stateDir or ~/.local/state/stackdeck). */
  readonly stateDir: string
  /** The slot the headless host fills with its `api.rotateToken` (see token-rotation.ts). */
  readonly tokenRotation: TokenRotation
  start(): Promise<void>
  dispose(): Promise<void>
}

export interface CoreOptions {
  version: string
  log?: (line: string) => void
  /** This instance as locks name it to others (door, URL); see server/instance.ts. */
  instance?: () => Partial<LockHolder>
}

/**
 * The bundled trading-config schema. Searched upward from this module because the build may place
 * it in out/main or out/main/chunks, and a packaged app beside app.asar.unpacked.
 */
export function bundledConfigSchema(): string {
  const override = process.env['STACKDECK_SCHEMAS_DIR']
  if (override) return resolve(override, 'config.schema.json')
  let dir = import.meta.dirname
  for (let i = 0; i < 6; i++) {
    for (const c of [join(dir, 'schemas', 'config.schema.json'), join(dir, 'app.asar.unpacked', 'schemas', 'config.schema.json')]) {
      if (existsSync(c)) return c
    }
    dir = dirname(dir)
  }
  return resolve(import.meta.dirname, '../../schemas/config.schema.json')
}

export async function createCore(loaded: LoadedSettings, opts: CoreOptions): Promise<Core> {
  const { settings } = loaded
  const log = opts.log ?? ((l: string) => console.log(l))
  const hub = new EventHub<EventMap>()
  const startedAt = new Date()
  const stateDir = stateDirOf(settings)
  const system = systemContext('stackdeck')

  // Audit first: every other module reports into it.
  const audit = new AuditLog({ path: join(stateDir, 'audit.jsonl'), onAppend: (r) => hub.emit('audit.appended', r) })

  // Bus and stack need each other (announcements; paused-is-not-dead): the stack comes first and
  // announces through a forwarder the bus plugs into below.
  const announcer = busAnnouncer()
  const stack = new StackService({
    endpoints: settings.docker.endpoints,
    services: stackSpecsOf(settings.services),
    actionTimeoutMs: settings.docker.actionTimeoutMs,
    events: hub,
    announce: announcer.announce,
    log: (m) => log(`[stack] ${m}`),
  })

  // Writes trading_enabled and the override: no offline queue, no resend of a write in flight when the
  // link dropped, and a timeout, so a write either happens now or fails now (never replayed later).
  const flagRedis = new Redis(settings.redis.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: 5000,
    retryStrategy: (n) => Math.min(5000, 200 * 2 ** n),
  })
  flagRedis.on('error', () => undefined)
  const flag = new RedisTradingFlag(flagRedis, {
    key: settings.redis.tradingKey,
    channel: settings.redis.tradingChannel,
    onError: (err, during) => log(`[schedule] trading flag ${during}: ${(err as Error).message}`),
  })

  // Pub/sub is at-most-once: after every reconnect, re-announce the stored trading state.
  const detachFlag = flag.attach()

  const bus = new BusClient(
    {
      url: settings.redis.url,
      // Our own announcements are stored as events too, so the trader can find what the supervisor published.
      patterns: [...withSupervisionChannels(settings.redis.patterns), RUN_HEALTH_CHANNEL],
      heartbeatTimeoutMs: settings.redis.heartbeatTimeoutMs,
      killswitchKey: settings.redis.killswitchKey,
      killswitchAckTimeoutMs: settings.redis.killswitchAckTimeoutMs,
      killswitchPausesStack: settings.redis.killswitchPausesStack,
      tradingKey: settings.redis.tradingKey,
      // The bus re-reads trading_enabled when it hears this channel: without it a custom channel
      // left the Monitor at "trading unknown" while the flag had changed.
      channels: { tradingChannel: settings.redis.tradingChannel },
      resumeMode: settings.schedule.resumeAfterKillswitch,
      killswitchMirror: fileKillswitchMirror(join(stateDir, 'killswitch.json'), (m) => log(`[bus] ${m}`)),
      commandAckTimeoutMs: settings.redis.commandAckTimeoutMs,
    },
    {
      pausedResolver: pausedResolverFor(stack),
      setTradingEnabled: async (enabled, who, why) => {
        await flag.set(enabled, { who, why, source: 'killswitch' })
      },
      // Each reports what it froze itself; a release resumes only that (never what the trader paused).
      pauseStack: killswitchStackPauser(stack),
      pauseAgentContainer: agentContainerPauser(stack, systemContext('killswitch')),
      resumeContainers: containerResumer(stack),
      audit: async (rec) => {
        await audit.append({
          who: rec.who,
          door: rec.door,
          action: `bus.${rec.action}`,
          outcome: rec.ok ? 'ok' : 'failed',
          reason: rec.reason,
          detail: { version: rec.version, result: rec.result, ...(rec.error ? { error: rec.error } : {}) },
        })
      },
      // No afterRelease: a release leaves trading latched off. Only trading.resume (or, with
      // schedule.resumeAfterKillswitch = next-start, the next window) hands it back.
    },
  )
  announcer.connect(bus)
  // One agent grid over both transports: Redis agents and HTTP runs joined by agent id. `runs`
  // is made further down; the directory reaches it only once the core has started.
  const agentDirectory = new AgentDirectory({
    redis: {
      agents: () => bus.agents(),
      agent: (id, now) => bus.registry.get(id, now),
      send: (req) => bus.commands.send(req),
      commands: (q) => bus.commands.list(q),
    },
    runs: {
      list: (q) => runs.list(q),
      queueCommand: (input, ctx) => runs.queueCommand(input, ctx),
      recentCommands: (limit) => runs.recentCommands(limit),
    },
    ackWaitMs: settings.redis.commandAckTimeoutMs,
  })
  const busBatcher = new BusUpdateBatcher(agentDirectory.source(bus.batchSource()), { emit: (u) => hub.emit('bus.update', u) })
  bus.onAgentDied((d) => hub.emit('bus.agentDied', d))
  // Paused is not dead: re-judge agents whenever a container is paused or resumed.
  const detachPausedAgents = hub.subscribe((event) => {
    if (event === 'stack.changed') bus.refreshPaused()
  })

  const config = new ConfigService({
    configPath: settings.config.path,
    schemaPath: settings.config.schemaPath || bundledConfigSchema(),
    keepBackups: settings.config.keepBackups,
    hub,
  })

  // The schedule lives in config.toml [schedule]; rules are re-read whenever the file changes.
  const rules = new ScheduleRulesSource(() => config.load())
  const scheduleCtx = { who: 'schedule', door: 'scheduler' } as const
  const windowPauser = settings.schedule.pauseOutsideWindow
    ? new WindowPauser({
        pause: async (why) => pauseEffectOf(await stack.pause(scheduleCtx, { reason: why })),
        resume: (refs, why) => containerResumer(stack)(refs, why, scheduleCtx.who),
        blockedReason: () => (bus.status().killswitch.engaged ? 'the killswitch is engaged' : null),
        notify: (n) => hub.emit('app.alert', { id: `schedule-window-${Date.now()}`, ...n, sticky: n.level === 'warning', at: new Date().toISOString() }),
        statePath: join(stateDir, 'schedule-paused.json'),
        log: (m) => log(`[schedule] ${m}`),
      })
    : null
  const latchVeto = killswitchLatchVeto({
    killswitch: () => bus.killswitch,
    resumeMode: settings.schedule.resumeAfterKillswitch,
    recordResume: (reason) => audit.append({ who: 'schedule', door: 'scheduler', action: 'trading.resume', outcome: 'ok', reason }).then(() => undefined),
  })

  const scheduler: Scheduler | null = settings.schedule.enabled
    ? new Scheduler({
        clock: systemClock,
        getRules: () => rules.current(),
        flag,
        overrides: new RedisOverrideStore(flagRedis),
        who: 'schedule',
        vetoEnable: ({ window }) => latchVeto(window),
        onTransition: (e) => {
          hub.emit('schedule.transition', e)
          void audit.append({ who: 'schedule', door: 'scheduler', action: 'schedule.transition', outcome: 'ok', target: e.enabled ? 'trading on' : 'trading off', detail: e })
          if (windowPauser) {
            // The open resumes only what the close paused: the trader's own pauses stay.
            const why = `trading window ${e.enabled ? 'opened' : 'closed'}`
            void (e.enabled ? windowPauser.opened(why) : windowPauser.closed(why)).catch((err: unknown) => log(`[schedule] ${why}: ${(err as Error).message}`))
          }
        },
        onError: (err, during) => log(`[schedule] ${during}: ${(err as Error).message}`),
      })
    : null

  const history = new RunHistory(join(stateDir, 'save-restart-runs.jsonl'))
  const workflow = new SaveAndRestart({
    stack: createStackPort(stack, settings.config.path),
    config: createConfigPort(config),
    journal: new Journal(settings.workflow.journalPath || join(stateDir, 'save-restart.journal.json'), (m) => log(`[workflow] ${m}`)),
    history,
    configPath: settings.config.path,
    unpauseRetries: settings.workflow.unpauseRetries,
    applyMode: settings.workflow.applyMode,
    singleFileMounts: settings.config.singleFileMounts,
    runLock: configRunLock({ configPath: settings.config.path, instance: () => ({ stateDir, ...opts.instance?.() }) }),
    emit: {
      progress: (runId, step) => hub.emit('workflow.progress', { runId, step }),
      finished: (r) => {
        hub.emit('workflow.finished', r)
        void rules.refresh().then(() => scheduler?.refresh())
      },
      alert: (a) => hub.emit('app.alert', { ...a, at: new Date().toISOString() }),
    },
  })
  workflow.recovery.onChange = (info) => hub.emit('workflow.recovery', info)
  hub.on('config.changedOnDisk', () => void rules.refresh().then(() => scheduler?.refresh()))
  // After a Redis outage the schedule recomputes from the clock rather than replaying missed transitions.
  flagRedis.on('ready', () => void scheduler?.resync())

  const supervisor = new Supervisor({
    services: supervisedOf(settings.services, settings.redis.heartbeatTimeoutMs),
    actionTimeoutMs: settings.docker.actionTimeoutMs,
    stack: supervisedStackFor(stack, systemContext('supervisor', 'supervisor')),
    heartbeats: heartbeatViewFor(bus),
    guards: {
      blockedReason: supervisionBlocker({
        killswitchEngaged: () => bus.status().killswitch.engaged,
        runInFlight: () => workflow.running,
        containers: () => stack.containers(),
      }),
    },
    sinks: {
      announce: (channel, payload) => bus.publish(channel, payload).then(() => undefined),
      // Field by field into the log's shape, keeping the real door (a manual restart's ipc/http/ws).
      audit: (rec) => audit.append(supervisionAuditEntry(rec)).then(() => undefined),
      notify: (n) => hub.emit('app.alert', { id: `supervise-${n.title}-${Date.now()}`, level: n.level === 'error' ? 'critical' : n.level, title: n.title, message: n.message, at: new Date().toISOString(), sticky: n.level === 'error' }),
    },
    events: hub,
    statePath: join(stateDir, 'supervise-state.json'),
    log: (m) => log(`[supervise] ${m}`),
  })

  // Runs of the HTTP agent protocol: kept in the state directory, health judged every second.
  const runs = new RunRegistry({
    store: new FileRunStore(join(stateDir, 'runs.json')),
    thresholds: settings.runs,
    commandTimeoutMs: settings.runs.commandTimeoutMs,
    containerPaused: runPausedResolverFor(stack),
    emit: {
      run: (r) => {
        agentDirectory.noteRun(r)
        hub.emit('runs.changed', r)
      },
      command: (c) => {
        agentDirectory.noteCommand(c)
        hub.emit('runs.command', c)
      },
      // Each escalation (and recovery) is announced where the Redis side can hear it too.
      health: (r, from) => {
        void bus.publish(RUN_HEALTH_CHANNEL, { type: 'runs.health', runId: r.id, agent: r.agent, from, to: r.health, heartbeatAgeMs: r.heartbeatAgeMs, at: r.healthSince }).catch(() => undefined)
        // A run gone lost is an agent that died, worth the same desktop notification as a
        // Redis agent's death (a paused run or container never gets here: its health is paused).
        const died = agentDiedOfRun(r, from)
        if (died) hub.emit('bus.agentDied', died)
      },
    },
    audit: (rec) => audit.append(rec).then(() => undefined),
    log: (m) => log(`[runs] ${m}`),
  })

  const safety = new SafetyModel({
    connection: () => bus.connection(),
    killswitch: () => ({
      ...bus.killswitch.view(),
      known: bus.killswitch.known,
      unknownSince: bus.killswitch.unknownSince,
      resumeMode: bus.killswitch.resumeMode,
    }),
    trading: () => bus.tradingState(),
    snapshot: () => stack.snapshot(),
    schedule: () => {
      if (!scheduler) return null
      const d = scheduler.describe()
      return { configured: d.rules !== null, desired: d.desired, source: d.source, next: d.next, vetoed: d.vetoed }
    },
  })
  const detachSafety = [
    safety.onChange((s) => hub.emit('state.changed', s)),
    bus.onKillswitch(() => safety.refresh()),
    bus.onConnection(() => safety.refresh()),
    hub.subscribe((event) => {
      if (event === 'stack.changed' || event === 'schedule.transition') safety.refresh()
    }),
  ]
  // History: fed from the ring and the hub, never on the live path (store.enabled turns it on).
  const storeEngine = settings.store.url ? 'postgres' : 'pglite'
  let historyState: HistoryServiceStatus['state'] | null = null
  const eventHistory = settings.store.enabled
    ? new HistoryService({
        location: { url: settings.store.url, dataDir: join(stateDir, 'history'), schema: settings.store.schema, host: historyHostId(stateDir) },
        feed: busEventFeed(bus),
        channels: settings.store.channels,
        retention: settings.store.retention,
        notify: (n) => hub.emit('app.alert', { id: `history-${Date.now()}`, ...n, sticky: false, at: new Date().toISOString() }),
        log: (m) => log(`[history] ${m}`),
        onChange: (st) => {
          hub.emit('history.status', { enabled: true, ...st })
          const alert = historyAlertFor(historyState, st)
          historyState = st.state
          if (alert) hub.emit('app.alert', { ...alert, at: new Date().toISOString() })
        },
      })
    : null
  const recorder = eventHistory
    ? new StateRecorder({ transitions: (t) => eventHistory.recordTransitions(t), state: (r) => eventHistory.recordState(r), agents: (a) => eventHistory.recordAgents(a) })
    : null
  const detachHistory = recorder
    ? hub.subscribe((event, payload) => {
        if (event === 'bus.update') recorder.onBusUpdate(payload as EventMap['bus.update'])
        else if (event === 'workflow.finished') recorder.onRunFinished(payload as EventMap['workflow.finished'])
        else if (event === 'audit.appended') recorder.onAudit(payload as EventMap['audit.appended'])
      })
    : () => undefined

  // The services section, managed live: written to the settings file, re-applied to the stack and the supervisor.
  const services = liveServices({ loaded, stack, supervisor, onChange: (l) => hub.emit('services.changed', l) })

  const stackHandlers = createStackHandlers(stack, { configPath: settings.config.path, singleFileMounts: settings.config.singleFileMounts })
  const busHandlers = {
    ...createBusHandlers(bus, { alert: (a) => hub.emit('app.alert', a) }),
    ...createAgentDirectoryHandlers(agentDirectory),
  }

  const tokenRotation = createTokenRotation()
  const raw: Handlers = {
    'api.rotateToken': tokenRotation.handler,
    ...createAppHandlers({
      loaded,
      version: opts.version,
      startedAt,
      probeDocker: () => probeDockerEndpoints(settings.docker.endpoints),
      probeRedis: async () => {
        const c = bus.connection()
        return { ok: c.state === 'ready', detail: `${c.state}${c.error ? `: ${c.error}` : ''}` }
      },
      stateDir,
      ...(opts.instance ? { instance: opts.instance } : {}),
    }),
    ...stackHandlers,
    // GET /status answers "is it trading, is the killswitch on" too, from the same model.
    'stack.status': async (input, ctx) => {
      const st = safety.current()
      return { ...(await stackHandlers['stack.status'](input, ctx)), trading: st.trading, killswitch: st.killswitch }
    },
    ...createConfigHandlers(config),
    ...createWorkflowHandlers(workflow, history),
    ...createScheduleHandlers({ scheduler, flag, rulesProblem: () => rules.currentProblem() }),
    ...busHandlers,
    ...historyBackedBusHandlers({ events: (q) => bus.events(q), ring: bus.ring, agents: () => agentDirectory.agents() }, eventHistory, settings.store.channels),
    ...createStateHandlers({
      model: safety,
      liftLatch: (req) => bus.killswitch.resume(req),
      schedule: () => {
        if (!scheduler) return null
        const d = scheduler.describe()
        return { desired: d.desired, next: d.next, refresh: () => scheduler.refresh() }
      },
      flag,
    }),
    ...createSuperviseHandlers(supervisor),
    ...createAuditHandlers(audit),
    ...createHistoryHandlers(eventHistory, storeEngine),
    ...createServicesHandlers(services, () => stack.discover()),
    ...createRunsHandlers(runs),
  }
  const handlers = auditedHandlers(raw, audit, wrapperAuditedOperations, { log: (m, e) => log(`[audit] ${m} ${e instanceof Error ? e.message : ''}`) })

  return {
    handlers,
    hub,
    loaded,
    stateDir,
    tokenRotation: { install: (rotate) => tokenRotation.install(rotate) },
    async start() {
      await history.load()
      await stack.start()
      await config.start().catch((err: unknown) => log(`[config] cannot watch ${settings.config.path}: ${(err as Error).message}`))
      await rules.refresh()
      await flagRedis.connect().catch((err: unknown) => log(`[schedule] Redis not reachable yet: ${(err as Error).message}`))
      await bus.start()
      busBatcher.start()
      if (settings.stack.startPaused) {
        const r = await stack.startPaused({ who: osUser(), door: 'system' })
        log(`[stack] start_paused: paused ${r.totals.ok + r.totals.already} container(s)`)
      }
      await workflow.recovery.check(settings.workflow.autoResumeOnRecovery, system).catch((err: unknown) => log(`[workflow] recovery check failed: ${(err as Error).message}`))
      await scheduler?.start()
      await supervisor.start()
      await runs
        .start()
        .then(() => agentDirectory.seed())
        .catch((err: unknown) => log(`[runs] not started: ${(err as Error).message}`))
      safety.start()
      eventHistory?.start()
    },
    async dispose() {
      safety.stop()
      detachHistory()
      await eventHistory?.stop().catch(() => undefined)
      detachSafety.forEach((off) => off())
      await supervisor.stop().catch(() => undefined)
      await runs.stop().catch(() => undefined)
      scheduler?.stop()
      busBatcher.stop()
      detachPausedAgents()
      await bus.stop().catch(() => undefined)
      detachFlag()
      flagRedis.disconnect()
      await config.stop().catch(() => undefined)
      await stack.stop().catch(() => undefined)
      await history.flush()
      await audit.close().catch(() => undefined)
    },
  }
}

/** Where run health changes are announced on the bus (and subscribed, so the event log keeps them). */
const RUN_HEALTH_CHANNEL = 'runs.health'

/**
 * Names this Stackdeck in the rows it stores. It must outlive a restart: GET /bus/events finds this
 * host's older events by ring id, which only grows within one host. The state directory (one per
 * instance) tells two Stackdecks on one machine apart.
 */
function historyHostId(stateDir: string): string {
  return `${hostname()}:${createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 8)}`
}
