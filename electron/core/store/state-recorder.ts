import type { EventMap } from '../api/contract'
import { parseFlagRecord } from '../api/records'
import type { AgentRow, AgentTransition, StateRecord } from './event-store'

type Update = EventMap['bus.update']

/**
 * Turns what the core already publishes on its hub into history rows: agent status transitions and
 * the state changes a trader asks about afterwards (killswitch engage/release with who and why, from
 * the audit log; trading_enabled with its source; regime changes; Save & Restart runs; supervised
 * restarts).
 * It remembers only the last value of each, so a coalesced update that repeats a state records
 * nothing, and it never reads Redis or Docker itself.
 */
export class StateRecorder {
  private agents = new Map<string, string>()
  private trading: boolean | null | undefined = undefined
  private regime: string | null | undefined = undefined

  constructor(
    private readonly sink: { transitions: (t: AgentTransition[]) => void; state: (s: StateRecord[]) => void; agents?: (a: AgentRow[]) => void },
    private readonly now: () => number = Date.now,
  ) {}

  onBusUpdate(u: Update): void {
    const at = Date.parse(u.at) || this.now()
    const ts: AgentTransition[] = []
    for (const a of u.agents) {
      const prev = this.agents.get(a.id) ?? null
      if (prev === a.status) continue
      this.agents.set(a.id, a.status)
      ts.push({ agent: a.id, at, from: prev, to: a.status, detail: { lastBeat: a.lastBeat, ...(a.anomalyCount ? { anomalies: a.anomalyCount } : {}) } })
    }
    for (const id of u.removedAgents ?? []) {
      const prev = this.agents.get(id)
      if (prev === undefined) continue
      this.agents.delete(id)
      ts.push({ agent: id, at, from: prev, to: 'forgotten' })
    }
    if (ts.length) this.sink.transitions(ts)
    // The registry's latest view, so GET /health/agents can still name an agent after a restart.
    const rows: AgentRow[] = u.agents.map((a) => ({
      id: a.id,
      status: a.status,
      lastBeat: Date.parse(a.lastBeat) || null,
      detail: { name: a.name, group: a.groupRaw, anomalies: a.anomalyCount, ...(a.hostname ? { hostname: a.hostname } : {}) },
    }))
    for (const id of u.removedAgents ?? []) rows.push({ id, status: 'forgotten', lastBeat: null })
    if (rows.length) this.sink.agents?.(rows)

    const st: StateRecord[] = []
    if (u.trading && u.trading.enabled !== this.trading) {
      const rec = parseFlagRecord(u.trading.raw)
      st.push({ at, kind: 'trading', who: rec?.who ?? null, why: rec?.why ?? null, detail: { enabled: u.trading.enabled, source: rec?.source ?? null, firstSeen: this.trading === undefined } })
      this.trading = u.trading.enabled
    }
    if (u.regime && u.regime.regime !== this.regime) {
      st.push({ at: Date.parse(u.regime.receivedAt ?? '') || at, kind: 'regime', who: null, why: null, detail: { regime: u.regime.regime, confidence: u.regime.confidence, source: u.regime.source } })
      this.regime = u.regime.regime
    }
    if (st.length) this.sink.state(st)
  }

  onRunFinished(r: EventMap['workflow.finished']): void {
    this.sink.state([{ at: Date.parse(r.endedAt) || this.now(), kind: 'workflow', who: r.who, why: r.reason ?? null, detail: r }])
  }

  /**
   * Killswitch engage/release and supervised restarts come from the audit log, which the bus and the
   * supervisor write for every act: a coalesced bus.update can carry only the last of an engage and a
   * release made within one batch, and the history must keep both, with who and why.
   */
  onAudit(rec: EventMap['audit.appended']): void {
    const kind = rec.action.startsWith('bus.killswitch.') ? 'killswitch' : rec.action.startsWith('supervise.') ? 'supervise' : null
    if (!kind) return
    this.sink.state([{ at: Date.parse(rec.at) || this.now(), kind, who: rec.who, why: rec.reason ?? null, detail: rec }])
  }
}
