import { groupByService, matchesSelector, servicesOn, type ContainerRecord } from './selection'
import type { EndpointSpec, EndpointStatus, ServiceSpec, StackSnapshot } from './types'

export interface StackEventSink {
  emit(name: 'stack.changed', payload: StackSnapshot): void
}

interface EndpointEntry {
  spec: EndpointSpec
  containers: Map<string, ContainerRecord>
  reachable: boolean
  watching: boolean
  error: string | null
  since: string
}

/**
 * The engine's view of every endpoint. Writers are the watchers (lists and events) and on-demand
 * lists; readers get whole snapshots. Changes are coalesced: the first change in a quiet period
 * schedules one `stack.changed` emit `debounceMs` later carrying the full snapshot of that moment,
 * so a burst of 50 pause events costs one emit, and nothing waits longer than `debounceMs`.
 */
export class SnapshotStore {
  private readonly eps = new Map<string, EndpointEntry>()
  private timer: NodeJS.Timeout | null = null
  private closed = false

  constructor(
    endpoints: readonly EndpointSpec[],
    private readonly services: readonly ServiceSpec[],
    private readonly sink: StackEventSink | undefined,
    private readonly debounceMs: number,
  ) {
    const now = new Date().toISOString()
    for (const spec of endpoints) {
      this.eps.set(spec.id, {
        spec,
        containers: new Map(),
        reachable: false,
        watching: false,
        error: 'not contacted yet',
        since: now,
      })
    }
  }

  /** Does this container belong to any service looked for on its endpoint? */
  inStack(rec: Pick<ContainerRecord, 'endpoint' | 'labels'>): boolean {
    return servicesOn(this.services, rec.endpoint).some((s) => matchesSelector(rec.labels, s.selector))
  }

  isLive(endpoint: string): boolean {
    return this.eps.get(endpoint)?.watching === true
  }

  records(endpoint: string): ContainerRecord[] {
    return [...(this.eps.get(endpoint)?.containers.values() ?? [])]
  }

  get(endpoint: string, id: string): ContainerRecord | undefined {
    return this.eps.get(endpoint)?.containers.get(id)
  }

  /** Authoritative list for one endpoint: replaces whatever was known. */
  replace(endpoint: string, recs: readonly ContainerRecord[]): void {
    const e = this.eps.get(endpoint)
    if (!e) return
    e.containers = new Map(recs.filter((r) => this.inStack(r)).map((r) => [r.id, r]))
    this.changed()
  }

  upsert(rec: ContainerRecord): void {
    const e = this.eps.get(rec.endpoint)
    if (!e || !this.inStack(rec)) return
    e.containers.set(rec.id, rec)
    this.changed()
  }

  patch(endpoint: string, id: string, fields: Partial<Omit<ContainerRecord, 'id' | 'endpoint'>>): boolean {
    const cur = this.eps.get(endpoint)?.containers.get(id)
    if (!cur) return false
    const next = { ...cur, ...fields }
    if (Object.entries(fields).every(([k, v]) => cur[k as keyof ContainerRecord] === v)) return true
    this.eps.get(endpoint)?.containers.set(id, next)
    this.changed()
    return true
  }

  remove(endpoint: string, id: string): void {
    if (this.eps.get(endpoint)?.containers.delete(id)) this.changed()
  }

  /**
   * Connection facts. An unreachable endpoint's containers are dropped: their state is unknown,
   * and showing the last known state as if it were current would be a lie.
   */
  setStatus(endpoint: string, s: { reachable?: boolean; watching?: boolean; error?: string | null }): void {
    const e = this.eps.get(endpoint)
    if (!e) return
    const reachable = s.reachable ?? e.reachable
    const watching = s.watching ?? e.watching
    const error = s.error === undefined ? e.error : s.error
    if (reachable === e.reachable && watching === e.watching && error === e.error) return
    if (reachable !== e.reachable || watching !== e.watching) e.since = new Date().toISOString()
    e.reachable = reachable
    e.watching = watching
    e.error = error
    if (!reachable) e.containers.clear()
    this.changed()
  }

  endpointStatus(): EndpointStatus[] {
    return [...this.eps.values()].map((e) => ({
      id: e.spec.id,
      url: e.spec.url,
      reachable: e.reachable,
      watching: e.watching,
      error: e.error,
      since: e.since,
      containers: e.containers.size,
    }))
  }

  snapshot(now = Date.now()): StackSnapshot {
    const all: ContainerRecord[] = []
    for (const e of this.eps.values()) all.push(...e.containers.values())
    return {
      at: new Date(now).toISOString(),
      services: groupByService(this.services, all, now),
      endpoints: this.endpointStatus(),
    }
  }

  private changed(): void {
    if (this.timer || this.closed || !this.sink) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.sink?.emit('stack.changed', this.snapshot())
    }, this.debounceMs)
  }

  /** Emit again after a `close()` (watching restarted). */
  open(): void {
    this.closed = false
  }

  close(): void {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }
}
