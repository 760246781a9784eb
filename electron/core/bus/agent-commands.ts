import { randomUUID } from 'node:crypto'
import { COMMAND_TYPES, type AgentCommandT } from '../api/contract/bus'
import { CoreError } from '../errors'
import { AGENT_ID_PATTERN, type CommandAck } from './payload-schemas'
import { iso } from './time'

export type CommandType = (typeof COMMAND_TYPES)[number]

export interface CommandRequest {
  agentId: string
  type: CommandType
  params?: Record<string, unknown>
  who: string
  /** Resolve only once the agent acked, refused, or the ack timed out. */
  wait?: boolean
}

export interface AgentCommandsOptions {
  ackTimeoutMs: number
  historySize?: number
  maxParamsBytes?: number
  /** Commands go to `<prefix><id>.command`; acks come back on `<prefix><id>.ack`. */
  commandPrefix?: string
  now: () => number
}

type Publish = (channel: string, message: string) => Promise<number>

const AGENT_ID_RE = new RegExp(AGENT_ID_PATTERN)
const TYPES: ReadonlySet<string> = new Set(COMMAND_TYPES)
const FINAL: ReadonlySet<AgentCommandT['state']> = new Set([
  'undelivered',
  'acked',
  'rejected',
  'timeout',
  'failed',
])

interface Pending {
  timer: NodeJS.Timeout | null
  waiters: Array<() => void>
}

/**
 * pause/resume/terminate/tune for one agent over pub/sub, with the delivery facts Redis gives us
 * (PUBLISH's receiver count) and the agent's own ack. Pub/sub is at-most-once: a command nobody
 * received is reported as `undelivered`, never as sent.
 */
export class AgentCommands {
  private readonly history: AgentCommandT[] = []
  private readonly byId = new Map<string, AgentCommandT>()
  private readonly pending = new Map<string, Pending>()
  private readonly changed = new Set<string>()
  private readonly historySize: number
  private readonly maxParamsBytes: number
  private readonly prefix: string
  rev = 0
  strayAcks = 0

  constructor(
    private readonly publish: Publish,
    private readonly opts: AgentCommandsOptions,
  ) {
    this.historySize = opts.historySize ?? 200
    this.maxParamsBytes = opts.maxParamsBytes ?? 16 * 1024
    this.prefix = opts.commandPrefix ?? 'agent.'
  }

  channelFor(agentId: string): string {
    return `${this.prefix}${agentId}.command`
  }

  async send(req: CommandRequest): Promise<AgentCommandT> {
    if (!AGENT_ID_RE.test(req.agentId)) {
      throw new CoreError('invalid_input', `Agent id must match ${AGENT_ID_PATTERN}`, { path: '/agentId' })
    }
    if (!TYPES.has(req.type))
      throw new CoreError('invalid_input', `Unknown command type: ${String(req.type)}`, { path: '/type' })
    const params = req.params ?? {}
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      throw new CoreError('invalid_input', 'params must be an object', { path: '/params' })
    }
    if (req.type === 'tune' && Object.keys(params).length === 0) {
      throw new CoreError('invalid_input', 'tune needs at least one parameter to change', { path: '/params' })
    }
    const now = this.opts.now()
    const commandId = randomUUID()
    const message = JSON.stringify({
      command_id: commandId,
      type: req.type,
      params,
      issued_at: iso(now),
      who: req.who,
    })
    if (Buffer.byteLength(message) > this.maxParamsBytes) {
      throw new CoreError('invalid_input', `Command is larger than ${this.maxParamsBytes} bytes`, {
        path: '/params',
      })
    }
    const rec: AgentCommandT = {
      commandId,
      agentId: req.agentId,
      transport: 'redis',
      runId: null,
      type: req.type,
      params,
      who: req.who,
      issuedAt: iso(now),
      deliveredAt: null,
      expiresAt: null,
      state: 'delivered',
      receivers: 0,
      ackedAt: null,
      ackMs: null,
      late: false,
      message: null,
    }
    this.remember(rec)
    // Registered before PUBLISH: the ack travels on the subscriber connection and can beat
    // PUBLISH's own reply on the command connection.
    const pending: Pending = { timer: null, waiters: [] }
    this.pending.set(commandId, pending)
    let receivers: number
    try {
      receivers = await this.publish(this.channelFor(req.agentId), message)
    } catch (err) {
      rec.message = `could not publish: ${(err as Error).message}`
      this.settle(rec, 'failed')
      throw new CoreError(
        'unavailable',
        `Command not sent: Redis is unavailable (${(err as Error).message})`,
        { cause: err },
      )
    }
    rec.receivers = receivers
    // PUBLISH answers once the message reached its subscribers: that is the delivery.
    if (receivers > 0) rec.deliveredAt = iso(this.opts.now())
    if (!FINAL.has(rec.state)) {
      if (receivers === 0) {
        rec.message = 'no subscriber on the command channel: is the agent running?'
        this.settle(rec, 'undelivered')
      } else {
        pending.timer = setTimeout(() => this.settle(rec, 'timeout'), this.opts.ackTimeoutMs)
        pending.timer.unref?.()
      }
    }
    this.touch(rec)
    if (req.wait && !FINAL.has(rec.state)) {
      await new Promise<void>((resolve) => pending.waiters.push(resolve))
    }
    return { ...rec }
  }

  onAck(agentId: string, ack: CommandAck, now: number): void {
    const rec = this.byId.get(ack.command_id)
    // Only the addressed agent may ack, on its own ack channel.
    if (rec === undefined || rec.agentId !== agentId || rec.state === 'acked' || rec.state === 'rejected') {
      this.strayAcks++
      return
    }
    rec.late = rec.state === 'timeout'
    rec.ackedAt = iso(now)
    rec.ackMs = Math.max(0, now - Date.parse(rec.issuedAt))
    rec.message = ack.message ?? null
    this.settle(rec, ack.ok ? 'acked' : 'rejected')
  }

  private settle(rec: AgentCommandT, state: AgentCommandT['state']): void {
    rec.state = state
    this.touch(rec)
    const p = this.pending.get(rec.commandId)
    if (p === undefined) return
    if (p.timer !== null) clearTimeout(p.timer)
    this.pending.delete(rec.commandId)
    // Evicted from the history while in flight: forget it now that it is settled.
    if (!this.history.includes(rec)) this.byId.delete(rec.commandId)
    for (const w of p.waiters) w()
  }

  private touch(rec: AgentCommandT): void {
    this.changed.add(rec.commandId)
    this.rev++
  }

  private remember(rec: AgentCommandT): void {
    this.history.push(rec)
    this.byId.set(rec.commandId, rec)
    while (this.history.length > this.historySize) {
      const old = this.history.shift()
      if (old !== undefined && !this.pending.has(old.commandId)) this.byId.delete(old.commandId)
    }
  }

  /** Newest first. */
  list(opts: { agentId?: string; limit?: number } = {}): AgentCommandT[] {
    const limit = opts.limit ?? 50
    const out: AgentCommandT[] = []
    for (let i = this.history.length - 1; i >= 0 && out.length < limit; i--) {
      const r = this.history[i]!
      if (opts.agentId === undefined || r.agentId === opts.agentId) out.push({ ...r })
    }
    return out
  }

  takeChanged(): AgentCommandT[] {
    const out: AgentCommandT[] = []
    for (const id of this.changed) {
      const r = this.byId.get(id)
      if (r !== undefined) out.push({ ...r })
    }
    this.changed.clear()
    return out
  }

  /** Settle everything in flight as timed out (shutdown); nobody is left awaiting forever. */
  dispose(): void {
    for (const id of [...this.pending.keys()]) {
      const rec = this.byId.get(id)
      if (rec !== undefined) {
        rec.message = rec.message ?? 'Stackdeck shut down before the ack'
        this.settle(rec, 'timeout')
      }
    }
  }
}
