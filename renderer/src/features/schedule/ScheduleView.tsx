import { useEffect } from 'react'
import { getClient } from '../../api/client'
import { RunProgress } from '../workflow/RunProgress'
import { ApplyModeChoice, SaveRestartButton } from '../workflow/SaveRestartButton'
import { useWorkflow } from '../workflow/use-workflow'
import { buildApply, describeApply, loadConfig, onChangedOnDisk, runPreview, useEditor } from './editor-store'
import { OverridePanel } from './OverridePanel'
import { ScheduleEditor } from './ScheduleEditor'
import { isDirty } from './schedule-draft'
import { TradingStateCard } from './TradingStateCard'
import { TransitionTable } from './TransitionTable'
import { useSchedule, useScheduleFeed } from './use-schedule'
import './schedule.css'

const PREVIEW_DEBOUNCE_MS = 250

/** Loads config.toml once per mount and follows it: after our own runs and edits from elsewhere. */
function useConfigFeed(): void {
  useEffect(() => {
    void loadConfig('keep')
    const client = getClient()
    const offs = [
      client.on('workflow.finished', (r) => {
        if (r.newHash) void loadConfig('keep')
      }),
      client.on('config.changedOnDisk', (e) => onChangedOnDisk(e.hash)),
    ]
    return () => offs.forEach((off) => off())
  }, [])
}

/** Debounced live validation: one schedule.preview ~250 ms after the last keystroke. */
function usePreview(): void {
  const draft = useEditor((s) => s.draft)
  useEffect(() => {
    if (!draft) return
    const t = setTimeout(() => void runPreview(), PREVIEW_DEBOUNCE_MS)
    return () => clearTimeout(t)
  }, [draft])
}

function ApplyBar() {
  const { draft, applied, config, preview, previewPending, staleOnDisk } = useEditor()
  const running = useWorkflow((s) => s.running)
  const dirty = isDirty(applied, draft)
  const invalid = !!preview && !preview.ok
  const blocked = !config?.value
    ? 'config.toml does not parse: fix it in the Config tab first'
    : !dirty
      ? 'Nothing to apply: the rules match config.toml'
      : previewPending
        ? 'Checking the rules…'
        : invalid
          ? 'Fix the errors first'
          : staleOnDisk
            ? 'config.toml changed on disk: reload or keep your edits first'
            : undefined
  return (
    <div className="apply-bar">
      {staleOnDisk && (
        <div className="alert alert-warning" role="alert" data-testid="stale-on-disk">
          <span>config.toml changed on disk while you were editing.</span>
          <button className="small" onClick={() => void loadConfig('keep')}>
            Keep my edits on the new file
          </button>
          <button className="small" onClick={() => void loadConfig('reset')}>
            Discard my edits
          </button>
        </div>
      )}
      {dirty && <ApplyModeChoice />}
      <div className="row">
        <SaveRestartButton label="Apply Schedule" build={buildApply} describe={describeApply} disabled={!!blocked} disabledReason={blocked} />
        <button disabled={!dirty || running} onClick={() => void loadConfig('reset')} data-testid="discard-schedule">
          Discard changes
        </button>
        <span className="muted small" data-testid="apply-status">
          {dirty ? (invalid ? 'Unsaved changes with errors' : previewPending ? 'Checking…' : 'Unsaved changes') : 'Matches config.toml'}
        </span>
      </div>
      {config && !config.valid && config.value && (
        <p className="field-error small">config.toml has other validation errors; Save &amp; Restart will refuse until they are fixed in the Config tab.</p>
      )}
    </div>
  )
}

function PreviewCard() {
  const { preview, previewError, previewPending, draft, applied } = useEditor()
  const dirty = isDirty(applied, draft)
  return (
    <section className="card" aria-labelledby="preview-title" aria-busy={previewPending} data-testid="preview-card">
      <h3 id="preview-title">
        Preview — {dirty ? 'edited rules' : 'rules as in config.toml'} <span className="muted small">next 5</span>
        {previewPending && <span className="muted small"> · checking…</span>}
      </h3>
      {previewError && <p className="field-error">Preview failed: {previewError}</p>}
      {preview && !preview.ok && <p className="field-error small">The edited rules have errors (shown next to the fields).</p>}
      {preview?.ok && (
        <>
          <p className="small" data-testid="preview-state" data-enabled={String(preview.enabled)}>
            With these rules trading would be <strong className={preview.enabled ? 'text-ok' : 'text-bad'}>{preview.enabled ? 'enabled' : 'disabled'}</strong> now —{' '}
            <span className="muted">{preview.reason}</span>
          </p>
          <TransitionTable transitions={preview.transitions} testId="preview-transitions" caption="Transitions of the edited rules" />
        </>
      )}
    </section>
  )
}

/** The Scheduler tab: live trading state, the [schedule] editor with preview, Apply, and overrides. */
export function ScheduleView() {
  useScheduleFeed()
  useConfigFeed()
  usePreview()
  const view = useSchedule((s) => s.view)
  const error = useSchedule((s) => s.error)
  const draft = useEditor((s) => s.draft)
  const loadError = useEditor((s) => s.loadError)

  return (
    <div className="schedule-view" data-testid="schedule-view">
      {view ? <TradingStateCard view={view} /> : <section className="card muted">{error ? `Schedule unavailable: ${error}` : 'Loading the schedule…'}</section>}
      <div className="schedule-grid">
        <section className="card" aria-labelledby="editor-title">
          <h3 id="editor-title">Trading window</h3>
          {loadError && (
            <p className="field-error" role="alert">
              Could not load config.toml: {loadError}{' '}
              <button className="small" onClick={() => void loadConfig('keep')}>
                Retry
              </button>
            </p>
          )}
          {draft && view ? <ScheduleEditor draft={draft} machineZone={view.machineTimezone} /> : !loadError && <p className="muted">Loading config.toml…</p>}
          <ApplyBar />
        </section>
        <div className="schedule-side">
          <PreviewCard />
          <section className="card" aria-labelledby="applied-title">
            <h3 id="applied-title">
              Applied schedule <span className="muted small">next 5, as running now</span>
            </h3>
            {view && (
              <TransitionTable
                transitions={view.upcoming.slice(0, 5)}
                testId="applied-transitions"
                caption="Upcoming transitions of the applied schedule"
                empty={view.configured ? 'No upcoming transitions.' : 'No schedule in effect.'}
              />
            )}
          </section>
          {view && <OverridePanel view={view} />}
        </div>
      </div>
      <RunProgress />
    </div>
  )
}
