import { useNow } from '../lib/use-now'
import { useConnection } from '../store/connection'
import { useSafety } from '../store/safety'
import {
  busText,
  enginesText,
  hostText,
  killswitchText,
  stackText,
  tradingText,
  type ChipText,
} from './truth-text'

function Chip({
  text,
  testId,
  extra,
  onClick,
}: {
  text: ChipText
  testId: string
  extra?: Record<string, string>
  onClick?: () => void
}) {
  const cls = `badge badge-${text.tone === 'unknown' ? 'unknown' : text.tone} truth-chip`
  const props = {
    'data-testid': testId,
    'data-state': text.state,
    'data-tone': text.tone,
    title: text.title,
    ...extra,
  }
  return onClick ? (
    <button type="button" className={cls} onClick={onClick} {...props}>
      {text.label}
    </button>
  ) : (
    <span className={cls} {...props}>
      {text.label}
    </span>
  )
}

/**
 * The header is the truth line, on every tab: stack, trading (why, who, since), killswitch, bus,
 * engines and the host connection, all from the core's one safety state. While that state is stale
 * every chip is drawn as stale, with how old it is: the last word is not the current one.
 */
export function HeaderStatus() {
  const { door, state: conn, who, host } = useConnection()
  const { state, stale, staleReason, receivedAt } = useSafety()
  const now = useNow()
  const age = receivedAt === null ? null : Math.max(0, Math.round((now - receivedAt) / 1000))
  const hostChip = hostText(door, conn, host, location.host)
  return (
    <div
      className={`header-status${stale ? ' truth-stale' : ''}`}
      aria-label="Status"
      data-testid="truth-line"
      data-stale={String(stale)}
    >
      {state && (
        <>
          <Chip text={stackText(state)} testId="stack-chip" />
          <Chip
            text={tradingText(state, now)}
            testId="trading-chip"
            extra={{
              'data-enabled': state.trading.known ? String(state.trading.value.enabled) : 'unknown',
              'data-source': state.trading.known ? state.trading.value.source : 'unknown',
              'data-override': String(state.trading.known && state.trading.value.source === 'override'),
            }}
            onClick={() => (location.hash = '#schedule')}
          />
          <Chip
            text={killswitchText(state)}
            testId="killswitch-chip"
            extra={{
              'data-engaged': state.killswitch.known ? String(state.killswitch.value.engaged) : 'unknown',
              'data-latched': state.killswitch.known ? String(state.killswitch.value.latched) : 'unknown',
            }}
            onClick={() => (location.hash = '#monitor')}
          />
          <Chip text={busText(state)} testId="bus-chip" />
          <Chip text={enginesText(state)} testId="engines-chip" />
        </>
      )}
      <span
        className={`badge badge-${hostChip.tone === 'ok' && !stale ? 'ok' : 'bad'}`}
        data-testid="host-chip"
        data-state={conn}
        data-host-kind={host?.kind ?? 'unknown'}
        title={hostChip.title}
      >
        {hostChip.label}
      </span>
      {stale && (
        <span className="badge badge-unknown" data-testid="stale-marker" title={staleReason ?? ''}>
          stale: {staleReason}
          {age !== null ? ` · last update ${age} s ago` : ''}
        </span>
      )}
      {who && <span className="muted small">as {who}</span>}
    </div>
  )
}
