import { useEffect } from 'react'
import { getClient } from '../../api/client'
import { messageOf } from '../../api/call-error'
import { createFrameBatcher } from '../../lib/frame-batcher'
import { useConnection } from '../../store/connection'
import { noteCommandUpdates } from './commands'
import { EVENT_CAPACITY, useMonitor } from './monitor-store'
import { installProbe, recordApply } from './probe'
import { UpdateAccumulator } from './update-accumulator'

type Client = ReturnType<typeof getClient>

async function loadSnapshot(client: Client): Promise<void> {
  const [agents, events, status, regime, commands] = await Promise.allSettled([
    client.call('bus.agents', {}),
    client.call('bus.events', { limit: 200 }),
    client.call('bus.status', {}),
    client.call('bus.regime', {}),
    client.call('bus.commands', { limit: 200 }),
  ])
  if (agents.status === 'rejected') throw agents.reason
  const st = status.status === 'fulfilled' ? status.value : null
  useMonitor.getState().loadSnapshot({
    agents: agents.value.agents,
    totals: agents.value.totals,
    timeoutMs: agents.value.timeoutMs,
    events: events.status === 'fulfilled' ? events.value.events : [],
    connection: st?.connection ?? null,
    killswitch: st?.killswitch ?? null,
    trading: st?.trading ?? null,
    rates: st ? { total: st.totals.rate, channels: st.channels } : null,
    regime: regime.status === 'fulfilled' ? regime.value : null,
    commands: commands.status === 'fulfilled' ? commands.value.commands : [],
  })
}

installProbe(() => {
  const s = useMonitor.getState()
  return {
    agents: s.agents.size,
    rows: document.querySelectorAll('[data-testid=agent-row]').length,
    events: s.events.size,
    received: s.received,
    skipped: s.skipped,
  }
})

/**
 * Loads a snapshot, then follows `bus.update`. Batches are merged as they arrive (bounded, see
 * UpdateAccumulator) and applied to the store at most once per animation frame.
 */
export function useMonitorFeed(): void {
  useEffect(() => {
    const client = getClient()
    const acc = new UpdateAccumulator(EVENT_CAPACITY)
    let scheduled = false
    let alive = true
    const batcher = createFrameBatcher<true>(() => {
      scheduled = false
      const merged = acc.take()
      useMonitor.getState().apply(merged)
      if (merged.commands.size > 0) noteCommandUpdates(merged.commands.values())
      recordApply()
    })
    const off = client.on('bus.update', (u) => {
      acc.add(u, Date.now())
      // One token per frame in the batcher: the payloads themselves live (bounded) in `acc`.
      if (!scheduled) {
        scheduled = true
        batcher.push(true)
      }
    })
    const load = () =>
      loadSnapshot(client).catch((e: unknown) => {
        if (alive) useMonitor.getState().setError(messageOf(e))
      })
    void load()
    // Events sent while the socket was down are gone: take a fresh snapshot after a reconnect.
    let prev = useConnection.getState().state
    const offConn = useConnection.subscribe((c) => {
      if (c.state === 'open' && prev !== 'open') void load()
      prev = c.state
    })
    return () => {
      alive = false
      off()
      offConn()
      batcher.cancel()
    }
  }, [])
}
