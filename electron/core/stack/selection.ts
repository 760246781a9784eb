import type Docker from 'dockerode'
import { CoreError } from '../errors'
import {
  CONTAINER_STATES,
  type ContainerHealth,
  type ContainerInfo,
  type ContainerState,
  type EndpointStatus,
  type ServiceSpec,
  type ServiceView,
  type StackSnapshot,
  type StackStatus,
  type Target,
} from './types'

/** What the engine knows about one container, before it is placed under services. */
export interface ContainerRecord {
  id: string
  name: string
  image: string
  endpoint: string
  state: ContainerState
  health: ContainerHealth
  startedAt: string | null
  labels: Record<string, string>
}

export const matchesSelector = (labels: Record<string, string>, selector: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v)

export const servicesOn = (services: readonly ServiceSpec[], endpoint: string): ServiceSpec[] =>
  services.filter((s) => s.endpoint === undefined || s.endpoint === endpoint)

/**
 * Docker ANDs label filters, so one request can only carry the labels every service shares.
 * Those narrow the server-side result; the exact per-service match is done here.
 */
export function commonLabelFilters(services: readonly ServiceSpec[]): string[] {
  const [first, ...rest] = services
  if (!first) return []
  return Object.entries(first.selector)
    .filter(([k, v]) => rest.every((s) => s.selector[k] === v))
    .map(([k, v]) => `${k}=${v}`)
    .sort()
}

export function primaryService(
  services: readonly ServiceSpec[],
  rec: ContainerRecord,
): ServiceSpec | undefined {
  return services.find(
    (s) =>
      (s.endpoint === undefined || s.endpoint === rec.endpoint) && matchesSelector(rec.labels, s.selector),
  )
}

const stateSet = new Set<string>(CONTAINER_STATES)
export function toState(s: string | undefined): ContainerState {
  const v = (s ?? '').toLowerCase()
  // An unknown state is one we cannot act on safely; 'dead' says so without claiming it runs.
  return stateSet.has(v) ? (v as ContainerState) : 'dead'
}

export function toHealth(s: string | undefined | null): ContainerHealth {
  switch ((s ?? '').toLowerCase()) {
    case 'healthy':
      return 'healthy'
    case 'unhealthy':
      return 'unhealthy'
    case 'starting':
    case 'health: starting':
      return 'starting'
    default:
      return 'none'
  }
}

/** Health from a list entry's Status text, e.g. "Up 3 minutes (health: starting)". */
export function healthFromStatusText(status: string | undefined): ContainerHealth {
  const m = /\((healthy|unhealthy|health: starting)\)/.exec(status ?? '')
  return toHealth(m?.[1])
}

/** Docker times carry nanoseconds; the zero time means "never". Returns epoch ms or null. */
export function parseDockerTime(s: string | null | undefined): number | null {
  if (!s || s.startsWith('0001-01-01')) return null
  const t = Date.parse(s.replace(/(\.\d{3})\d+/, '$1'))
  return Number.isFinite(t) ? t : null
}

export const stripSlash = (n: string | undefined): string => (n ?? '').replace(/^\//, '')

export function recordFromSummary(c: Docker.ContainerInfo, endpoint: string): ContainerRecord {
  return {
    id: c.Id,
    name: stripSlash(c.Names?.[0]) || c.Id.slice(0, 12),
    image: c.Image,
    endpoint,
    state: toState(c.State),
    health: healthFromStatusText(c.Status),
    startedAt: null,
    labels: c.Labels ?? {},
  }
}

export function recordFromInspect(c: Docker.ContainerInspectInfo, endpoint: string): ContainerRecord {
  const startedMs = parseDockerTime(c.State.StartedAt)
  return {
    id: c.Id,
    name: stripSlash(c.Name) || c.Id.slice(0, 12),
    image: c.Config?.Image ?? c.Image,
    endpoint,
    state: toState(c.State.Status),
    health: toHealth(c.State.Health?.Status),
    startedAt: startedMs === null ? null : c.State.StartedAt,
    labels: c.Config?.Labels ?? {},
  }
}

export function uptimeS(rec: Pick<ContainerRecord, 'state' | 'startedAt'>, now: number): number | null {
  if (rec.state !== 'running' && rec.state !== 'paused') return null
  const t = parseDockerTime(rec.startedAt)
  return t === null ? null : Math.max(0, Math.round((now - t) / 1000))
}

export function toContainerInfo(rec: ContainerRecord, service: string, now: number): ContainerInfo {
  return {
    id: rec.id,
    name: rec.name,
    image: rec.image,
    endpoint: rec.endpoint,
    service,
    state: rec.state,
    health: rec.health,
    startedAt: rec.startedAt,
    uptimeS: uptimeS(rec, now),
    labels: rec.labels,
  }
}

const byName = (a: { name: string; endpoint: string }, b: { name: string; endpoint: string }) =>
  a.name === b.name ? a.endpoint.localeCompare(b.endpoint) : a.name.localeCompare(b.name)

/** Group records under every service they match, in settings order; containers sorted by name. */
export function groupByService(
  services: readonly ServiceSpec[],
  records: Iterable<ContainerRecord>,
  now: number,
): ServiceView[] {
  const all = [...records]
  return services.map((s) => {
    const containers = all
      .filter(
        (r) =>
          (s.endpoint === undefined || s.endpoint === r.endpoint) && matchesSelector(r.labels, s.selector),
      )
      .map((r) => toContainerInfo(r, primaryService(services, r)?.name ?? s.name, now))
      .sort(byName)
    return { name: s.name, endpoint: s.endpoint ?? null, containers }
  })
}

/** Every stack container once, even when it matches several services. */
export function uniqueContainers(views: readonly ServiceView[]): ContainerInfo[] {
  const seen = new Map<string, ContainerInfo>()
  for (const v of views) for (const c of v.containers) seen.set(`${c.endpoint}/${c.id}`, c)
  return [...seen.values()].sort(byName)
}

export function computeStatus(snap: StackSnapshot): StackStatus {
  const containers = uniqueContainers(snap.services)
  const counts = Object.fromEntries(CONTAINER_STATES.map((s) => [s, 0])) as Record<ContainerState, number>
  for (const c of containers) counts[c.state]++
  let state: StackStatus['state']
  if (snap.endpoints.length > 0 && snap.endpoints.every((e: EndpointStatus) => !e.reachable))
    state = 'unreachable'
  else if (containers.length === 0) state = 'empty'
  else if (counts.running === containers.length) state = 'running'
  else if (counts.paused === containers.length) state = 'paused'
  else state = 'mixed'
  return { at: snap.at, state, counts, containers, endpoints: snap.endpoints }
}

/**
 * Pick the containers an action applies to. Unknown services and containers are errors: an action
 * aimed at something that is not part of the stack must never silently widen or vanish.
 */
export function resolveTargets(
  services: readonly ServiceSpec[],
  records: readonly ContainerRecord[],
  target: Target,
): Array<{ rec: ContainerRecord; service: string }> {
  let scope = services
  if (target.service !== undefined) {
    const s = services.find((x) => x.name === target.service)
    if (!s)
      throw new CoreError('not_found', `no service named ${JSON.stringify(target.service)}`, {
        path: '/target/service',
      })
    scope = [s]
  }
  const inScope = (rec: ContainerRecord) =>
    scope.some(
      (s) =>
        (s.endpoint === undefined || s.endpoint === rec.endpoint) && matchesSelector(rec.labels, s.selector),
    )
  let picked = records.filter(inScope)
  if (target.container !== undefined) {
    const want = target.container
    const exact = picked.filter((r) => r.id === want || r.name === want || r.name === stripSlash(want))
    const byPrefix = want.length >= 4 ? picked.filter((r) => r.id.startsWith(want)) : []
    const hits = exact.length > 0 ? exact : byPrefix
    if (hits.length === 0) {
      throw new CoreError(
        'not_found',
        `no stack container ${JSON.stringify(want)}${target.service ? ` in service ${target.service}` : ''}`,
        {
          path: '/target/container',
        },
      )
    }
    if (hits.length > 1) {
      throw new CoreError(
        'invalid_input',
        `${JSON.stringify(want)} matches ${hits.length} containers; use a longer id`,
        {
          path: '/target/container',
        },
      )
    }
    picked = hits
  }
  return picked.map((rec) => ({ rec, service: primaryService(services, rec)?.name ?? scope[0]?.name ?? '' }))
}
