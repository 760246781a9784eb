import { plural } from '../../lib/format'
import { getClient } from '../../api/client'
import { messageOf } from '../../api/call-error'
import { toast } from '../../store/toasts'
import { FileProof } from './ContainerChecks'
import { useWorkflow, useWorkflowFeed, type AfterResume } from './use-workflow'
import './workflow.css'

/** After "Resume them" with the new file in place: recovery reloaded and verified; say what it found. */
function AfterResumeNotice({ after }: { after: AfterResume }) {
  const r = after.reload
  const bad = after.containers.filter((c) => !c.ok || c.file?.matches === false)
  const lists: Array<[string, string[]]> = [
    ['reload proved', r.proved],
    ['reload NOT proved', r.notProved],
    ['reload not verifiable', r.unverifiable],
    ['reload deferred', r.deferred],
  ]
  return (
    <div className={`alert ${after.ok ? 'alert-info' : 'alert-warning'} wf-followup`} role={after.ok ? 'status' : 'alert'} data-testid="recovery-after-resume" data-ok={after.ok}>
      <span>
        <strong>{after.ok ? 'Recovered: reloaded and verified.' : 'Recovered, but not everything is confirmed.'}</strong> {after.detail}
        {lists
          .filter(([, names]) => names.length > 0)
          .map(([label, names]) => (
            <span key={label} className="small">
              {' '}
              {label}: {names.join(', ')}.
            </span>
          ))}
        {bad.length > 0 && (
          <ul className="small">
            {bad.map((c) => (
              <li key={`${c.endpoint}/${c.id}`}>
                <span className="mono">{c.name}</span>: {c.ok ? '' : `${c.after} (expected ${c.expected}); `}
                {c.file ? <FileProof c={c} /> : c.note}
              </li>
            ))}
          </ul>
        )}
      </span>
      <button onClick={() => useWorkflow.getState().set({ afterResume: null })}>Dismiss</button>
    </div>
  )
}

/** Shown on every tab while an interrupted run has left containers paused, then what recovery's reload and verify found. */
export function RecoveryPrompt() {
  useWorkflowFeed()
  const recovery = useWorkflow((s) => s.recovery)
  const after = useWorkflow((s) => s.afterResume)
  const act = async (action: 'resume' | 'dismiss') => {
    try {
      const r = await getClient().call('workflow.recover', { action })
      if (action === 'resume') {
        const failed = r.resumed.filter((c) => c.outcome !== 'ok' && c.outcome !== 'already' && c.outcome !== 'gone')
        if (failed.length)
          toast.error('Some containers were not resumed', failed.map((f) => `${f.name}${f.error ? `: ${f.error}` : ''}`).join('; '))
        else toast.success(`Resumed ${plural(r.resumed.length, 'container')} the interrupted run had paused`, r.afterResume?.detail)
        useWorkflow.getState().set({ afterResume: r.afterResume ?? null })
      }
      const s = await getClient().call('workflow.status', {})
      useWorkflow.getState().set({ recovery: s.recovery })
    } catch (e) {
      toast.error('Recovery failed', messageOf(e))
    }
  }
  const prompt =
    recovery && recovery.stillPaused.length > 0 ? (
      <div className="alert alert-critical" role="alert" data-testid="recovery-prompt">
        <span>
          <strong>Interrupted Save &amp; Restart</strong> (by {recovery.who}, at step “{recovery.phase}”) left{' '}
          {plural(recovery.stillPaused.length, 'container')} paused: {recovery.stillPaused.map((c) => c.name).join(', ')}. Config on
          disk: {recovery.config}
          {recovery.backup ? ` (backup ${recovery.backup})` : ''}.
          {recovery.config === 'new' && ' Resuming also sends the reload signals and verifies that every container sees the new file.'}
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
    ) : null
  if (!prompt && !after) return null
  return (
    <>
      {prompt}
      {after && <AfterResumeNotice after={after} />}
    </>
  )
}
