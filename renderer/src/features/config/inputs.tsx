/**
 * Leaf widgets of the schema form: one input per scalar kind, plus the shared label/help/error
 * frame. Inputs never validate; they only turn what was typed into a value and let the server judge.
 */
import { useState, type ReactNode } from 'react'
import { useShallow } from 'zustand/react/shallow'
import { useConfig } from './config-store'
import { editValue, setLocalError } from './draft'
import { parsePointer } from './pointer'
import { APPLY_WORDS, constraintText as ruleText, enumOf, mixedTypes, scalarOf, type Apply, type Kind, type Scalar, type Schema } from './schema-model'

/** A value as short text for placeholders and option labels. */
const str = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))

export const fieldId = (pointer: string) => `cfg:${pointer || '/'}`

/** Error messages for exactly this pointer; string[] so the shallow compare keeps renders rare. */
export function useIssuesAt(pointer: string): string[] {
  return useConfig(
    useShallow((s) => {
      const out: string[] = []
      const local = s.localErrors[pointer]
      if (local) out.push(local)
      for (const e of s.validation?.result.errors ?? []) if (e.path === pointer) out.push(e.message)
      return out
    }),
  )
}

export const commit = (pointer: string, v: unknown) => editValue(parsePointer(pointer), v)

export function ApplyBadge({ apply }: { apply: Apply | undefined }) {
  if (!apply) return null
  return (
    <span
      className={`badge ${apply === 'hot' ? 'badge-ok' : 'badge-warn'} cfg-apply`}
      title={apply === 'hot' ? `Hot: ${APPLY_WORDS.hot} (Save & Restart sends the reload signal)` : `Restart: ${APPLY_WORDS.restart}; a reload is not enough`}
      data-apply={apply}
    >
      {apply}
    </span>
  )
}

export function Help({ id, schema }: { id: string; schema: Schema }) {
  const description = typeof schema['description'] === 'string' ? schema['description'] : ''
  return <p className="cfg-help">{description && <span id={`${id}-help`}>{description}</span>}</p>
}

export function Issues({ id, issues }: { id: string; issues: string[] }) {
  if (issues.length === 0) return null
  return (
    <ul className="cfg-issues field-error" id={`${id}-err`} data-testid={`field-error-${id.slice(4)}`}>
      {issues.map((m, i) => (
        <li key={i}>{m}</li>
      ))}
    </ul>
  )
}

interface InputProps {
  id: string
  pointer: string
  schema: Schema
  value: unknown
  kind: Kind
  label: string
  invalid: boolean
  describedBy?: string
  /** The key is optional: an empty choice removes it. */
  optional: boolean
}

const fmtNumber = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'string' ? v : '')

function NumberInput({ id, pointer, schema, value, kind, label, invalid, describedBy }: InputProps) {
  // What was typed, remembered next to the value it produced: "1." or "-" must survive a render,
  // while a value changed from outside (reload, raw editor) must replace it.
  const [draft, setDraft] = useState<{ for: unknown; text: string }>({ for: value, text: fmtNumber(value) })
  const text = Object.is(draft.for, value) ? draft.text : fmtNumber(value)
  const min = typeof schema['minimum'] === 'number' ? schema['minimum'] : undefined
  const max = typeof schema['maximum'] === 'number' ? schema['maximum'] : undefined
  return (
    <input
      id={id}
      type="number"
      inputMode={kind === 'integer' ? 'numeric' : 'decimal'}
      step={kind === 'integer' ? 1 : 'any'}
      min={min}
      max={max}
      value={text}
      aria-label={label}
      aria-invalid={invalid}
      aria-describedby={describedBy}
      placeholder={schema['default'] !== undefined ? `default ${str(schema['default'])}` : ''}
      onChange={(e) => {
        const raw = e.target.value
        if (e.target.validity.badInput) {
          setDraft({ for: value, text: raw })
          setLocalError(pointer, 'is not a number')
          return
        }
        const next = raw.trim() === '' ? undefined : Number(raw)
        setDraft({ for: next, text: raw })
        commit(pointer, next)
      }}
    />
  )
}

export function ScalarInput(props: InputProps) {
  const { id, pointer, schema, value, kind, label, invalid, describedBy, optional } = props
  const aria = { 'aria-label': label, 'aria-invalid': invalid, 'aria-describedby': describedBy }
  if (kind === 'number' || kind === 'integer') return <NumberInput {...props} />
  if (kind === 'boolean') {
    const effective = typeof value === 'boolean' ? value : schema['default'] === true
    return <input id={id} type="checkbox" checked={effective} {...aria} onChange={(e) => commit(pointer, e.target.checked)} />
  }
  if (kind === 'enum') {
    const options = enumOf(schema)
    const idx = options.findIndex((o) => o === value)
    const foreign = value !== undefined && idx === -1
    return (
      <select
        id={id}
        {...aria}
        value={value === undefined ? '' : foreign ? 'foreign' : String(idx)}
        onChange={(e) => commit(pointer, e.target.value === '' ? undefined : e.target.value === 'foreign' ? value : options[Number(e.target.value)])}
      >
        {(optional || value === undefined) && <option value="">(not set{schema['default'] !== undefined ? `: default ${str(schema['default'])}` : ''})</option>}
        {foreign && <option value="foreign">{JSON.stringify(value)} (not allowed)</option>}
        {options.map((o, i) => (
          <option key={i} value={String(i)}>
            {String(o)}
          </option>
        ))}
      </select>
    )
  }
  // Strings, and anything else that arrived as text.
  return (
    <input
      id={id}
      type="text"
      spellCheck={false}
      autoComplete="off"
      {...aria}
      value={typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value)}
      placeholder={schema['default'] !== undefined ? `default ${str(schema['default'])}` : typeof schema['title'] === 'string' ? schema['title'] : ''}
      onChange={(e) => commit(pointer, e.target.value)}
    />
  )
}

/** A value that may be a number, a string or a boolean (strategy params): pick the type, then edit. */
export function MixedInput(props: InputProps) {
  const types = mixedTypes(props.schema)
  const current: Scalar = scalarOf(props.value) ?? types[0] ?? 'string'
  const shown: Scalar = current === 'integer' && !types.includes('integer') ? 'number' : current
  const convert = (t: Scalar): unknown => {
    const v = props.value
    if (t === 'boolean') return v === true || v === 'true'
    if (t === 'number' || t === 'integer') return Number(v) || 0
    return v === undefined ? '' : str(v)
  }
  return (
    <span className="cfg-mixed">
      <select aria-label={`Type of ${props.label}`} value={shown} onChange={(e) => commit(props.pointer, convert(e.target.value as Scalar))}>
        {types.map((t) => (
          <option key={t}>{t}</option>
        ))}
      </select>
      <ScalarInput {...props} kind={shown} />
    </span>
  )
}

interface ShellProps {
  pointer: string
  label: string
  schema: Schema
  apply: Apply | undefined
  required: boolean
  present: boolean
  onRemove?: (() => void) | undefined
  removeLabel?: string
  children: (ctx: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode
}

/** Label, x-apply badge, input, help and the server's errors for one field, in a two-column row. */
export function FieldShell({ pointer, label, schema, apply, required, present, onRemove, removeLabel, children }: ShellProps) {
  const id = fieldId(pointer)
  const issues = useIssuesAt(pointer)
  const invalid = issues.length > 0
  const hasHelp = typeof schema['description'] === 'string'
  const describedBy = [hasHelp ? `${id}-help` : '', invalid ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined
  return (
    <div className="cfg-field" data-testid={`field-${pointer}`} data-invalid={invalid}>
      <div className="cfg-label">
        <label htmlFor={id} className="mono">
          {label}
        </label>
        <ApplyBadge apply={apply} />
        {required && <span className="cfg-req">required</span>}
        {!present && <span className="cfg-unset">not set</span>}
      </div>
      <div className="cfg-control">
        <div className="cfg-input-row">
          {children({ id, describedBy, invalid })}
          {onRemove && (
            <button type="button" className="icon-button cfg-remove" aria-label={removeLabel ?? `Remove ${label}`} title={removeLabel ?? `Remove ${label}`} onClick={onRemove}>
              ×
            </button>
          )}
        </div>
        <Help id={id} schema={schema} />
        <Rules schema={schema} />
        <Issues id={id} issues={issues} />
      </div>
    </div>
  )
}

export function Rules({ schema }: { schema: Schema }) {
  const text = ruleText(schema)
  return text ? <p className="cfg-rules">{text}</p> : null
}

