import { performance } from 'node:perf_hooks'
import type { CallContext } from '../api/call-context'
import { CoreError } from '../errors'
import { actOnAll, type ActionRequest } from './actions'
import { deadline, inspectOrGone, listEndpoint } from './docker-calls'
import { createEndpointClient, parseEndpointUrl, type EndpointClient } from './endpoint-url'
import { EndpointWatcher } from './endpoint-watcher'
import { emptyTotals } from './outcome'
import { discoverContainers } from './discover'
import type { DiscoveryT } from '../api/contract/services'
import { describeConfigViews, type ConfigViewsReport, type ConfigViewTarget, type DescribeConfigViewsInput } from './describe-config-views'
import { engineFreezeWindow, type EngineFreeze } from './engine-freeze'
import { compileEvidencePattern } from './evidence-pattern'
import { measureSkew, reloadable, reloadService, type ClockSkew } from './reload'
import { computeStatus, primaryService, resolveTargets, servicesOn, toState, type ContainerRecord } from './selection'
import { normalizeSignal } from './signals'
import { resolveOptions, type ResolvedOptions, type StackServiceOptions } from './stack-options'
import { SnapshotStore } from './snapshot-store'
import type {
  ActionKind,
  ActionResult,
  AnnounceFn,
  ContainerActionResult,
  ContainerInfo,
  ContainerState,
  EndpointStatus,
  ReloadResult,
  ReloadServiceResult,
  ServiceSpec,
  StackSnapshot,
  StackStatus,
  Target,
} from './types'

type ActionTarget = { client: EndpointClient; rec: ContainerRecord; service: string }

export interface ActionOptions {
  target?: Target
  reason?: string
  /**
   * Act on exactly these containers (e.g. the ones a previous pause reported) instead of resolving
   * `target`: no re-listing, so one removed meanwhile is reported `gone` rather than silently left out.
   */
  containers?: ReadonlyArray<{ id: string; endpoint: string; name?: string; service?: string }>
  /** Restart only: seconds between SIGTERM and SIGKILL for this call (default: the stack's setting). */
  stopTimeoutS?: number
  /** Inspect each container first and skip it when paused (see ActionRequest.unlessPaused). */
  unlessPaused?: boolean
  /** pause: an accepted call is the confirmation (see ActionRequest.trustAcceptedPause). */
  trustAcceptedPause?: boolean
  /**
   * Send the pause/resume announcement without waiting for it (result.announced stays null): for a
   * caller whose containers are frozen until it returns. A failure is logged, never thrown.
   */
  announceInBackground?: boolean
}

export type { StackServiceOptions } from './stack-options'
export type { StackEventSink } from './snapshot-store'

/**
 * The stack engine: selection, live state, actions, reload evidence and status over one or more
 * Docker endpoints. Every public method reports per-container outcomes instead of throwing for
 * container-level trouble; it throws CoreError only for bad input (unknown service, bad signal).
 * `stop()` ends watching; `start()` may be called again afterwards.
 */

export class StackService {
  private readonly clients = new Map<string, EndpointClient>()
  private readonly local = new Set<string>()
  private readonly store: SnapshotStore
  private readonly watchers: EndpointWatcher[] = []
  private patterns: Map<string, RegExp | null>
  private readonly skews = new Map<string, { at: number; value: Promise<ClockSkew> }>()
  private readonly o: ResolvedOptions

  constructor(opts: StackServiceOptions) {
    const { options, patterns } = resolveOptions(opts)
    this.o = options
    this.patterns = patterns
    for (const ep of opts.endpoints) {
      this.clients.set(ep.id, createEndpointClient(ep))
      if (parseEndpointUrl(ep.url).kind === 'unix') this.local.add(ep.id)
    }
    this.store = new SnapshotStore(opts.endpoints, this.o.services, opts.events, this.o.debounceMs)
  }

  // ---- live state -------------------------------------------------------------------------

  /** Follow every endpoint's events. Resolves when each endpoint has been tried once. */
  async start(): Promise<void> {
    if (this.watchers.length === 0) {
      this.store.open()
      for (const client of this.clients.values()) this.watchers.push(this.watcherFor(client))
    }
    await Promise.all(this.watchers.map((w) => w.start()))
  }

  private watcherFor(client: EndpointClient): EndpointWatcher {
    return new EndpointWatcher(client, this.o.services, this.store, {
      listTimeoutMs: this.o.listTimeoutMs,
      backoffBaseMs: this.o.backoffBaseMs,
      backoffCapMs: this.o.backoffCapMs,
      pingIntervalMs: this.o.pingIntervalMs,
      ...(this.o.log ? { log: this.o.log } : {}),
    })
  }

  async stop(): Promise<void> {
    await Promise.all(this.watchers.map((w) => w.stop()))
    this.watchers.length = 0
    this.store.close()
  }

  /**
   * Checks a new list of services as the constructor would (paths `/services/<i>/...`), without
   * applying it: the services domain asks before it writes the settings file.
   */
  checkServices(services: readonly ServiceSpec[]): void {
    resolveOptions({ ...this.o, services: [...services] })
  }

  /**
   * Re-applies the services live: selection, the snapshot's grouping, pause sets and the events
   * watch all follow, with no restart. The list is one array shared by reference with the snapshot
   * store and the watchers, so it is replaced in place; each watcher is then restarted, because its
   * events stream's label filter and its first list were made for the old selectors.
   */
  async setServices(services: readonly ServiceSpec[]): Promise<void> {
    const { options, patterns } = resolveOptions({ ...this.o, services: [...services] })
    this.o.services.splice(0, this.o.services.length, ...options.services)
    this.patterns = patterns
    if (this.watchers.length === 0) return
    const old = this.watchers.splice(0, this.watchers.length)
    await Promise.all(old.map((w) => w.stop()))
    for (const client of this.clients.values()) this.watchers.push(this.watcherFor(client))
    await Promise.all(this.watchers.map((w) => w.start()))
  }

  /** Every container of every endpoint, in the stack or not (discover.ts). */
  discover(): Promise<DiscoveryT> {
    return discoverContainers([...this.clients.values()], this.o.services, this.o.listTimeoutMs)
  }

  /** The current view without any Docker call (may be stale for endpoints that are not watched). */
  snapshot(): StackSnapshot {
    return this.store.snapshot()
  }

  /**
   * Every container of a snapshot once: a container whose labels match two services is listed under
   * each of them, and every caller that acts on "the stack" wants it once.
   */
  containers(snap: StackSnapshot = this.snapshot()): ContainerInfo[] {
    const seen = new Set<string>()
    const out: ContainerInfo[] = []
    for (const s of snap.services)
      for (const c of s.containers) {
        const key = `${c.endpoint}/${c.id}`
        if (seen.has(key)) continue
        seen.add(key)
        out.push(c)
      }
    return out
  }

  endpoints(): EndpointStatus[] {
    return this.store.endpointStatus()
  }

  /**
   * While watching (after `start()`), the snapshot is the answer: live endpoints are current and the
   * others are being retried in the background, shown as unreachable. Without watchers every
   * endpoint is listed now, in parallel, each within `listTimeoutMs`.
   */
  async list(): Promise<StackSnapshot> {
    if (this.watchers.length > 0) return this.store.snapshot()
    await Promise.all(
      [...this.clients.values()]
        .filter((c) => !this.store.isLive(c.id))
        .map(async (c) => {
          try {
            const recs = await listEndpoint(c, this.o.services, {
              timeoutMs: this.o.listTimeoutMs,
              inspect: true,
            })
            // A watcher may have gone live meanwhile; its view is newer than ours.
            if (this.store.isLive(c.id)) return
            this.store.replace(c.id, recs)
            this.store.setStatus(c.id, { reachable: true, error: null })
          } catch (err) {
            this.store.setStatus(c.id, { reachable: false, error: (err as Error).message })
          }
        }),
    )
    return this.store.snapshot()
  }

  async status(): Promise<StackStatus> {
    return computeStatus(await this.list())
  }

  // ---- actions ----------------------------------------------------------------------------

  pause(ctx: CallContext, opts: ActionOptions = {}): Promise<ActionResult> {
    return this.act('pause', ctx, opts)
  }

  unpause(ctx: CallContext, opts: ActionOptions = {}): Promise<ActionResult> {
    return this.act('unpause', ctx, opts)
  }

  restart(ctx: CallContext, opts: ActionOptions = {}): Promise<ActionResult> {
    return this.act('restart', ctx, opts)
  }

  async signal(ctx: CallContext, signal: string, opts: ActionOptions = {}): Promise<ActionResult> {
    return this.act('signal', ctx, opts, normalizeSignal(signal))
  }

  /** For the composition root when settings say `stack.startPaused`. */
  startPaused(ctx: CallContext = { who: 'stackdeck', door: 'system' }): Promise<ActionResult> {
    return this.pause(ctx, { reason: 'start paused (stack.startPaused setting)' })
  }

  private async act(
    action: ActionKind,
    ctx: CallContext,
    opts: ActionOptions,
    signal?: string,
  ): Promise<ActionResult> {
    const t0 = performance.now()
    const at = new Date().toISOString()
    const target = opts.target ?? {}
    const req: ActionRequest = {
      action,
      timeoutMs: this.o.actionTimeoutMs,
      restartStopTimeoutS: opts.stopTimeoutS ?? this.o.restartStopTimeoutS,
      ...(opts.unlessPaused ? { unlessPaused: true } : {}),
      ...(opts.trustAcceptedPause ? { trustAcceptedPause: true } : {}),
      ...(signal ? { signal } : {}),
    }
    // An explicit stopTimeoutS wins; otherwise each service's own, then the stack default.
    const stopOf =
      opts.stopTimeoutS === undefined ? (service: string) => this.o.services.find((s) => s.name === service)?.stopTimeoutS : undefined
    const { containers, unreachable } = opts.containers
      ? { containers: await actOnAll(this.explicitTargets(opts.containers), req, stopOf), unreachable: [] }
      : await this.runOnTargets(target, req, stopOf)
    const totals = emptyTotals()
    for (const c of containers) {
      totals[c.outcome]++
      totals.all++
    }
    const result: ActionResult = {
      action,
      signal: signal ?? null,
      target,
      ok: totals.failed === 0 && totals.timeout === 0 && unreachable.length === 0,
      at,
      ms: 0,
      containers,
      totals,
      unreachable,
      announced: null,
    }
    if (action === 'pause' || action === 'unpause') {
      const names = containers.filter((c) => c.outcome === 'ok' || c.outcome === 'already').map((c) => c.name)
      if (names.length > 0 && opts.announceInBackground) {
        void this.announce(action === 'pause' ? 'orchestrator.paused' : 'orchestrator.resumed', {
          who: ctx.who, door: ctx.door, at: new Date().toISOString(), why: opts.reason ?? '', containers: names,
        }).then((ok) => ok || this.o.log?.(`[stack] ${action} of ${names.length} container(s) was not announced on the bus`))
      } else if (names.length > 0) {
        result.announced = await this.announce(
          action === 'pause' ? 'orchestrator.paused' : 'orchestrator.resumed',
          {
            who: ctx.who,
            door: ctx.door,
            at: new Date().toISOString(),
            why: opts.reason ?? '',
            containers: names,
          },
        )
      }
    }
    result.ms = Math.round((performance.now() - t0) * 10) / 10
    return result
  }

  private async announce(
    channel: Parameters<AnnounceFn>[0],
    payload: Parameters<AnnounceFn>[1],
  ): Promise<boolean> {
    const fn = this.o.announce
    if (!fn) return false
    let timer: NodeJS.Timeout | undefined
    try {
      // A bus that hangs must not hold up the killswitch; the result says it was not announced.
      const bounded = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('announce timed out')), this.o.announceTimeoutMs)
      })
      await Promise.race([Promise.resolve(fn(channel, payload)), bounded])
      return true
    } catch (err) {
      this.o.log?.(`announce ${channel} failed: ${String(err)}`)
      return false
    } finally {
      clearTimeout(timer)
    }
  }

  private explicitTargets(refs: NonNullable<ActionOptions['containers']>): ActionTarget[] {
    return refs.map((ref, i) => {
      const client = this.clients.get(ref.endpoint)
      if (!client)
        throw new CoreError('invalid_input', `unknown endpoint ${ref.endpoint}`, {
          path: `/containers/${i}/endpoint`,
        })
      const known = this.store.get(ref.endpoint, ref.id)
      const rec: ContainerRecord = known ?? {
        id: ref.id,
        name: ref.name ?? ref.id.slice(0, 12),
        image: '',
        endpoint: ref.endpoint,
        state: 'running',
        health: 'none',
        startedAt: null,
        labels: {},
      }
      const service = ref.service ?? (known ? (primaryService(this.o.services, known)?.name ?? '') : '')
      return { client, rec, service }
    })
  }

  /**
   * Resolve a target and act on it. A watched endpoint's snapshot is live, so it costs no Docker
   * call; other endpoints are listed (without inspects). For the stack or a service, each endpoint
   * starts acting as soon as its own list is in, so a slow or dead endpoint delays nobody else
   * (this is the killswitch path). A single-container target waits for every list so that an
   * unknown or ambiguous name is refused before anything is touched.
   */
  private async runOnTargets(
    target: Target,
    req: ActionRequest,
    stopOf?: (service: string) => number | undefined,
  ): Promise<{
    containers: ContainerActionResult[]
    unreachable: Array<{ endpoint: string; error: string }>
  }> {
    const svc =
      target.service === undefined ? undefined : this.o.services.find((s) => s.name === target.service)
    if (target.service !== undefined && !svc) {
      throw new CoreError('not_found', `no service named ${JSON.stringify(target.service)}`, {
        path: '/target/service',
      })
    }
    const scope = [...this.clients.values()].filter(
      (c) => servicesOn(svc ? [svc] : this.o.services, c.id).length > 0,
    )
    const unreachable: Array<{ endpoint: string; error: string }> = []
    const recordsOf = async (c: EndpointClient): Promise<ContainerRecord[]> => {
      if (this.store.isLive(c.id)) return this.store.records(c.id)
      try {
        return await listEndpoint(c, this.o.services, { timeoutMs: this.o.listTimeoutMs, inspect: false })
      } catch (err) {
        unreachable.push({ endpoint: c.id, error: (err as Error).message })
        return []
      }
    }
    const toTargets = (recs: ContainerRecord[]): ActionTarget[] =>
      resolveTargets(this.o.services, recs, target).map((p) => ({
        client: this.clients.get(p.rec.endpoint) as EndpointClient,
        rec: p.rec,
        service: p.service,
      }))

    if (target.container === undefined) {
      const per = await Promise.all(scope.map(async (c) => actOnAll(toTargets(await recordsOf(c)), req, stopOf)))
      const containers = per
        .flat()
        .sort((a, b) => a.name.localeCompare(b.name) || a.endpoint.localeCompare(b.endpoint))
      return { containers, unreachable: unreachable.sort((a, b) => a.endpoint.localeCompare(b.endpoint)) }
    }

    const lists = await Promise.all(scope.map(recordsOf))
    let targets: ActionTarget[]
    try {
      targets = toTargets(lists.flat())
    } catch (err) {
      if (err instanceof CoreError && err.code === 'not_found' && unreachable.length > 0) {
        throw new CoreError(
          'unavailable',
          `${err.message}; unreachable: ${unreachable.map((u) => u.endpoint).join(', ')}`,
          {
            ...(err.path !== undefined ? { path: err.path } : {}),
            cause: err,
          },
        )
      }
      throw err
    }
    return { containers: await actOnAll(targets, req, stopOf), unreachable }
  }

  /**
   * The state of exactly these containers, by inspect now rather than from the snapshot (which
   * trails the engine by its event delivery): 'paused', 'running', 'exited'…, 'missing' when the
   * engine says it does not exist, 'unknown' when the engine could not be asked.
   */
  async inspectStates(
    refs: ReadonlyArray<{ id: string; endpoint: string }>,
  ): Promise<Map<string, ContainerState | 'missing' | 'unknown'>> {
    const entries = await Promise.all(
      refs.map(async (r): Promise<[string, ContainerState | 'missing' | 'unknown']> => {
        const client = this.clients.get(r.endpoint)
        if (!client) return [r.id, 'unknown']
        const dl = deadline(this.o.listTimeoutMs)
        try {
          const i = await inspectOrGone(client, r.id, dl.signal)
          if (i === 'gone') return [r.id, 'missing']
          return [r.id, i.State.Paused ? 'paused' : toState(i.State.Status)]
        } catch {
          return [r.id, 'unknown']
        } finally {
          dl.done()
        }
      }),
    )
    return new Map(entries)
  }

  // ---- how containers see the config -------------------------------------------------------

  /**
   * How each target (default: every container of the stack) sees `configPath`, from inspect, and
   * optionally the bytes it sees (describe-config-views.ts). Never throws for one container: a
   * container the engine cannot describe comes back `unknown` with the reason.
   */
  async configViews(
    configPath: string,
    opts: Omit<DescribeConfigViewsInput, 'configPath' | 'endpoints' | 'containers'> & { targets?: readonly ConfigViewTarget[] } = {},
  ): Promise<ConfigViewsReport> {
    const { targets, ...rest } = opts
    const containers =
      targets ?? this.containers(await this.list()).map((c) => ({ id: c.id, endpoint: c.endpoint, name: c.name, service: c.service }))
    return describeConfigViews({
      configPath,
      endpoints: [...this.clients.values()],
      containers,
      timeoutMs: this.o.listTimeoutMs,
      ...rest,
    })
  }

  /** The freeze of these containers between two instants, from the engines' own events (engine-freeze.ts). */
  engineFreeze(refs: ReadonlyArray<{ id: string; endpoint: string }>, sinceMs: number, untilMs: number): Promise<EngineFreeze | null> {
    return engineFreezeWindow(this.clients, refs, sinceMs, untilMs, this.o.listTimeoutMs)
  }

  // ---- reload -----------------------------------------------------------------------------

  /**
   * Signal each service's running containers (if it has a signal) and wait for its evidence line.
   * `since` (services without a signal): the moment the config was written; evidence stamped
   * before it does not count. Default: now. `awaitEvidence: false` only sends the signals.
   * Paused containers are never signalled (a signal would unfreeze them); they come back as
   * `deferred`.
   */
  /**
   * `config`: the config being applied; `{{/pointer}}` placeholders in a service's logPattern must
   * then match its values (evidence-pattern.ts), so a line printing the old value proves nothing.
   */
  async reload(opts: { services?: string[]; since?: Date; awaitEvidence?: boolean; config?: unknown } = {}): Promise<ReloadResult> {
    const t0 = performance.now()
    const at = new Date().toISOString()
    const specs =
      opts.services === undefined
        ? this.o.services
        : opts.services.map((n, i) => {
            const s = this.o.services.find((x) => x.name === n)
            if (!s)
              throw new CoreError('not_found', `no service named ${JSON.stringify(n)}`, {
                path: `/services/${i}`,
              })
            return s
          })
    const snap = await this.list()
    const recsByService = new Map(snap.services.map((v) => [v.name, v.containers]))
    const services = await Promise.all(
      specs.map(async (spec) => {
        const recs = (recsByService.get(spec.name) ?? []).filter(reloadable)
        const targets = await Promise.all(
          recs.map(async (rec) => ({
            client: this.clients.get(rec.endpoint) as EndpointClient,
            rec,
            skew: await this.skewFor(rec.endpoint),
          })),
        )
        const source = spec.reload.logPattern
        let pattern = opts.awaitEvidence === false ? null : (this.patterns.get(spec.name) ?? null)
        if (pattern && source !== null && opts.config !== undefined) {
          const compiled = compileEvidencePattern(source, opts.config)
          if ('error' in compiled) return patternRefused(spec, targets.map((t) => t.rec), compiled.error)
          pattern = compiled.re
        }
        return reloadService(spec, pattern, targets, opts.since ? opts.since.getTime() : null)
      }),
    )
    return {
      at,
      ms: Math.round((performance.now() - t0) * 10) / 10,
      services,
      proved: services.filter((s) => s.status === 'proved').map((s) => s.service),
      notProved: services.filter((s) => s.status === 'not_proved').map((s) => s.service),
      unverifiable: services.filter((s) => s.status === 'unverifiable').map((s) => s.service),
      deferred: services.filter((s) => s.status === 'deferred').map((s) => s.service),
    }
  }

  private skewFor(endpoint: string): Promise<ClockSkew> {
    const cached = this.skews.get(endpoint)
    // Clocks drift slowly; ten minutes between measurements is plenty.
    if (cached && Date.now() - cached.at < 600_000) return cached.value
    const value = measureSkew(
      this.clients.get(endpoint) as EndpointClient,
      this.local.has(endpoint),
      this.o.listTimeoutMs,
    )
    this.skews.set(endpoint, { at: Date.now(), value })
    return value
  }
}

/** A pattern that cannot be tied to the new config: nothing is signalled, nothing counts as proof. */
function patternRefused(spec: ServiceSpec, recs: ContainerRecord[], error: string): ReloadServiceResult {
  return {
    service: spec.name,
    signal: spec.reload.signal,
    status: 'not_proved',
    containers: recs.map((r) => ({ id: r.id, name: r.name, endpoint: r.endpoint, proved: false, error, ms: 0 })),
    deferred: [],
    ms: 0,
    error,
  }
}
