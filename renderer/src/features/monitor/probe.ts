/**
 * Debug hook for the UI benchmark, present only with `?monitorProbe=1` in the address: it records
 * how long a heartbeat took from the agent's own timestamp to the moment its grid row committed.
 */
export interface MonitorProbe {
  /** Latencies in ms since the last drain (bounded). */
  drainLatencies(): number[]
  stats(): { agents: number; rows: number; events: number; received: number; skipped: number; applies: number }
}

declare global {
  interface Window {
    __stackdeckMonitorProbe?: MonitorProbe
  }
}

const MAX_SAMPLES = 200_000

export const probeEnabled: boolean =
  typeof location !== 'undefined' && new URLSearchParams(location.search).get('monitorProbe') === '1'

let latencies: number[] = []
let applies = 0

export function recordRowLatency(reportedAt: string | null): void {
  if (!probeEnabled || !reportedAt) return
  const sent = Date.parse(reportedAt)
  if (Number.isFinite(sent) && latencies.length < MAX_SAMPLES) latencies.push(Date.now() - sent)
}

export function recordApply(): void {
  if (probeEnabled) applies++
}

export function installProbe(stats: () => Omit<ReturnType<MonitorProbe['stats']>, 'applies'>): void {
  if (!probeEnabled) return
  window.__stackdeckMonitorProbe = {
    drainLatencies() {
      const out = latencies
      latencies = []
      return out
    },
    stats: () => ({ ...stats(), applies }),
  }
}
