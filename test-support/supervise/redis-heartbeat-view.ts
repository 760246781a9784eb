import type { Redis } from 'ioredis'
import type { HeartbeatVerdict, HeartbeatView, SupervisedContainer } from '../../electron/core/supervise/ports'

/**
 * A minimal real HeartbeatView for the integration test: subscribes to `heartbeat.*` and ties a
 * container to an agent through its `stackdeck.agent` label. Liveness is judged on our receive
 * clock. The composition root uses the bus module's agent registry instead.
 */
export class RedisHeartbeatView implements HeartbeatView {
  private readonly lastBeat = new Map<string, number>()
  private since = Date.now()

  constructor(
    /** A dedicated connection: it goes into subscriber mode. */
    private readonly sub: Redis,
    private readonly staleAfterMs: number,
  ) {}

  async start(): Promise<void> {
    this.sub.on('pmessage', (_pattern: string, channel: string, message: string) => {
      let id = channel.slice('heartbeat.'.length)
      try {
        const body = JSON.parse(message) as { agent_id?: unknown }
        if (typeof body.agent_id === 'string' && body.agent_id) id = body.agent_id
      } catch {
        // A malformed beat still proves the channel's agent is alive.
      }
      this.lastBeat.set(id, Date.now())
    })
    await this.sub.psubscribe('heartbeat.*')
    this.since = Date.now()
  }

  beatsSeen(agent: string): boolean {
    return this.lastBeat.has(agent)
  }

  isStale(c: SupervisedContainer): HeartbeatVerdict {
    const agent = c.labels['stackdeck.agent']
    if (!agent) return 'unknown'
    const last = this.lastBeat.get(agent)
    const now = Date.now()
    // Never heard from it: only 'stale' once we have listened longer than the timeout.
    if (last === undefined) return now - this.since > this.staleAfterMs ? 'stale' : 'unknown'
    return now - last < this.staleAfterMs ? 'fresh' : 'stale'
  }
}
