import { useId, useMemo, useState } from 'react'
import { clockToCron, cronToClock, DAYS, isClock, placeError, type DayName, type FieldError, type FieldKey, type ScheduleDraft } from './schedule-draft'
import { useEditor } from './editor-store'
import { knownZones, localZone } from './time-format'

const DAY_LABELS: Record<DayName, string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' }

function Errors({ errors, id }: { errors: FieldError[]; id: string }) {
  if (errors.length === 0) return null
  return (
    <div id={id} className="field-error" role="alert">
      {errors.map((e, i) => (
        <div key={i}>{e.message}</div>
      ))}
    </div>
  )
}

interface TimeFieldProps {
  which: 'start' | 'stop'
  draft: ScheduleDraft
  errors: FieldError[]
}

/** A time picker, or a cron expression when the toggle is on. */
function TimeField({ which, draft, errors }: TimeFieldProps) {
  const edit = useEditor((s) => s.edit)
  const id = useId()
  const cron = which === 'start' ? draft.startCron : draft.stopCron
  const value = draft[which]
  const label = which === 'start' ? 'Start' : 'Stop'
  const bad = errors.length > 0
  const toggle = (on: boolean) =>
    edit((d) => {
      const cur = d[which]
      // Carry the time over both ways so flipping the toggle never loses what was typed.
      const next = on ? (isClock(cur) ? clockToCron(cur, which === 'start' ? d.days : DAYS.slice(0, 5)) : cur) : (cronToClock(cur) ?? (which === 'start' ? '09:30' : '16:00'))
      return which === 'start' ? { ...d, start: next, startCron: on } : { ...d, stop: next, stopCron: on }
    })
  return (
    <div className="field time-field">
      <label htmlFor={`${id}-input`}>{label}</label>
      <div className="row">
        {cron ? (
          <input
            id={`${id}-input`}
            className="mono cron-input"
            value={value}
            spellCheck={false}
            placeholder={which === 'start' ? '30 9 * * 1-5' : '0 16 * * 1-5'}
            aria-invalid={bad}
            aria-describedby={bad ? `${id}-err` : `${id}-hint`}
            onChange={(e) => edit((d) => ({ ...d, [which]: e.target.value }))}
            data-testid={`${which}-cron`}
          />
        ) : (
          <input
            id={`${id}-input`}
            type="time"
            step={/:\d\d:\d\d/.test(value) ? 1 : 60}
            value={value}
            required
            aria-invalid={bad}
            aria-describedby={bad ? `${id}-err` : undefined}
            onChange={(e) => edit((d) => ({ ...d, [which]: e.target.value }))}
            data-testid={`${which}-time`}
          />
        )}
        <label className="inline-check small">
          <input type="checkbox" checked={cron} onChange={(e) => toggle(e.target.checked)} data-testid={`${which}-cron-toggle`} />
          cron
        </label>
      </div>
      {cron && (
        <span id={`${id}-hint`} className="muted small">
          minute hour day-of-month month day-of-week (Sun = 0), local to the time zone
        </span>
      )}
      <Errors errors={errors} id={`${id}-err`} />
    </div>
  )
}

function TimezoneField({ draft, errors, machineZone }: { draft: ScheduleDraft; errors: FieldError[]; machineZone: string }) {
  const edit = useEditor((s) => s.edit)
  const id = useId()
  const zones = knownZones()
  const bad = errors.length > 0
  return (
    <div className="field">
      <label htmlFor={`${id}-tz`}>Time zone (the exchange’s)</label>
      <div className="row">
        <input
          id={`${id}-tz`}
          className="tz-input"
          list={`${id}-zones`}
          value={draft.timezone}
          placeholder={machineZone}
          spellCheck={false}
          autoComplete="off"
          aria-invalid={bad}
          aria-describedby={bad ? `${id}-err` : `${id}-hint`}
          onChange={(e) => edit((d) => ({ ...d, timezone: e.target.value }))}
          data-testid="timezone"
        />
        <datalist id={`${id}-zones`}>
          {zones.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
        {draft.timezone !== machineZone && (
          <button type="button" className="small" onClick={() => edit((d) => ({ ...d, timezone: machineZone }))}>
            Use this machine’s ({machineZone})
          </button>
        )}
      </div>
      <span id={`${id}-hint`} className="muted small">
        Machine: {machineZone}
        {localZone() !== machineZone ? ` · this browser: ${localZone()}` : ''}
        {draft.timezone === machineZone ? ' (default)' : ''}
      </span>
      <Errors errors={errors} id={`${id}-err`} />
    </div>
  )
}

function DaysField({ draft, errors }: { draft: ScheduleDraft; errors: FieldError[] }) {
  const edit = useEditor((s) => s.edit)
  const id = useId()
  const off = draft.startCron
  const toggle = (day: DayName) =>
    edit((d) => {
      const has = d.days.includes(day)
      return { ...d, days: DAYS.filter((x) => (x === day ? !has : d.days.includes(x))) }
    })
  return (
    <div className="field" role="group" aria-labelledby={`${id}-label`} aria-describedby={errors.length ? `${id}-err` : undefined}>
      <span id={`${id}-label`}>Trading days</span>
      <div className="row day-toggles">
        {DAYS.map((day) => (
          <button
            key={day}
            type="button"
            className="day-toggle"
            aria-pressed={!off && draft.days.includes(day)}
            disabled={off}
            onClick={() => toggle(day)}
            data-testid={`day-${day}`}
          >
            {DAY_LABELS[day]}
          </button>
        ))}
      </div>
      {off && <span className="muted small">A cron start carries its days in its day-of-week field.</span>}
      <Errors errors={errors} id={`${id}-err`} />
    </div>
  )
}

function HolidaysField({ draft, errors }: { draft: ScheduleDraft; errors: FieldError[] }) {
  const edit = useEditor((s) => s.edit)
  const id = useId()
  const [date, setDate] = useState('')
  const dup = draft.holidays.includes(date)
  const add = () => {
    if (!date || dup) return
    edit((d) => ({ ...d, holidays: [...d.holidays, date].sort() }))
    setDate('')
  }
  const general = errors.filter((e) => e.index === undefined)
  return (
    <fieldset className="field list-field">
      <legend>Holidays (no window starts)</legend>
      <div className="row">
        <label className="sr-only" htmlFor={`${id}-date`}>
          Holiday date
        </label>
        <input id={`${id}-date`} type="date" value={date} onChange={(e) => setDate(e.target.value)} data-testid="holiday-date" onKeyDown={(e) => e.key === 'Enter' && add()} />
        <button type="button" className="small" disabled={!date || dup} onClick={add} data-testid="holiday-add">
          Add holiday
        </button>
        {dup && <span className="muted small">already listed</span>}
      </div>
      <ul className="chip-list" data-testid="holiday-list">
        {draft.holidays.map((h, i) => {
          const errs = errors.filter((e) => e.index === i)
          return (
            <li key={`${h}-${i}`} className={errs.length ? 'has-error' : ''} data-testid="holiday-item">
              <span className="mono">{h}</span>
              <button type="button" className="icon-button" aria-label={`Remove holiday ${h}`} onClick={() => edit((d) => ({ ...d, holidays: d.holidays.filter((_, j) => j !== i) }))}>
                ×
              </button>
              {errs.map((e, k) => (
                <span key={k} className="field-error">
                  {e.message}
                </span>
              ))}
            </li>
          )
        })}
        {draft.holidays.length === 0 && <li className="muted small">none</li>}
      </ul>
      <Errors errors={general} id={`${id}-err`} />
    </fieldset>
  )
}

function EarlyClosesField({ draft, errors }: { draft: ScheduleDraft; errors: FieldError[] }) {
  const edit = useEditor((s) => s.edit)
  const id = useId()
  const [date, setDate] = useState('')
  const [stop, setStop] = useState('13:00')
  const dup = draft.earlyCloses.some((e) => e.date === date)
  const add = () => {
    if (!date || !stop || dup) return
    edit((d) => ({ ...d, earlyCloses: [...d.earlyCloses, { date, stop }].sort((a, b) => a.date.localeCompare(b.date)) }))
    setDate('')
  }
  const general = errors.filter((e) => e.index === undefined)
  return (
    <fieldset className="field list-field">
      <legend>Early closes</legend>
      <div className="row">
        <label className="sr-only" htmlFor={`${id}-date`}>
          Early close date
        </label>
        <input id={`${id}-date`} type="date" value={date} onChange={(e) => setDate(e.target.value)} data-testid="early-date" />
        <label className="sr-only" htmlFor={`${id}-stop`}>
          Early close time
        </label>
        <input id={`${id}-stop`} type="time" value={stop} onChange={(e) => setStop(e.target.value)} data-testid="early-stop" />
        <button type="button" className="small" disabled={!date || !stop || dup} onClick={add} data-testid="early-add">
          Add early close
        </button>
        {dup && <span className="muted small">that date is listed</span>}
      </div>
      <ul className="chip-list" data-testid="early-list">
        {draft.earlyCloses.map((e, i) => {
          const errs = errors.filter((x) => x.index === i)
          return (
            <li key={`${e.date}-${i}`} className={errs.length ? 'has-error' : ''} data-testid="early-item">
              <span className="mono">
                {e.date} → {e.stop}
              </span>
              <button
                type="button"
                className="icon-button"
                aria-label={`Remove early close ${e.date}`}
                onClick={() => edit((d) => ({ ...d, earlyCloses: d.earlyCloses.filter((_, j) => j !== i) }))}
              >
                ×
              </button>
              {errs.map((x, k) => (
                <span key={k} className="field-error">
                  {x.message}
                </span>
              ))}
            </li>
          )
        })}
        {draft.earlyCloses.length === 0 && <li className="muted small">none</li>}
      </ul>
      <Errors errors={general} id={`${id}-err`} />
    </fieldset>
  )
}

/** The [schedule] editor; every change is validated live by schedule.preview. */
export function ScheduleEditor({ draft, machineZone }: { draft: ScheduleDraft; machineZone: string }) {
  const preview = useEditor((s) => s.preview)
  const errors = useMemo(() => (preview && !preview.ok ? preview.errors.map(placeError) : []), [preview])
  const of = (f: FieldKey) => errors.filter((e) => e.field === f)
  const overnight = preview?.ok && preview.rules.overnight
  return (
    <div className="schedule-editor" data-testid="schedule-editor">
      <div className="row time-row">
        <TimeField which="start" draft={draft} errors={of('start')} />
        <TimeField which="stop" draft={draft} errors={of('stop')} />
      </div>
      {overnight && <p className="muted small">Stop is before start: the window runs past midnight and belongs to the day it starts on.</p>}
      <TimezoneField draft={draft} errors={of('timezone')} machineZone={machineZone} />
      <DaysField draft={draft} errors={of('days')} />
      <HolidaysField draft={draft} errors={of('holidays')} />
      <EarlyClosesField draft={draft} errors={of('early_closes')} />
      <Errors errors={of('general')} id="schedule-general-errors" />
    </div>
  )
}
