/**
 * The Config tab: edit config.toml in a schema-driven form or as raw TOML, see what the edit
 * changes and whether a reload is enough, then Save or Save & Restart; restore old versions; and
 * learn when the file changed under us.
 */
import { useRef, type KeyboardEvent } from 'react'
import { StateBadge } from '../../components/StateBadge'
import { RunProgress } from '../workflow/RunProgress'
import { ApplyModeChoice, SaveRestartButton } from '../workflow/SaveRestartButton'
import { useConfigViews, useConfigViewsFeed } from '../stack/use-config-views'
import { ConfigViewsPanel, SingleFileBanner } from './ConfigViewsPanel'
import { ChangeList, RestartNote, UnifiedDiff } from './diff-view'
import { DiskBanner } from './DiskBanner'
import { HistoryPanel } from './HistoryPanel'
import { fieldId } from './inputs'
import { isWithin, parsePointer, toPointer } from './pointer'
import { focusRawLine, RawEditor } from './RawEditor'
import { SchemaForm } from './SchemaForm'
import type { Schema } from './schema-model'
import { currentValidation, isDirty, loadConfig, saveBlocker, useConfig, type Issue, type Mode } from './config-store'
import { saveDraft } from './config-writes'
import { describeDraft, discardEdits, restartInput, switchMode } from './draft'
import { useConfigFeed } from './use-config-feed'
import './config.css'

function FileHeader() {
  const base = useConfig((s) => s.base)
  const dirty = useConfig((s) => isDirty(s))
  if (!base) return null
  return (
    <div className="card cfg-header" aria-label="Loaded file">
      <div className="row">
        <h2 className="mono cfg-path" title={base.path} data-testid="config-path">
          {base.path}
        </h2>
        {dirty ? (
          <span className="badge badge-warn" data-testid="unsaved-indicator" data-dirty="true">
            ● unsaved changes
          </span>
        ) : (
          <span className="badge badge-muted" data-testid="unsaved-indicator" data-dirty="false">
            saved
          </span>
        )}
        {!base.valid && <StateBadge state="failed" label={`file on disk is invalid (${base.errorKind ?? 'error'})`} />}
        <span className="spacer" />
        <button type="button" className="small" onClick={() => void (dirty ? discardEdits() : loadConfig())} title="Read config.toml from disk again">
          Reload
        </button>
      </div>
      <div className="row small muted cfg-meta">
        <span>
          sha256 <span className="mono" title={base.hash} data-testid="config-hash">{base.hash.slice(0, 12)}</span>
        </span>
        <span>
          modified <time dateTime={base.mtime} data-testid="config-mtime">{new Date(base.mtime).toLocaleString()}</time>
        </span>
        <span title={base.schemaPath}>schema {base.schemaPath.split(/[\\/]/).pop()}</span>
      </div>
    </div>
  )
}

const MODES: { id: Mode; label: string }[] = [
  { id: 'form', label: 'Form' },
  { id: 'raw', label: 'Raw TOML' },
]

function Validity() {
  const validating = useConfig((s) => s.validating)
  const v = useConfig((s) => currentValidation(s))
  const localCount = useConfig((s) => Object.keys(s.localErrors).length)
  const problem = useConfig((s) => s.validateError)
  if (problem) return <StateBadge state="failed" label="cannot check" />
  if (validating || !v)
    return (
      <span data-testid="validity" data-state="checking">
        <StateBadge state="starting" label="checking…" />
      </span>
    )
  const count = v.errors.length + localCount
  return (
    <span data-testid="validity" data-state={count ? 'invalid' : 'valid'}>
      {count ? <StateBadge state="failed" label={`${count} error${count === 1 ? '' : 's'}`} /> : <StateBadge state="healthy" label="✓ valid" />}
    </span>
  )
}

function ModeTabs() {
  const mode = useConfig((s) => s.mode)
  const busy = useConfig((s) => s.busy === 'switch')
  const refs = useRef<(HTMLButtonElement | null)[]>([])
  const onKey = (e: KeyboardEvent<HTMLButtonElement>, i: number) => {
    const delta = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0
    const next = MODES[(i + delta + MODES.length) % MODES.length]
    if (!delta || !next) return
    e.preventDefault()
    refs.current[(i + delta + MODES.length) % MODES.length]?.focus()
    void switchMode(next.id)
  }
  return (
    <div className="row cfg-modebar">
      <div role="tablist" aria-label="Editor" className="cfg-modes">
        {MODES.map((m, i) => (
          <button
            key={m.id}
            ref={(el) => {
              refs.current[i] = el
            }}
            type="button"
            role="tab"
            id={`cfg-mode-${m.id}`}
            aria-selected={mode === m.id}
            aria-controls="cfg-editor"
            tabIndex={mode === m.id ? 0 : -1}
            data-testid={`mode-${m.id}`}
            onClick={() => void switchMode(m.id)}
            onKeyDown={(e) => onKey(e, i)}
          >
            {m.label}
          </button>
        ))}
      </div>
      {busy && <span className="muted small">converting…</span>}
      <span className="spacer" />
      <Validity />
    </div>
  )
}

function focusField(pointer: string): void {
  const s = useConfig.getState()
  // Open every collapsed table on the way, then focus the closest thing that is on screen.
  const path = parsePointer(pointer)
  const opened = { ...s.collapsed }
  for (let i = 0; i <= path.length; i++) {
    const p = toPointer(path.slice(0, i))
    if (opened[p] && isWithin(pointer, p) && p !== pointer) opened[p] = false
  }
  useConfig.setState({ collapsed: opened })
  requestAnimationFrame(() => {
    for (let i = path.length; i >= 1; i--) {
      const el = document.getElementById(fieldId(toPointer(path.slice(0, i))))
      if (el) {
        el.scrollIntoView({ block: 'center' })
        el.focus()
        return
      }
    }
  })
}

function whereOf(e: Issue, mode: Mode): string {
  if (mode === 'raw' && e.line) return `line ${e.line}${e.column ? `:${e.column}` : ''}${e.path && !e.path.includes(':') ? ` ${e.path}` : ''}`
  return e.path && !e.path.includes(':') ? e.path || '/' : e.line ? `line ${e.line}` : '(file)'
}

function IssueSummary() {
  const mode = useConfig((s) => s.mode)
  const issues = useConfig((s) => s.validation?.result.errors)
  const local = useConfig((s) => s.localErrors)
  const problem = useConfig((s) => s.validateError)
  const all: Issue[] = [...Object.entries(local).map(([path, message]) => ({ path, message })), ...(issues ?? [])]
  if (!problem && all.length === 0) return null
  const go = (e: Issue) => {
    if (mode === 'raw' && e.line) focusRawLine(e.line, e.column ?? 1)
    else if (mode === 'raw') focusRawLine(1)
    else if (e.path && !e.path.includes(':')) focusField(e.path)
    else if (e.line) {
      void switchMode('raw').then(() => requestAnimationFrame(() => focusRawLine(e.line ?? 1, e.column ?? 1)))
    }
  }
  return (
    <section className="cfg-issue-summary" id="cfg-issues" aria-label="Problems" data-testid="issue-summary">
      {problem && <p className="field-error">Cannot check this edit: {problem}</p>}
      {all.length > 0 && (
        <>
          <strong className="small">
            {all.length === 1 ? '1 problem: saving is blocked until it is fixed' : `${all.length} problems: saving is blocked until they are fixed`}
          </strong>
          <ul>
            {all.map((e, i) => (
              <li key={i} data-testid="issue" data-path={e.path ?? ''} data-line={e.line ?? ''}>
                <button type="button" className="cfg-issue-link mono small" onClick={() => go(e)}>
                  {whereOf(e, mode)}
                </button>{' '}
                <span className="small">{e.message}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}

function Editor() {
  const mode = useConfig((s) => s.mode)
  const base = useConfig((s) => s.base)
  const value = useConfig((s) => s.value)
  if (!base) return null
  return (
    <div id="cfg-editor" role="tabpanel" aria-labelledby={`cfg-mode-${mode}`} className="cfg-editor">
      {mode === 'form' && value ? (
        <SchemaForm schema={(base.schema ?? {}) as Schema} value={value} />
      ) : mode === 'form' ? (
        <p className="muted">config.toml does not parse, so there is no form: fix it in Raw TOML.</p>
      ) : (
        <RawEditor />
      )}
    </div>
  )
}

function ReviewPanel() {
  const dirty = useConfig((s) => isDirty(s))
  const v = useConfig((s) => currentValidation(s))
  const last = useConfig((s) => s.validation?.result)
  const blocker = useConfig((s) => saveBlocker(s))
  const saving = useConfig((s) => s.busy === 'save')
  const diff = v?.diff ?? (dirty ? last?.diff : null)
  // Only the diff of the current draft says which fields change; an older one is not trusted for the hint.
  const changes = v?.diff?.changes ?? null
  const report = useConfigViews((s) => s.report)
  const singleFile = report ? { count: report.containers.filter((c) => c.view.kind === 'file').length, setting: report.singleFileMounts } : null
  return (
    <section className="card cfg-review" aria-labelledby="cfg-review-title" data-testid="review">
      <h3 id="cfg-review-title">Review &amp; save</h3>
      {!dirty ? (
        <p className="muted small">No unsaved changes. Edit a field or the raw text to see here what would change.</p>
      ) : diff ? (
        <>
          <p className="small" data-testid="diff-summary">
            {diff.summary}
            {!v && <span className="muted"> (checking…)</span>}
          </p>
          <ChangeList changes={diff.changes} />
          <RestartNote changes={diff.changes} />
          <details open={diff.unified.split('\n').length < 60}>
            <summary>Text diff</summary>
            <UnifiedDiff unified={diff.unified} label="config.toml as loaded vs edited" />
          </details>
        </>
      ) : (
        <p className="muted small">{v ? 'The edit does not parse: nothing to compare yet.' : 'Checking the edit…'}</p>
      )}
      <SingleFileBanner />
      {dirty && <ApplyModeChoice changes={changes} singleFile={singleFile} />}
      <div className="row cfg-actions">
        <button type="button" data-testid="config-save" disabled={!!blocker} title={blocker ?? 'Back up and write config.toml; nothing is paused, restarted or signalled'} onClick={() => void saveDraft()}>
          {saving ? 'Saving…' : 'Save'}
        </button>
        <SaveRestartButton build={restartInput} describe={describeDraft} disabled={!!blocker} disabledReason={blocker ?? ''} changes={changes} singleFile={singleFile} />
        <span className="spacer" />
        <button type="button" className="small" disabled={!dirty} onClick={() => void discardEdits()}>
          Discard edits
        </button>
      </div>
      {dirty && blocker && (
        <p className="small muted" data-testid="save-blocked-reason" role="status">
          {blocker}
        </p>
      )}
    </section>
  )
}

export function ConfigView() {
  useConfigFeed()
  useConfigViewsFeed()
  const loaded = useConfig((s) => s.base !== null)
  const loadError = useConfig((s) => s.loadError)
  if (!loaded)
    return loadError ? (
      <div className="card" role="alert">
        <p className="field-error">Cannot load config.toml: {loadError}</p>
        <button type="button" onClick={() => void loadConfig()}>
          Retry
        </button>
      </div>
    ) : (
      <p className="muted">Loading config.toml…</p>
    )
  return (
    <div className="cfg" data-testid="config-view">
      <FileHeader />
      <DiskBanner />
      <div className="cfg-layout">
        <div className="cfg-main card">
          <ModeTabs />
          <IssueSummary />
          <Editor />
        </div>
        <aside className="cfg-side" aria-label="Review, progress and history">
          <ReviewPanel />
          <RunProgress />
          <ConfigViewsPanel />
          <HistoryPanel />
        </aside>
      </div>
    </div>
  )
}
