import { useEffect } from 'react'
import { monitorRangeHash, monitorRangeOf } from '../../lib/hash-route'
import { useHistory } from './history-store'
import { useMonitor } from './monitor-store'
import type { StoredRange } from './time-range'

/** Keeps the URL saying which range is shown, so a reload or a copied link shows the same (replaceState: no history entry per pick). */
export function rememberRange(r: StoredRange | null): void {
  const hash = r ? monitorRangeHash(r.from, r.to, r.label ?? undefined) : '#monitor'
  if (location.hash !== hash) history.replaceState(null, '', hash)
}

/** Opens the stored range a `#monitor?from&to` link asks for (the Audit tab's "events around this"), on mount and on every new link. */
export function useLinkedRange(): void {
  useEffect(() => {
    const follow = () => {
      const linked = monitorRangeOf(location.hash)
      if (!linked) return
      const cur = useHistory.getState().range
      if (cur && cur.from === linked.from && cur.to === linked.to) return
      useHistory.getState().showRange({ choice: 'custom', ...linked }, useMonitor.getState().filter)
    }
    follow()
    window.addEventListener('hashchange', follow)
    return () => window.removeEventListener('hashchange', follow)
  }, [])
}
