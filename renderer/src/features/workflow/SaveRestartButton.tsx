import type { OpInput } from '@contract'
import { confirmAction } from '../../store/confirm'
import { planHint, type PlanHint, type PlanHintInput } from './freeze-estimate'
import { saveAndRestart, useWorkflow } from './use-workflow'
import './workflow.css'

/** What the run is known to change, and how the stack mounts the file: the inputs of the hint. */
export interface PlanFacts {
  /** The changed fields with their x-apply; null (or absent) when not known here. */
  changes?: PlanHintInput['changes']
  singleFile?: PlanHintInput['singleFile']
}

/** The same hint for the choice and the button: hot or paused, for about how long. */
export function usePlanHint({ changes = null, singleFile = null }: PlanFacts): PlanHint {
  const forcePaused = useWorkflow((s) => s.forcePaused)
  const applyMode = useWorkflow((s) => s.applyMode)
  const history = useWorkflow((s) => s.history)
  return planHint({ changes, singleFile, forcePaused, applyMode, history })
}

/**
 * Says before the run whether it applies hot (no pause) or pauses the stack, for about how long
 * (median of the last paused runs), and lets the trader force the paused path.
 */
export function ApplyModeChoice(facts: PlanFacts) {
  const hint = usePlanHint(facts)
  const forcePaused = useWorkflow((s) => s.forcePaused)
  const running = useWorkflow((s) => s.running)
  return (
    <div className="wf-apply-mode">
      <p
        className="small wf-mode-hint"
        data-testid="apply-mode-hint"
        data-mode={hint.mode}
        title={hint.basis}
        aria-live="polite"
      >
        {hint.text}
      </p>
      <label
        className="small wf-force"
        title="Freeze the stack around the write even when every change is hot (sends mode: paused)"
      >
        <input
          type="checkbox"
          data-testid="force-paused"
          checked={forcePaused}
          disabled={running}
          onChange={(e) => useWorkflow.getState().set({ forcePaused: e.target.checked })}
        />
        Pause the stack anyway
      </label>
    </div>
  )
}

interface Props extends PlanFacts {
  /** Builds the request at click time; returns null when there is nothing valid to save. */
  build: () => OpInput<'workflow.saveAndRestart'> | null
  disabled?: boolean
  disabledReason?: string
  label?: string
  /** A one-line description of what will change, shown in the confirmation. */
  describe: () => string
}

function confirmText(hint: PlanHint): string {
  if (hint.mode === 'refused') return `It will be ${hint.text}: nothing is paused or written.`
  if (hint.mode === 'hot')
    return 'Every change is hot: nothing is paused. config.toml is backed up and replaced atomically, then the services are told to reload and each container is checked.'
  if (hint.mode === 'auto')
    return `If every changed field is hot nothing is paused; otherwise ${hint.pausedFor} while config.toml is written. Then the services are told to reload.`
  return `${hint.text}. The stack is paused while config.toml is written, then resumed and told to reload.`
}

/** The button traders press most: confirm, then run, and stay disabled while any run is in flight. */
export function SaveRestartButton({
  build,
  disabled,
  disabledReason,
  label = 'Save & Restart',
  describe,
  changes,
  singleFile,
}: Props) {
  const running = useWorkflow((s) => s.running)
  const hint = usePlanHint({ changes, singleFile })
  const off = disabled || running
  // The reason is shown, not only in a tooltip: a disabled button that does not say why looks broken.
  const why = !running && disabled && disabledReason ? disabledReason : null
  return (
    <>
      <button
        className="primary"
        data-testid="save-restart"
        data-mode={hint.mode}
        disabled={off}
        title={
          running
            ? 'A Save & Restart run is in progress'
            : disabled
              ? disabledReason
              : `${hint.text}. Then write, reload, verify`
        }
        onClick={() =>
          void (async () => {
            const input = build()
            if (!input) return
            const forced = useWorkflow.getState().forcePaused
            const ok = await confirmAction({
              title: 'Save & Restart?',
              message: `${describe()} ${confirmText(hint)}`,
              confirmLabel: 'Save & Restart',
            })
            if (ok.ok) await saveAndRestart(forced ? { ...input, mode: 'paused' } : input)
          })()
        }
      >
        {running ? 'Saving & restarting…' : label}
      </button>
      {why && (
        <span className="blocked-reason" data-testid="save-restart-blocked" role="status">
          {why}
        </span>
      )}
    </>
  )
}
