import { CoreError } from '../errors'
import type { StackEventSink } from './snapshot-store'
import { parseEndpointUrl } from './endpoint-url'
import { checkEvidencePattern } from './evidence-pattern'
import { normalizeSignal } from './signals'
import type { AnnounceFn, EndpointSpec, ServiceSpec } from './types'

export interface StackServiceOptions {
  endpoints: EndpointSpec[]
  services: ServiceSpec[]
  /** Budget for each container's action + confirm-by-inspect. */
  actionTimeoutMs: number
  events?: StackEventSink
  /** Publishes pause/resume announcements on the bus; failures never fail the action. */
  announce?: AnnounceFn
  /** Per-endpoint budget for list/ping/connect; an endpoint slower than this is reported unreachable. Default 3000. */
  listTimeoutMs?: number
  /** Coalescing window for `stack.changed`. Default 50. */
  debounceMs?: number
  /** Reconnect backoff of the events watcher. Defaults 100 and 5000. */
  backoffBaseMs?: number
  backoffCapMs?: number
  /** Liveness ping of a watched endpoint; 0 disables. Default 15000. */
  pingIntervalMs?: number
  /** docker restart's grace period before SIGKILL; added to the restart budget. Default 10. */
  restartStopTimeoutS?: number
  /** How long an announcement may take before the action result says it was not announced. Default 1000. */
  announceTimeoutMs?: number
  log?: (msg: string) => void
}

export type ResolvedOptions = Required<Omit<StackServiceOptions, 'events' | 'announce' | 'log'>> &
  Pick<StackServiceOptions, 'events' | 'announce' | 'log'>

/**
 * Check the options once, up front, with JSON-pointer paths the settings UI can show; fill in
 * defaults; canonicalise reload signals; compile log patterns.
 */
export function resolveOptions(opts: StackServiceOptions): {
  options: ResolvedOptions
  patterns: Map<string, RegExp | null>
} {
  const bad = (path: string, message: string) => new CoreError('invalid_input', message, { path })
  const ids = new Set<string>()
  opts.endpoints.forEach((ep, i) => {
    if (ids.has(ep.id)) throw bad(`/endpoints/${i}/id`, `duplicate endpoint id ${ep.id}`)
    ids.add(ep.id)
    try {
      parseEndpointUrl(ep.url)
    } catch (err) {
      throw bad(`/endpoints/${i}/url`, (err as Error).message)
    }
  })
  const names = new Set<string>()
  const patterns = new Map<string, RegExp | null>()
  const services = opts.services.map((s, i): ServiceSpec => {
    if (names.has(s.name)) throw bad(`/services/${i}/name`, `duplicate service name ${s.name}`)
    names.add(s.name)
    // An empty selector would match every container on the host: far too easy to pause the world.
    if (Object.keys(s.selector).length === 0) {
      throw bad(`/services/${i}/selector`, `service ${s.name}: selector needs at least one label`)
    }
    if (s.endpoint !== undefined && !ids.has(s.endpoint)) {
      throw bad(`/services/${i}/endpoint`, `service ${s.name}: unknown endpoint ${s.endpoint}`)
    }
    try {
      patterns.set(s.name, s.reload.logPattern === null ? null : checkEvidencePattern(s.reload.logPattern))
    } catch (err) {
      throw bad(
        `/services/${i}/reload/logPattern`,
        `service ${s.name}: logPattern is not a valid regular expression: ${String(err)}`,
      )
    }
    const signal =
      s.reload.signal === null ? null : normalizeSignal(s.reload.signal, `/services/${i}/reload/signal`)
    return { ...s, reload: { ...s.reload, signal } }
  })
  if (!(opts.actionTimeoutMs > 0)) throw bad('/actionTimeoutMs', 'actionTimeoutMs must be positive')
  return {
    options: {
      ...opts,
      services,
      listTimeoutMs: opts.listTimeoutMs ?? 3000,
      debounceMs: opts.debounceMs ?? 50,
      backoffBaseMs: opts.backoffBaseMs ?? 100,
      backoffCapMs: opts.backoffCapMs ?? 5000,
      pingIntervalMs: opts.pingIntervalMs ?? 15_000,
      restartStopTimeoutS: opts.restartStopTimeoutS ?? 10,
      announceTimeoutMs: opts.announceTimeoutMs ?? 1000,
    },
    patterns,
  }
}
