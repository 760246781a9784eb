/**
 * Small adapters that let the bus, the killswitch and the supervisor see containers through the
 * stack engine, so none of those modules needs to know Docker.
 */
import type { CallContext } from '../api/call-context'
import type { BusClient } from '../bus/bus-client'
import type { StackService } from '../stack/stack-service'
import type { ContainerInfo } from '../stack/types'
import type { HeartbeatVerdict, StartOutcome, SupervisedContainer, SupervisedStack } from '../supervise/ports'

export const AGENT_LABEL = 'stackdeck.agent'

function allContainers(stack: StackService): ContainerInfo[] {
  const seen = new Set<string>()
  const out: ContainerInfo[] = []
  for (const s of stack.snapshot().services)
    for (const c of s.containers) {
      const key = `${c.endpoint}/${c.id}`
      if (!seen.has(key)) {
        seen.add(key)
        out.push(c)
      }
    }
  return out
}

/** Docker's default hostname is the first 12 hex digits of the container id. */
export function containerForAgent(
  containers: readonly ContainerInfo[],
  agent: { id: string; containerId?: string | undefined; hostname?: string | undefined },
): ContainerInfo | undefined {
  return (
    containers.find((c) => c.labels[AGENT_LABEL] === agent.id) ??
    (agent.containerId ? containers.find((c) => c.id.startsWith(agent.containerId as string)) : undefined) ??
    (agent.hostname ? containers.find((c) => c.id.startsWith(agent.hostname as string) || c.name === agent.hostname) : undefined)
  )
}

/**
 * Paused is not dead: the agent registry asks this whether an agent's container is frozen. When
 * the agent's container cannot be found (no `stackdeck.agent` label, no container id or hostname in
 * its heartbeat) but every live container of the stack is paused, its silence is explained by the
 * pause: 'stack-paused' ("silent (stack paused)", no death notification), never "dead".
 */
export function pausedResolverFor(stack: StackService) {
  return (agent: { id: string; containerId?: string; hostname?: string }): boolean | 'stack-paused' => {
    const all = allContainers(stack)
    const c = containerForAgent(all, agent)
    if (c) return c.state === 'paused'
    const live = all.filter((x) => x.state === 'running' || x.state === 'paused')
    return live.length > 0 && live.every((x) => x.state === 'paused') ? 'stack-paused' : false
  }
}

/** The killswitch's Docker-level stop for an execution agent that did not acknowledge. */
export function agentContainerPauser(stack: StackService, ctx: CallContext) {
  return async (agentId: string, hint: { containerId?: string; hostname?: string }): Promise<void> => {
    const c = containerForAgent(allContainers(stack), { id: agentId, ...hint })
    if (!c) throw new Error(`no container found for agent ${agentId}`)
    const r = await stack.pause(ctx, { containers: [{ id: c.id, endpoint: c.endpoint, name: c.name, service: c.service }], reason: `killswitch: ${agentId} did not acknowledge` })
    const bad = r.containers.find((x) => x.outcome === 'failed' || x.outcome === 'timeout')
    if (bad) throw new Error(`pausing ${c.name} failed: ${bad.error ?? bad.outcome}`)
  }
}

export function heartbeatViewFor(bus: BusClient) {
  return {
    isStale(c: SupervisedContainer): HeartbeatVerdict {
      if (bus.connection().state !== 'ready') return 'unknown'
      const agents = bus.agents().agents
      const label = c.labels[AGENT_LABEL]
      const a = agents.find(
        (x) => (label && x.id === label) || (x.containerId && c.id.startsWith(x.containerId)) || (x.hostname && c.id.startsWith(x.hostname)),
      )
      if (!a) return 'unknown'
      if (a.status === 'paused') return 'unknown'
      return a.alive ? 'fresh' : 'stale'
    },
  }
}

export function supervisedStackFor(stack: StackService, ctx: CallContext): SupervisedStack {
  const act = async (c: SupervisedContainer): Promise<StartOutcome> => {
    // docker restart also starts an exited container, and confirms by inspect.
    const r = await stack.restart(ctx, { containers: [{ id: c.id, endpoint: c.endpoint, name: c.name, service: c.service }], reason: 'supervisor' })
    const res = r.containers[0]
    return res && (res.outcome === 'ok' || res.outcome === 'already')
      ? { ok: true }
      : { ok: false, error: res ? `${res.outcome}${res.error ? `: ${res.error}` : ''}` : 'no result' }
  }
  return {
    async containersOf(service: string) {
      const snap = await stack.list()
      const unreachable = snap.endpoints.filter((e) => !e.reachable)
      const svc = snap.services.find((s) => s.name === service)
      if (!svc && unreachable.length) throw new Error(`engine unreachable: ${unreachable.map((e) => e.id).join(', ')}`)
      return svc?.containers ?? []
    },
    restart: (c) => act(c),
    start: (c) => act(c),
  }
}
