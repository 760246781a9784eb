import { useState } from 'react'
import { useHistory } from './history-store'
import { useMonitor } from './monitor-store'
import { customRange, historyAvailability, isoToLocalInput, RANGE_LABELS, resolveRange, type RangeChoice, type StoredRange } from './time-range'
import { rememberRange } from './use-linked-range'

const CHOICES: RangeChoice[] = ['live', '15m', '1h', 'today', 'custom']

/** Live or a stored range. Stored choices are disabled, with the reason in view, when history cannot answer. */
export function RangePicker() {
  const range = useHistory((s) => s.range)
  const status = useHistory((s) => s.status)
  const statusError = useHistory((s) => s.statusError)
  const showRange = useHistory((s) => s.showRange)
  const a = historyAvailability(status, statusError)
  const choice: RangeChoice = range?.choice ?? 'live'
  const [customOpen, setCustomOpen] = useState(false)
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [customError, setCustomError] = useState<string | null>(null)

  const show = (r: StoredRange | null) => {
    showRange(r, useMonitor.getState().filter)
    rememberRange(r)
  }

  const pick = (c: RangeChoice) => {
    if (c === 'live') {
      setCustomOpen(false)
      show(null)
    } else if (c === 'custom') {
      // Start from what is shown, or the last 15 minutes, so the inputs are never blank.
      const base = range ?? resolveRange('15m', new Date())
      setFrom(isoToLocalInput(base.from))
      setTo(isoToLocalInput(base.to))
      setCustomError(null)
      setCustomOpen(true)
    } else {
      setCustomOpen(false)
      show(resolveRange(c, new Date()))
    }
  }

  const applyCustom = () => {
    const r = customRange(from, to)
    if ('error' in r) {
      setCustomError(r.error)
      return
    }
    setCustomError(null)
    setCustomOpen(false)
    show(r)
  }

  return (
    <span className="row small range-picker">
      <label className="row small">
        <span>Range</span>
        <select value={customOpen ? 'custom' : choice} onChange={(e) => pick(e.target.value as RangeChoice)} data-testid="event-range" aria-describedby={a.readable ? undefined : 'range-unavailable'}>
          {CHOICES.map((c) => (
            <option key={c} value={c} disabled={c !== 'live' && !a.readable} data-testid={`event-range-${c}`}>
              {RANGE_LABELS[c]}
              {c !== 'live' && !a.readable ? ` (history ${a.state})` : ''}
            </option>
          ))}
        </select>
      </label>
      {!a.readable && (
        <span id="range-unavailable" className="muted small" data-testid="range-unavailable">
          stored ranges unavailable: history {a.state}
          {a.reason ? ` (${a.reason})` : ''}
        </span>
      )}
      {customOpen && (
        <span className="row small custom-range" role="group" aria-label="Custom range">
          <label className="row small">
            <span>From</span>
            <input type="datetime-local" step={1} value={from} onChange={(e) => setFrom(e.target.value)} data-testid="range-from" />
          </label>
          <label className="row small">
            <span>To</span>
            <input
              type="datetime-local"
              step={1}
              value={to}
              onChange={(e) => setTo(e.target.value)}
              onKeyDown={(e) => e.key === 'Enter' && applyCustom()}
              data-testid="range-to"
            />
          </label>
          <button className="small" onClick={applyCustom} disabled={!a.readable} data-testid="range-apply">
            Show
          </button>
          <button className="small" onClick={() => setCustomOpen(false)}>
            Cancel
          </button>
          {customError && (
            <span className="field-error" role="alert" data-testid="range-error">
              {customError}
            </span>
          )}
        </span>
      )}
    </span>
  )
}
