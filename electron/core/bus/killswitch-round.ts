import { randomUUID } from 'node:crypto'
import type { AgentT, KillswitchRoundT } from '../api/contract/bus'
import { iso } from './time'

type PauseAgent = (agentId: string, hint: { containerId?: string; hostname?: string }) => Promise<void>

/**
 * One killswitch acknowledgement round: who was asked, who acked in time, and what happened to
 * the execution agents that stayed silent. Only execution agents are waited for (they are the
 * ones that can still trade); everyone else's silence is merely reported.
 */
export class AckRound {
  readonly view: KillswitchRoundT
  private readonly started: number
  private readonly expected: Set<string>
  /** Execution agents already frozen when the switch was pulled: nothing to wait for. */
  private readonly pausedAtStart: string[]
  private wake: (() => void) | null = null

  constructor(agents: readonly AgentT[], now: number, timeoutMs: number) {
    this.started = now
    const exec = agents.filter((a) => a.group === 'execution')
    this.expected = new Set(exec.filter((a) => !a.paused).map((a) => a.id))
    this.pausedAtStart = exec.filter((a) => a.paused).map((a) => a.id)
    this.view = {
      requestId: randomUUID(),
      startedAt: iso(now),
      endedAt: null,
      timeoutMs,
      asked: agents.filter((a) => a.alive && !a.paused).map((a) => a.id),
      acked: [],
      alreadyPaused: [],
      paused: [],
      silent: [],
    }
  }

  /** Record an ack; false when it belongs to another round or repeats one. */
  ack(agentId: string, requestId: string, now: number): boolean {
    if (requestId !== this.view.requestId || this.view.acked.some((a) => a.agentId === agentId)) return false
    this.view.acked.push({ agentId, ms: Math.max(0, now - this.started) })
    if (this.wake !== null && this.allAcked()) this.wake()
    return true
  }

  private allAcked(): boolean {
    for (const id of this.expected) if (!this.view.acked.some((a) => a.agentId === id)) return false
    return true
  }

  /** Until every execution agent acked, or the timeout. */
  async wait(): Promise<void> {
    if (this.expected.size === 0 || this.allAcked()) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.view.timeoutMs)
      this.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
    this.wake = null
  }

  /** Stop waiting now (shutdown). */
  cancel(): void {
    this.wake?.()
  }

  /** Pause, at Docker level, every execution agent that stayed silent and is not already paused. */
  async pauseSilent(
    lookup: (id: string) => AgentT | undefined,
    pause: PauseAgent | undefined,
    warnings: string[],
  ): Promise<void> {
    const acked = new Set(this.view.acked.map((a) => a.agentId))
    this.view.silent = this.view.asked.filter((id) => !acked.has(id) && !this.expected.has(id))
    this.view.alreadyPaused.push(...this.pausedAtStart.filter((id) => !acked.has(id)))
    const silentExec = [...this.expected].filter((id) => !acked.has(id))
    await Promise.all(
      silentExec.map(async (agentId) => {
        const a = lookup(agentId)
        if (a?.paused) {
          this.view.alreadyPaused.push(agentId)
          return
        }
        try {
          if (!pause) throw new Error('no container pauser is configured')
          const hint: { containerId?: string; hostname?: string } = {}
          if (a?.containerId !== undefined) hint.containerId = a.containerId
          if (a?.hostname !== undefined) hint.hostname = a.hostname
          await pause(agentId, hint)
          this.view.paused.push({ agentId, ok: true })
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err)
          this.view.paused.push({ agentId, ok: false, error })
          warnings.push(`Execution agent ${agentId} did not acknowledge and could not be paused: ${error}`)
        }
      }),
    )
  }

  finish(now: number): void {
    this.view.endedAt = iso(now)
  }
}
