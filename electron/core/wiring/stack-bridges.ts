/**
 * Small adapters that let the bus, the killswitch and the supervisor see containers through the
 * stack engine, so none of those modules needs to know Docker.
 */
import type { CallContext } from '../api/call-context'
import type { BusClient } from '../bus/bus-client'
import type { FrozenRef, PauseEffect, ResumeEffect } from '../bus/killswitch'
import type { StackService } from '../stack/stack-service'
import type { ActionResult, ContainerInfo } from '../stack/types'
import type { HeartbeatVerdict, StartOutcome, SupervisedContainer, SupervisedStack } from '../supervise/ports'

export const AGENT_LABEL = 'stackdeck.agent'

/**
 * The stack announces its pauses and resumes on the bus, and the bus asks the stack what is paused:
 * a real cycle between the two. The stack is built first with this forwarder; the bus plugs in once
 * it exists. Until then, and whenever the bus is not connected, an announcement fails now (the
 * action's result says "not announced") rather than waiting for a link that may never come.
 */
export function busAnnouncer() {
  let bus: Pick<BusClient, 'connection' | 'publish'> | null = null
  return {
    announce: (channel: string, payload: unknown): Promise<unknown> =>
      bus && bus.connection().state === 'ready' ? bus.publish(channel, payload) : Promise.reject(new Error('bus not connected')),
    connect(to: Pick<BusClient, 'connection' | 'publish'>): void {
      bus = to
    },
  }
}

const allContainers = (stack: StackService): ContainerInfo[] => stack.containers()

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

/**
 * Whether a run's container is paused: the container named at creation (name or id), else the one
 * labelled with its agent id. Unknown containers are not paused (the heartbeat age decides).
 */
export function runPausedResolverFor(stack: StackService) {
  return (run: { agent: string; container: string | null }): boolean => {
    const c = containerForAgent(allContainers(stack), { id: run.agent, ...(run.container ? { hostname: run.container } : {}) })
    return c?.state === 'paused'
  }
}

const refOf = (c: { id: string; name: string; service: string; endpoint: string }): FrozenRef => ({
  id: c.id,
  name: c.name,
  service: c.service,
  endpoint: c.endpoint,
})

/**
 * Split a pause result into what this pause froze ('ok') and what was paused already ('already':
 * someone else froze it, so it is not ours to resume later).
 */
export function pauseEffectOf(r: ActionResult): PauseEffect {
  return {
    paused: r.containers.filter((c) => c.outcome === 'ok').map(refOf),
    alreadyPaused: r.containers.filter((c) => c.outcome === 'already').map(refOf),
  }
}

/** The killswitch's stack-wide pause, reporting what it froze itself. */
export function killswitchStackPauser(stack: StackService) {
  return async (why: string, who: string): Promise<PauseEffect> =>
    pauseEffectOf(await stack.pause({ who, door: 'system' }, { reason: why }))
}

/** The killswitch's Docker-level stop for an execution agent that did not acknowledge. */
export function agentContainerPauser(stack: StackService, ctx: CallContext) {
  return async (agentId: string, hint: { containerId?: string; hostname?: string }): Promise<PauseEffect> => {
    const c = containerForAgent(allContainers(stack), { id: agentId, ...hint })
    if (!c) throw new Error(`no container found for agent ${agentId}`)
    const r = await stack.pause(ctx, { containers: [{ id: c.id, endpoint: c.endpoint, name: c.name, service: c.service }], reason: `killswitch: ${agentId} did not acknowledge` })
    const bad = r.containers.find((x) => x.outcome === 'failed' || x.outcome === 'timeout')
    if (bad) throw new Error(`pausing ${c.name} failed: ${bad.error ?? bad.outcome}`)
    return pauseEffectOf(r)
  }
}

/**
 * Unpause exactly the given containers. An unpause of a running container changes nothing (Docker
 * answers "not paused", reported 'already'), so "only where still paused" holds without a race
 * between a check and the call; nothing else in the stack is touched.
 */
export function containerResumer(stack: StackService) {
  return async (refs: FrozenRef[], why: string, who: string): Promise<ResumeEffect> => {
    const r = await stack.unpause({ who, door: 'system' }, { containers: refs, reason: why })
    const byKey = new Map(refs.map((x) => [`${x.endpoint}/${x.id}`, x]))
    const out: ResumeEffect = { resumed: [], notPaused: [], failed: [] }
    for (const c of r.containers) {
      const ref = byKey.get(`${c.endpoint}/${c.id}`) ?? refOf(c)
      if (c.outcome === 'ok') out.resumed.push(ref)
      else if (c.outcome === 'already' || c.outcome === 'gone' || c.outcome === 'skipped') out.notPaused.push(ref)
      else out.failed.push({ ...ref, error: c.error ?? c.outcome })
    }
    return out
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

/**
 * The supervisor's view of the stack engine. Three promises the supervisor relies on live here:
 * - `stopTimeoutS` reaches the engine as docker restart's `t` (SIGTERM, then SIGKILL after t s);
 * - a container paused by someone else is never restarted, even when it was paused between the
 *   supervisor's check and its restart call (the engine is asked again right before acting);
 * - an endpoint that is unreachable (or whose view is not live) makes the list throw, so "cannot see
 *   the containers" is never read as "there are no containers".
 */
export function supervisedStackFor(stack: StackService, ctx: CallContext): SupervisedStack {
  const act = async (c: SupervisedContainer, stopTimeoutS: number | undefined): Promise<StartOutcome> => {
    // docker restart also starts an exited container, and confirms by inspect.
    const r = await stack.restart(ctx, {
      containers: [{ id: c.id, endpoint: c.endpoint, name: c.name, service: c.service }],
      reason: 'supervisor',
      unlessPaused: true,
      ...(stopTimeoutS !== undefined ? { stopTimeoutS } : {}),
    })
    const res = r.containers[0]
    if (res && (res.outcome === 'ok' || res.outcome === 'already')) return { ok: true }
    if (res?.outcome === 'skipped' && res.state === 'paused') return { ok: false, state: 'paused', skipped: res.error ?? 'paused by someone else: left frozen' }
    return {
      ok: false,
      ...(res?.state ? { state: res.state } : {}),
      error: res ? `${res.outcome}${res.error ? `: ${res.error}` : ''}` : 'no result',
    }
  }
  return {
    async containersOf(service: string) {
      const snap = await stack.list()
      const svc = snap.services.find((s) => s.name === service)
      // Only the endpoints this service can live on matter; an error means the view is not current.
      const scope = snap.endpoints.filter((e) => !svc || svc.endpoint === null || e.id === svc.endpoint)
      const blind = scope.filter((e) => !e.reachable || e.error !== null)
      if (blind.length > 0) {
        throw new Error(
          `engine unreachable: ${blind.map((e) => `${e.id} (${e.error ?? 'unreachable'}, since ${e.since})`).join('; ')}`,
        )
      }
      return svc?.containers ?? []
    },
    restart: (c, opts) => act(c, opts.stopTimeoutS),
    start: (c) => act(c, undefined),
  }
}
