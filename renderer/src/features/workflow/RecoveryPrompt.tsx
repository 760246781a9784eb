import { getClient } from '../../api/client'
import { messageOf } from '../../api/call-error'
import { toast } from '../../store/toasts'
import { useWorkflow, useWorkflowFeed } from './use-workflow'

/** Shown on every tab while an interrupted run has left containers paused. */
export function RecoveryPrompt() {
  useWorkflowFeed()
  const recovery = useWorkflow((s) => s.recovery)
  if (!recovery || recovery.stillPaused.length === 0) return null
  const act = async (action: 'resume' | 'dismiss') => {
    try {
      const r = await getClient().call('workflow.recover', { action })
      if (action === 'resume') {
        const failed = r.resumed.filter((c) => c.outcome !== 'ok' && c.outcome !== 'already' && c.outcome !== 'gone')
        if (failed.length)
          toast.error('Some containers were not resumed', failed.map((f) => `${f.name}${f.error ? `: ${f.error}` : ''}`).join('; '))
        else toast.success(`Resumed ${r.resumed.length} container(s)`)
      }
      const s = await getClient().call('workflow.status', {})
      useWorkflow.getState().set({ recovery: s.recovery })
    } catch (e) {
      toast.error('Recovery failed', messageOf(e))
    }
  }
  return (
    <div className="alert alert-critical" role="alert" data-testid="recovery-prompt">
      <span>
        <strong>Interrupted Save &amp; Restart</strong> (by {recovery.who}, at step “{recovery.phase}”) left{' '}
        {recovery.stillPaused.length} container(s) paused: {recovery.stillPaused.map((c) => c.name).join(', ')}. Config on
        disk: {recovery.config}.
        {(recovery.pausedBefore ?? []).length > 0 && (
          <>
            {' '}
            Left paused as you had them before the run (recovery never resumes those):{' '}
            {(recovery.pausedBefore ?? []).map((c) => c.name).join(', ')}.
          </>
        )}
      </span>
      <button className="primary" onClick={() => void act('resume')}>
        Resume them
      </button>
      <button onClick={() => void act('dismiss')}>Dismiss</button>
    </div>
  )
}
