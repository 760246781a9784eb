import { useEffect, useState, type KeyboardEvent } from 'react'
import { ConfirmDialog } from './components/ConfirmDialog'
import { Toasts } from './components/Toasts'
import { TokenGate } from './components/TokenGate'
import { AlertBar } from './components/AlertBar'
import { RecoveryPrompt } from './features/workflow/RecoveryPrompt'
import { HeaderStatus } from './components/HeaderStatus'
import { tabs } from './features/registry'
import { useConnection } from './store/connection'
import { useSafety } from './store/safety'
import { toast } from './store/toasts'
import { useNow } from './lib/use-now'
import { parseHash } from './lib/hash-route'

/** The tab a hash names; `#monitor?from=…&to=…` is the Monitor tab with parameters its view reads. */
const tabOfHash = (hash: string): string | undefined => {
  const { tab } = parseHash(hash)
  return tabs.find((t) => t.id === tab)?.id
}

function useHashTab(): [string, (id: string) => void] {
  const initial = tabOfHash(location.hash) ?? tabs[0]?.id ?? ''
  const [tab, setTab] = useState(initial)
  // Header chips and links elsewhere navigate by setting location.hash; follow them.
  useEffect(() => {
    const onHash = () => {
      const id = tabOfHash(location.hash)
      if (id) setTab(id)
    }
    window.addEventListener('hashchange', onHash)
    return () => window.removeEventListener('hashchange', onHash)
  }, [])
  const select = (id: string) => {
    setTab(id)
    history.replaceState(null, '', `#${id}`)
  }
  return [tab, select]
}

export function App() {
  const { state } = useConnection()
  const stale = useSafety((s) => s.stale)
  const staleReason = useSafety((s) => s.staleReason)
  const receivedAt = useSafety((s) => s.receivedAt)
  const now = useNow()
  const [tab, setTab] = useHashTab()

  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return
      const n = Number(e.key)
      const target = Number.isInteger(n) && n >= 1 ? tabs[n - 1] : undefined
      if (target) {
        e.preventDefault()
        setTab(target.id)
        document.getElementById(`tab-${target.id}`)?.focus()
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [setTab])

  if (state === 'no-token' || state === 'unauthorized') return <TokenGate refused={state === 'unauthorized'} />

  // Roving focus across the tab list, as the WAI-ARIA tabs pattern prescribes.
  const onTabKey = (e: KeyboardEvent<HTMLButtonElement>, i: number) => {
    const delta = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0
    if (!delta) return
    const next = tabs[(i + delta + tabs.length) % tabs.length]
    if (next) {
      setTab(next.id)
      document.getElementById(`tab-${next.id}`)?.focus()
    }
  }

  const Active = tabs.find((t) => t.id === tab)?.component
  return (
    <div className="app">
      <header className="app-header">
        <div className="brand">Stackdeck</div>
        <nav role="tablist" aria-label="Sections" className="tabs">
          {tabs.map((t, i) => (
            <button
              key={t.id}
              id={`tab-${t.id}`}
              role="tab"
              aria-selected={t.id === tab}
              aria-controls="panel"
              tabIndex={t.id === tab ? 0 : -1}
              onClick={() => setTab(t.id)}
              onKeyDown={(e) => onTabKey(e, i)}
              title={`Alt+${i + 1}`}
            >
              {t.label}
            </button>
          ))}
        </nav>
        <HeaderStatus />
      </header>
      <AlertBar />
      <RecoveryPrompt />
      {stale && (
        <div className="stale-banner" role="status" data-testid="stale-banner">
          Stale view ({staleReason}){receivedAt !== null ? `: last update ${Math.max(0, Math.round((now - receivedAt) / 1000))} s ago` : ''}. What
          you see may no longer be true; actions are disabled until fresh state arrives.
        </div>
      )}
      <div className={`panel-wrap${stale ? ' panel-stale' : ''}`} data-testid="panel-wrap" data-stale={String(stale)}>
        {/* inert: neither clicks nor keys reach the frozen body; the overlay says why. */}
        <main id="panel" role="tabpanel" aria-labelledby={`tab-${tab}`} className="panel" inert={stale}>
          {Active && <Active />}
        </main>
        {stale && (
          <button
            type="button"
            className="stale-overlay"
            data-testid="stale-overlay"
            aria-label="Actions are disabled while the view is stale"
            onClick={() =>
              toast.error(
                'Not connected to the Stackdeck host',
                'Nothing was sent and nothing will run later. Actions are disabled until fresh state arrives from the host.',
              )
            }
          />
        )}
      </div>
      <Toasts />
      <ConfirmDialog />
    </div>
  )
}
