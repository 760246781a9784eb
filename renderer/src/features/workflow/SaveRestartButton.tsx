import type { OpInput } from '@contract'
import { confirmAction } from '../../store/confirm'
import { saveAndRestart, useWorkflow } from './use-workflow'

interface Props {
  /** Builds the request at click time; returns null when there is nothing valid to save. */
  build: () => OpInput<'workflow.saveAndRestart'> | null
  disabled?: boolean
  disabledReason?: string
  label?: string
  /** A one-line description of what will change, shown in the confirmation. */
  describe: () => string
}

/** The button traders press most: confirm, then run, and stay disabled while any run is in flight. */
export function SaveRestartButton({ build, disabled, disabledReason, label = 'Save & Restart', describe }: Props) {
  const running = useWorkflow((s) => s.running)
  const off = disabled || running
  return (
    <button
      className="primary"
      data-testid="save-restart"
      disabled={off}
      title={running ? 'A Save & Restart run is in progress' : disabled ? disabledReason : 'Pause, write, unpause, reload, verify'}
      onClick={() =>
        void (async () => {
          const input = build()
          if (!input) return
          const ok = await confirmAction({
            title: 'Save & Restart?',
            message: `${describe()} The stack is paused while config.toml is backed up and written, then resumed and told to reload.`,
            confirmLabel: 'Save & Restart',
          })
          if (ok.ok) await saveAndRestart(input)
        })()
      }
    >
      {running ? 'Saving & restarting…' : label}
    </button>
  )
}
