import { useEffect, useMemo, useState } from 'react'
import { actionOptions, DOORS, hasFilters, isoToLocalInput, localInputToIso, NO_FILTERS, OUTCOMES, type AuditFilters as Filters } from './audit-records'
import { setAuditFilters, useAuditStore } from './audit-store'

/** Typing settles for this long before the server is asked again. */
const DEBOUNCE_MS = 350

/** A text/date field that applies its value after a pause in typing, or at once on Enter. */
function DebouncedInput(props: {
  label: string
  type: 'text' | 'datetime-local'
  initial: string
  onApply: (value: string) => void
  testId: string
  list?: string
  placeholder?: string
}) {
  const { initial, onApply } = props
  const [value, setValue] = useState(initial)
  const [dirty, setDirty] = useState(false)
  useEffect(() => {
    if (!dirty) return
    const t = setTimeout(() => {
      setDirty(false)
      onApply(value)
    }, DEBOUNCE_MS)
    return () => clearTimeout(t)
  }, [value, dirty, onApply])
  return (
    <label className="field audit-filter">
      <span className="small muted">{props.label}</span>
      <input
        type={props.type}
        value={value}
        step={props.type === 'datetime-local' ? 1 : undefined}
        list={props.list}
        placeholder={props.placeholder}
        onChange={(e) => {
          setValue(e.target.value)
          setDirty(true)
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            setDirty(false)
            onApply(value)
          }
        }}
        data-testid={props.testId}
      />
    </label>
  )
}

const applyWho = (who: string) => setAuditFilters({ who })
const applyFrom = (v: string) => setAuditFilters({ from: localInputToIso(v) })
const applyTo = (v: string) => setAuditFilters({ to: localInputToIso(v, true) })

export function AuditFilters() {
  const filters = useAuditStore((s) => s.filters)
  const seenActions = useAuditStore((s) => s.seenActions)
  const seenWho = useAuditStore((s) => s.seenWho)
  // Remounting the free-text fields is how "Clear" empties them without fighting their local state.
  const [formKey, setFormKey] = useState(0)
  const options = useMemo(() => actionOptions(seenActions, filters.action), [seenActions, filters.action])

  return (
    <form className="card row audit-filters" aria-label="Audit filters" onSubmit={(e) => e.preventDefault()} key={formKey}>
      <label className="field audit-filter">
        <span className="small muted">Action</span>
        <select value={filters.action} onChange={(e) => setAuditFilters({ action: e.target.value })} data-testid="audit-filter-action">
          <option value="">All actions</option>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
      <DebouncedInput label="Who" type="text" initial={filters.who} onApply={applyWho} testId="audit-filter-who" list="audit-who-list" placeholder="any" />
      <datalist id="audit-who-list">
        {seenWho.map((w) => (
          <option key={w} value={w} />
        ))}
      </datalist>
      <label className="field audit-filter">
        <span className="small muted">Outcome</span>
        <select value={filters.outcome} onChange={(e) => setAuditFilters({ outcome: e.target.value as Filters['outcome'] })} data-testid="audit-filter-outcome">
          <option value="">Any outcome</option>
          {OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </label>
      <label className="field audit-filter">
        <span className="small muted">Door</span>
        <select value={filters.door} onChange={(e) => setAuditFilters({ door: e.target.value as Filters['door'] })} data-testid="audit-filter-door">
          <option value="">Any door</option>
          {DOORS.map((d) => (
            <option key={d.value} value={d.value}>
              {d.label}
            </option>
          ))}
        </select>
      </label>
      <DebouncedInput label="From" type="datetime-local" initial={isoToLocalInput(filters.from)} onApply={applyFrom} testId="audit-filter-from" />
      <DebouncedInput label="To (inclusive)" type="datetime-local" initial={isoToLocalInput(filters.to)} onApply={applyTo} testId="audit-filter-to" />
      <button
        type="button"
        className="audit-clear"
        disabled={!hasFilters(filters)}
        onClick={() => {
          setFormKey((k) => k + 1)
          setAuditFilters(NO_FILTERS)
        }}
        data-testid="audit-filter-clear"
      >
        Clear filters
      </button>
    </form>
  )
}
