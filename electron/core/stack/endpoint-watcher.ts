import type { Readable } from 'node:stream'
import { deadline, endpointError, inspectOrGone, listEndpoint, ping } from './docker-calls'
import type { EndpointClient } from './endpoint-url'
import { LineSplitter } from './lines'
import { commonLabelFilters, recordFromInspect, servicesOn, toHealth } from './selection'
import type { SnapshotStore } from './snapshot-store'
import type { ServiceSpec } from './types'

export interface DockerEvent {
  Type?: string
  Action?: string
  Actor?: { ID?: string; Attributes?: Record<string, string> }
  time?: number
  timeNano?: number
}

export interface WatcherOptions {
  listTimeoutMs: number
  backoffBaseMs: number
  backoffCapMs: number
  /** Ping while connected so a silently dead TCP/ssh connection is noticed; 0 disables. */
  pingIntervalMs: number
  log?: (msg: string) => void
}

/** Exponential backoff with "equal jitter": half fixed, half random, never above the cap. */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  rand: () => number = Math.random,
): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt))
  return Math.round(exp / 2 + rand() * (exp / 2))
}

/**
 * Keeps one endpoint's part of the snapshot live from the Docker events stream.
 *
 * Connect order matters: the events stream is opened first and buffers, then the endpoint is
 * listed, then the buffered events are replayed in order. Every event sets an absolute state, so
 * replaying ones older than the list is harmless and nothing that happened during the list is lost.
 * Any end of the stream (daemon restart, network) leads to a reconnect with backoff and a fresh list.
 */
export class EndpointWatcher {
  private stopped = false
  private stream: Readable | null = null
  private wake: (() => void) | null = null
  private pingTimer: NodeJS.Timeout | null = null
  private queue: Promise<void> = Promise.resolve()
  private loop: Promise<void> | null = null
  private firstAttempt: Promise<void>
  private markFirst!: () => void

  constructor(
    private readonly client: EndpointClient,
    private readonly services: readonly ServiceSpec[],
    private readonly store: SnapshotStore,
    private readonly opts: WatcherOptions,
  ) {
    this.firstAttempt = new Promise((r) => (this.markFirst = r))
  }

  /** Resolves once the first connect attempt has finished, whatever its result. */
  start(): Promise<void> {
    this.loop ??= this.run()
    return this.firstAttempt
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.stream?.destroy()
    this.wake?.()
    if (this.pingTimer) clearInterval(this.pingTimer)
    await this.loop
    await this.queue
  }

  private async run(): Promise<void> {
    let attempt = 0
    while (!this.stopped) {
      const connected = await this.connectOnce()
      this.markFirst()
      if (this.stopped) break
      if (connected) {
        attempt = 0
        await this.untilStreamEnds()
        if (this.stopped) break
        this.store.setStatus(this.client.id, { watching: false, error: 'events stream closed; reconnecting' })
      }
      const wait = backoffDelay(attempt++, this.opts.backoffBaseMs, this.opts.backoffCapMs)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait)
        this.wake = () => {
          clearTimeout(t)
          resolve()
        }
      })
      this.wake = null
    }
    this.store.setStatus(this.client.id, { watching: false })
  }

  private async connectOnce(): Promise<boolean> {
    const mine = servicesOn(this.services, this.client.id)
    const labels = commonLabelFilters(mine)
    const dl = deadline(this.opts.listTimeoutMs)
    let stream: Readable
    try {
      const filters = JSON.stringify({ type: ['container'], ...(labels.length > 0 ? { label: labels } : {}) })
      stream = (await this.client.docker.getEvents({ filters, abortSignal: dl.signal } as object)) as Readable
    } catch (err) {
      dl.done()
      this.store.setStatus(this.client.id, {
        reachable: false,
        watching: false,
        error: endpointError(err, this.opts.listTimeoutMs),
      })
      return false
    }
    dl.done()
    this.stream = stream
    const buffered: DockerEvent[] = []
    let live = false
    const splitter = new LineSplitter()
    stream.on('data', (chunk: Buffer) => {
      for (const line of splitter.push(chunk)) {
        if (!line.trim()) continue
        let ev: DockerEvent
        try {
          ev = JSON.parse(line) as DockerEvent
        } catch {
          continue
        }
        if (live) this.enqueue(ev)
        else buffered.push(ev)
      }
    })
    stream.on('error', () => {
      /* 'close' follows; the reconnect loop handles it */
    })
    try {
      const recs = await listEndpoint(this.client, this.services, {
        timeoutMs: this.opts.listTimeoutMs,
        inspect: true,
      })
      if (this.stopped || stream.destroyed) {
        // Stopped, or the stream died while we listed: start over rather than trust half a view.
        stream.destroy()
        this.stream = null
        return false
      }
      this.store.replace(this.client.id, recs)
    } catch (err) {
      stream.destroy()
      this.stream = null
      this.store.setStatus(this.client.id, {
        reachable: false,
        watching: false,
        error: endpointError(err, this.opts.listTimeoutMs),
      })
      return false
    }
    for (const ev of buffered) this.enqueue(ev)
    live = true
    this.store.setStatus(this.client.id, { reachable: true, watching: true, error: null })
    this.startPing()
    return true
  }

  private untilStreamEnds(): Promise<void> {
    const s = this.stream
    if (!s || s.destroyed) return Promise.resolve()
    return new Promise((resolve) => {
      s.once('close', () => {
        if (this.pingTimer) clearInterval(this.pingTimer)
        this.pingTimer = null
        this.stream = null
        resolve()
      })
    })
  }

  private startPing(): void {
    if (this.opts.pingIntervalMs <= 0) return
    if (this.pingTimer) clearInterval(this.pingTimer)
    this.pingTimer = setInterval(() => {
      const dl = deadline(this.opts.listTimeoutMs)
      ping(this.client, dl.signal)
        .catch(() => {
          this.opts.log?.(`docker endpoint ${this.client.id}: ping failed, reconnecting`)
          this.stream?.destroy()
        })
        .finally(() => dl.done())
    }, this.opts.pingIntervalMs)
    this.pingTimer.unref()
  }

  /**
   * Event attributes carry the container's labels, except that Docker overwrites labels called
   * `name` and `image` with the container's own; those keys cannot rule a container out.
   */
  private mightBeInStack(attrs: Record<string, string>): boolean {
    return servicesOn(this.services, this.client.id).some((s) =>
      Object.entries(s.selector).every(([k, v]) => k === 'name' || k === 'image' || attrs[k] === v),
    )
  }

  /** Events are applied strictly in arrival order; the few that need an inspect hold the queue. */
  private enqueue(ev: DockerEvent): void {
    this.queue = this.queue
      .then(() => this.apply(ev))
      .catch((err: unknown) => this.opts.log?.(`event handling failed: ${String(err)}`))
  }

  private async apply(ev: DockerEvent): Promise<void> {
    const id = ev.Actor?.ID
    if (ev.Type !== 'container' || !id || !ev.Action) return
    const ep = this.client.id
    const action = (ev.Action.split(':')[0] ?? '').trim()
    const known = this.store.get(ep, id)
    switch (action) {
      case 'destroy':
        this.store.remove(ep, id)
        return
      case 'pause':
        this.store.patch(ep, id, { state: 'paused' })
        return
      case 'unpause':
        this.store.patch(ep, id, { state: 'running' })
        return
      case 'die':
      case 'stop':
        this.store.patch(ep, id, { state: 'exited' })
        return
      case 'health_status':
        this.store.patch(ep, id, { health: toHealth(ev.Action.slice(ev.Action.indexOf(':') + 1).trim()) })
        return
      case 'create':
      case 'start':
      case 'restart':
      case 'rename':
        break
      default:
        // Unknown container doing something else (exec, attach, kill…): nothing the view shows changes.
        return
    }
    // New or (re)started containers: the exact start time, labels and health come from inspect.
    if (!known && action !== 'create' && action !== 'start') return
    if (!known && !this.mightBeInStack(ev.Actor?.Attributes ?? {})) return
    try {
      const dl = deadline(this.opts.listTimeoutMs)
      const info = await inspectOrGone(this.client, id, dl.signal).finally(() => dl.done())
      if (info === 'gone') this.store.remove(ep, id)
      else this.store.upsert(recordFromInspect(info, ep))
    } catch (err) {
      this.opts.log?.(
        `docker endpoint ${ep}: inspect ${id.slice(0, 12)} failed: ${endpointError(err, this.opts.listTimeoutMs)}`,
      )
    }
  }
}
