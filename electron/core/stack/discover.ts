import type Docker from 'dockerode'
import type { DiscoveredContainerT, DiscoveryT } from '../api/contract/services'
import { deadline, endpointError } from './docker-calls'
import type { EndpointClient } from './endpoint-url'
import { matchesSelector, servicesOn } from './selection'
import type { ServiceSpec } from './types'

export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project'
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service'

/**
 * Every container of every endpoint, in the stack or not, so a service can be defined from what is
 * really there (its compose labels make a ready selector). One list call per endpoint, in
 * parallel, each bounded by `timeoutMs`; the list summary already carries labels, state and
 * mounts, so no inspect is needed. An endpoint that does not answer is reported, never thrown.
 */
export async function discoverContainers(
  clients: readonly EndpointClient[],
  services: readonly ServiceSpec[],
  timeoutMs: number,
): Promise<DiscoveryT> {
  const at = new Date().toISOString()
  const unreachable: DiscoveryT['unreachable'] = []
  const per = await Promise.all(
    clients.map(async (client) => {
      const dl = deadline(timeoutMs)
      try {
        const list = await client.docker.listContainers({ all: true, abortSignal: dl.signal } as Docker.ContainerListOptions)
        const mine = servicesOn(services, client.id)
        return list.map((c) => discovered(client.id, c, mine))
      } catch (err) {
        unreachable.push({ endpoint: client.id, error: endpointError(err, timeoutMs) })
        return []
      } finally {
        dl.done()
      }
    }),
  )
  const containers = per.flat().sort((a, b) => a.name.localeCompare(b.name) || a.endpoint.localeCompare(b.endpoint))
  return { at, containers, unreachable: unreachable.sort((a, b) => a.endpoint.localeCompare(b.endpoint)) }
}

function discovered(endpoint: string, c: Docker.ContainerInfo, services: readonly ServiceSpec[]): DiscoveredContainerT {
  const labels = c.Labels ?? {}
  return {
    endpoint,
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    image: c.Image,
    state: c.State,
    labels,
    compose: { project: labels[COMPOSE_PROJECT_LABEL] ?? null, service: labels[COMPOSE_SERVICE_LABEL] ?? null },
    // Volumes have a Name and sometimes no Source; the destination is what the service sees.
    mounts: (c.Mounts ?? []).map((m) => ({ type: m.Type, source: m.Source || (m as { Name?: string }).Name || '', destination: m.Destination })),
    services: services.filter((s) => matchesSelector(labels, s.selector)).map((s) => s.name),
  }
}
