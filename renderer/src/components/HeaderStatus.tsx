import { useConnection } from '../store/connection'
import { KillswitchChip } from './KillswitchChip'
import { StackChip } from './StackChip'
import { StateBadge } from './StateBadge'
import { TradingChip } from '../features/schedule/TradingChip'

/** Always-visible status chips: which door, whether it is connected, and who we act as. */
export function HeaderStatus() {
  const { door, state, who } = useConnection()
  return (
    <div className="header-status" aria-label="Status">
      {state === 'open' && (
        <>
          <StackChip />
          <KillswitchChip />
          <TradingChip onClick={() => (location.hash = '#schedule')} />
        </>
      )}
      <StateBadge state={state === 'open' ? 'open' : state} label={`${door === 'ipc' ? 'app' : 'api'}: ${state}`} />
      {who && <span className="muted small">as {who}</span>}
    </div>
  )
}
