/**
 * A small JSON-Schema form renderer (no rjsf: its validator needs code generation, which the CSP
 * forbids, and the server validates anyway). Tables become collapsible fieldsets, scalars labelled
 * inputs, lists editable rows, lists of tables repeated fieldsets, and maps ([agents.<id>]) named
 * entries that can be added and removed.
 */
import { createContext, memo, useContext, useState, type ReactNode } from 'react'
import { ApplyBadge, commit, fieldId, FieldShell, Help, Issues, MixedInput, Rules, ScalarInput, useIssuesAt } from './inputs'
import { isObject, toPointer, type Plain } from './pointer'
import {
  applyOf,
  enumOf,
  extraSchemaOf,
  initialValue,
  itemsOf,
  keyProblem,
  kindOf,
  propertiesOf,
  requiredOf,
  resolve,
  type Apply,
  type Schema,
} from './schema-model'
import { useConfig } from './config-store'
import { setCollapsed } from './draft'

const RootCtx = createContext<Schema>({})

// resolve() builds a new object for every $ref; cache it so memoised fields see a stable schema.
const resolved = new WeakMap<object, Schema>()
function useResolved(raw: Schema): Schema {
  const root = useContext(RootCtx)
  let hit = resolved.get(raw)
  if (!hit) {
    hit = resolve(raw, root)
    resolved.set(raw, hit)
  }
  return hit
}

const childPointer = (pointer: string, key: string | number) => pointer + toPointer([key])

interface FieldProps {
  pointer: string
  label: string
  /** The schema as written (maybe a $ref); resolved inside. */
  raw: Schema
  value: unknown
  required: boolean
  apply: Apply | undefined
  /** Map entries and optional keys can be removed; list items are removed by their list. */
  removable: boolean
}

const Field = memo(function Field({ pointer, label, raw, value, required, apply: inherited, removable }: FieldProps) {
  const root = useContext(RootCtx)
  const schema = useResolved(raw)
  const apply = applyOf(schema, inherited)
  const kind = kindOf(schema, value)
  const present = value !== undefined
  const onRemove = removable && present ? () => commit(pointer, undefined) : undefined
  if (kind === 'object') return <ObjectField pointer={pointer} label={label} schema={schema} value={value} apply={apply} required={required} onRemove={onRemove} />
  if (kind === 'array') {
    const items = itemsOf(schema, root)
    const list = Array.isArray(value) ? value : []
    const itemKind = kindOf(items, list[0])
    if (itemKind === 'object') return <TableList pointer={pointer} label={label} schema={schema} items={items} list={list} apply={apply} required={required} />
    return (
      <FieldShell pointer={pointer} label={label} schema={schema} apply={apply} required={required} present={present} onRemove={onRemove}>
        {({ id, describedBy }) =>
          itemKind === 'enum' && schema['uniqueItems'] === true ? (
            <ChoiceSet id={id} pointer={pointer} label={label} options={enumOf(items)} list={list} describedBy={describedBy} />
          ) : (
            <ScalarList id={id} pointer={pointer} label={label} items={items} list={list} />
          )
        }
      </FieldShell>
    )
  }
  return (
    <FieldShell pointer={pointer} label={label} schema={schema} apply={apply} required={required} present={present} onRemove={onRemove}>
      {({ id, describedBy, invalid }) =>
        kind === 'mixed' ? (
          <MixedInput id={id} pointer={pointer} schema={schema} value={value} kind={kind} label={label} invalid={invalid} describedBy={describedBy} optional={!required} />
        ) : kind === 'unknown' ? (
          <JsonInput id={id} pointer={pointer} value={value} label={label} invalid={invalid} describedBy={describedBy} />
        ) : (
          <ScalarInput id={id} pointer={pointer} schema={schema} value={value} kind={kind} label={label} invalid={invalid} describedBy={describedBy} optional={!required} />
        )
      }
    </FieldShell>
  )
})

function Collapsible({ pointer, name, extras, testid, children }: { pointer: string; name: string; extras: ReactNode; testid: string; children: ReactNode }) {
  const collapsed = useConfig((s) => s.collapsed[pointer] === true)
  const bodyId = `${fieldId(pointer)}-body`
  return (
    <fieldset className="cfg-fieldset" data-testid={testid} data-collapsed={collapsed}>
      <legend>
        <button
          type="button"
          id={fieldId(pointer)}
          className="cfg-toggle"
          aria-expanded={!collapsed}
          aria-controls={bodyId}
          title={collapsed ? `Expand ${name}` : `Collapse ${name}`}
          onClick={() => setCollapsed(pointer, !collapsed)}
        >
          <span aria-hidden className="cfg-caret">
            {collapsed ? '▸' : '▾'}
          </span>
          <span className="mono">{name}</span>
        </button>
        {extras}
      </legend>
      {!collapsed && (
        <div id={bodyId} className="cfg-fieldset-body">
          {children}
        </div>
      )}
    </fieldset>
  )
}

interface ObjectProps {
  pointer: string
  label: string
  schema: Schema
  value: unknown
  apply: Apply | undefined
  required: boolean
  onRemove?: (() => void) | undefined
}

function ObjectField({ pointer, label, schema, value, apply, required, onRemove }: ObjectProps) {
  const root = useContext(RootCtx)
  const issues = useIssuesAt(pointer)
  const id = fieldId(pointer)
  const obj = isObject(value) ? value : undefined
  const legend = (
    <>
      <ApplyBadge apply={apply} />
      {required && <span className="cfg-req">required</span>}
      {onRemove && (
        <button type="button" className="small cfg-remove-table" onClick={onRemove} aria-label={`Remove ${label}`}>
          Remove
        </button>
      )}
    </>
  )
  return (
    <Collapsible pointer={pointer} name={label} extras={legend} testid={`section-${pointer}`}>
      <Help id={id} schema={schema} />
      <Issues id={id} issues={issues} />
      {obj === undefined ? (
        <p className="cfg-missing">
          <span className="muted">Not set.</span>{' '}
          <button type="button" className="small" onClick={() => commit(pointer, initialValue(schema, root))}>
            Add [{label}]
          </button>
        </p>
      ) : (
        <TableBody pointer={pointer} schema={schema} obj={obj} apply={apply} />
      )}
    </Collapsible>
  )
}

/** The keys of one table: declared ones in schema order, then map entries, then keys the schema does not know. */
function TableBody({ pointer, schema, obj, apply }: { pointer: string; schema: Schema; obj: Plain; apply: Apply | undefined }) {
  const props = propertiesOf(schema)
  const required = requiredOf(schema)
  const extra = extraSchemaOf(schema)
  const declared = new Set(props.map(([k]) => k))
  const others = Object.keys(obj).filter((k) => !declared.has(k))
  return (
    <>
      {props.map(([key, raw]) => (
        <Field
          key={key}
          pointer={childPointer(pointer, key)}
          label={key}
          raw={raw}
          value={obj[key]}
          required={required.includes(key)}
          apply={apply}
          removable={!required.includes(key)}
        />
      ))}
      {others.map((key) =>
        extra ? (
          <Field key={key} pointer={childPointer(pointer, key)} label={key} raw={extra} value={obj[key]} required={false} apply={apply} removable />
        ) : (
          <Field key={key} pointer={childPointer(pointer, key)} label={key} raw={UNKNOWN} value={obj[key]} required={false} apply={undefined} removable />
        ),
      )}
      {extra && <AddEntry pointer={pointer} schema={schema} entry={extra} obj={obj} />}
    </>
  )
}

const UNKNOWN: Schema = { description: 'Not described by the schema.' }

function AddEntry({ pointer, schema, entry, obj }: { pointer: string; schema: Schema; entry: Schema; obj: Plain }) {
  const root = useContext(RootCtx)
  const [name, setName] = useState('')
  const [tried, setTried] = useState(false)
  const problem = keyProblem(schema, name.trim(), obj)
  const inputId = `${fieldId(pointer)}-new`
  const add = () => {
    setTried(true)
    if (problem) return
    commit(childPointer(pointer, name.trim()), initialValue(resolve(entry, root), root))
    setName('')
    setTried(false)
  }
  return (
    <div className="cfg-add-entry">
      <label htmlFor={inputId} className="small muted">
        New entry in {pointer || 'the root'}
      </label>
      <div className="row">
        <input
          id={inputId}
          className="mono"
          value={name}
          placeholder="name"
          aria-invalid={tried && !!problem}
          onChange={(e) => setName(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault()
              add()
            }
          }}
        />
        <button type="button" className="small" onClick={add}>
          Add entry
        </button>
        {tried && problem && <span className="field-error">{problem}</span>}
      </div>
    </div>
  )
}

function ScalarList({ id, pointer, label, items, list }: { id: string; pointer: string; label: string; items: Schema; list: unknown[] }) {
  const root = useContext(RootCtx)
  return (
    <div className="cfg-list" id={id} role="group" aria-label={label} tabIndex={-1}>
      {list.length === 0 && <span className="muted small">(empty)</span>}
      {list.map((item, i) => (
        <ListItem key={i} pointer={childPointer(pointer, i)} label={`${label} item ${i + 1}`} items={items} value={item} onRemove={() => commit(childPointer(pointer, i), undefined)} />
      ))}
      <button type="button" className="small" onClick={() => commit(pointer, [...list, initialValue(items, root)])}>
        + Add item
      </button>
    </div>
  )
}

function ListItem({ pointer, label, items, value, onRemove }: { pointer: string; label: string; items: Schema; value: unknown; onRemove: () => void }) {
  const issues = useIssuesAt(pointer)
  const id = fieldId(pointer)
  const kind = kindOf(items, value)
  const invalid = issues.length > 0
  const props = { id, pointer, schema: items, value, label, invalid, describedBy: invalid ? `${id}-err` : undefined, optional: false }
  return (
    <div className="cfg-list-item" data-testid={`field-${pointer}`} data-invalid={invalid}>
      <div className="cfg-input-row">
        {kind === 'mixed' ? <MixedInput {...props} kind={kind} /> : <ScalarInput {...props} kind={kind === 'unknown' ? 'string' : kind} />}
        <button type="button" className="icon-button cfg-remove" aria-label={`Remove ${label}`} title={`Remove ${label}`} onClick={onRemove}>
          ×
        </button>
      </div>
      <Issues id={id} issues={issues} />
    </div>
  )
}

function ChoiceSet({ id, pointer, label, options, list, describedBy }: { id: string; pointer: string; label: string; options: unknown[]; list: unknown[]; describedBy: string | undefined }) {
  return (
    <div className="cfg-choices" id={id} role="group" aria-label={label} aria-describedby={describedBy} tabIndex={-1}>
      {options.map((o, i) => (
        <label key={i} className="cfg-choice">
          <input
            type="checkbox"
            checked={list.includes(o)}
            onChange={(e) => commit(pointer, e.target.checked ? options.filter((x) => x === o || list.includes(x)) : list.filter((x) => x !== o))}
          />
          {String(o)}
        </label>
      ))}
      {list
        .filter((x) => !options.includes(x))
        .map((x, i) => (
          <span key={`x${i}`} className="badge badge-bad">
            {JSON.stringify(x)} (not allowed)
          </span>
        ))}
    </div>
  )
}

function TableList({ pointer, label, schema, items, list, apply, required }: { pointer: string; label: string; schema: Schema; items: Schema; list: unknown[]; apply: Apply | undefined; required: boolean }) {
  const root = useContext(RootCtx)
  const issues = useIssuesAt(pointer)
  const id = fieldId(pointer)
  const itemApply = applyOf(items, apply)
  const legend = (
    <>
      <ApplyBadge apply={apply} />
      {required && <span className="cfg-req">required</span>}
      <span className="muted small">
        {list.length} entr{list.length === 1 ? 'y' : 'ies'}
      </span>
    </>
  )
  return (
    <Collapsible pointer={pointer} name={label} extras={legend} testid={`section-${pointer}`}>
      <Help id={id} schema={schema} />
      <Rules schema={schema} />
      <Issues id={id} issues={issues} />
      {list.map((item, i) => {
        const p = childPointer(pointer, i)
        return (
          <fieldset key={i} className="cfg-fieldset cfg-item" data-testid={`section-${p}`}>
            <legend>
              <span className="mono">
                {label} #{i + 1}
              </span>
              <button type="button" className="small cfg-remove-table" onClick={() => commit(p, undefined)} aria-label={`Remove ${label} entry ${i + 1}`}>
                Remove
              </button>
            </legend>
            {isObject(item) ? <TableBody pointer={p} schema={items} obj={item} apply={itemApply} /> : <Field pointer={p} label={`#${i + 1}`} raw={UNKNOWN} value={item} required={false} apply={itemApply} removable={false} />}
          </fieldset>
        )
      })}
      <button type="button" className="small" onClick={() => commit(pointer, [...list, initialValue(items, root)])}>
        + Add {label} entry
      </button>
    </Collapsible>
  )
}

/** Values the schema does not describe (or of a shape the form cannot lay out), edited as JSON. */
function JsonInput({ id, pointer, value, label, invalid, describedBy }: { id: string; pointer: string; value: unknown; label: string; invalid: boolean; describedBy: string | undefined }) {
  const shown = JSON.stringify(value) ?? ''
  const [draft, setDraft] = useState<{ for: string; text: string }>({ for: shown, text: shown })
  const text = draft.for === shown ? draft.text : shown
  return (
    <input
      id={id}
      className="mono"
      aria-label={`${label} (JSON)`}
      aria-invalid={invalid}
      aria-describedby={describedBy}
      value={text}
      onChange={(e) => setDraft({ for: shown, text: e.target.value })}
      onBlur={() => {
        if (text === shown) return
        try {
          commit(pointer, JSON.parse(text) as unknown)
        } catch {
          commit(pointer, text)
        }
      }}
    />
  )
}

/** The whole form: every top-level table of the schema as a section, then keys the schema lacks. */
export function SchemaForm({ schema, value }: { schema: Schema; value: Plain }) {
  const rootApply = applyOf(schema, undefined)
  const required = requiredOf(schema)
  const props = propertiesOf(schema)
  const declared = new Set(props.map(([k]) => k))
  const extra = extraSchemaOf(schema)
  return (
    <RootCtx.Provider value={schema}>
      <div className="cfg-form" data-testid="config-form">
        {props.map(([key, raw]) => (
          <Field key={key} pointer={toPointer([key])} label={key} raw={raw} value={value[key]} required={required.includes(key)} apply={rootApply} removable={!required.includes(key)} />
        ))}
        {Object.keys(value)
          .filter((k) => !declared.has(k))
          .map((key) => (
            <Field key={key} pointer={toPointer([key])} label={key} raw={extra ?? UNKNOWN} value={value[key]} required={false} apply={rootApply} removable />
          ))}
      </div>
    </RootCtx.Provider>
  )
}
