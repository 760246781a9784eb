import type { StepReport } from './use-workflow'

export const STEP_LABELS: Record<StepReport['step'], string> = {
  validate: 'Validate',
  pause: 'Pause stack',
  write: 'Back up & write',
  unpause: 'Unpause',
  reload: 'Send reload signals',
  verify: 'Verify reload',
}
