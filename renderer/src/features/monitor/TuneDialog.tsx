import { useEffect, useRef, useState } from 'react'
import { parseTuneParams, sendCommand, type ParamRow } from './commands'
import { useMonitor } from './monitor-store'
import { useMonitorUi } from './ui-store'

const blank = (): ParamRow => ({ key: '', value: '' })

/** key = value parameters for a `tune` command; at least one is required before it can be sent. */
export function TuneDialog() {
  const agentId = useMonitorUi((s) => s.tuneFor)
  const close = useMonitorUi((s) => s.closeTune)
  const name = useMonitor((s) => (agentId ? (s.agents.get(agentId)?.name ?? agentId) : ''))
  const ref = useRef<HTMLDialogElement>(null)
  const [rows, setRows] = useState<ParamRow[]>([blank()])
  const [errors, setErrors] = useState<{ error: string; rowErrors: Record<number, string> } | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    const d = ref.current
    if (!d) return
    if (agentId && !d.open) {
      setRows([blank()])
      setErrors(null)
      d.showModal()
    } else if (!agentId && d.open) d.close()
  }, [agentId])

  const update = (i: number, p: Partial<ParamRow>) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...p } : r)))

  const submit = async () => {
    if (!agentId) return
    const parsed = parseTuneParams(rows)
    if (!parsed.ok) {
      setErrors(parsed)
      return
    }
    setErrors(null)
    setBusy(true)
    const c = await sendCommand(agentId, 'tune', parsed.params)
    setBusy(false)
    if (c) close()
  }

  return (
    <dialog ref={ref} className="confirm tune-dialog" aria-labelledby="tune-title" onCancel={close} data-testid="tune-dialog">
      {agentId && (
        <form
          onSubmit={(e) => {
            e.preventDefault()
            void submit()
          }}
        >
          <h2 id="tune-title">Tune {name}</h2>
          <p className="muted small">
            Sends <code>tune</code> with these parameters on <code>agent.{agentId}.command</code>. Values are read as numbers,
            true/false, null or JSON when they look like it, else as text.
          </p>
          {rows.map((r, i) => {
            const err = errors?.rowErrors[i]
            return (
              <div key={i} className="tune-row">
                <label className="field">
                  <span>Parameter</span>
                  <input
                    value={r.key}
                    autoFocus={i === 0}
                    aria-invalid={err ? true : undefined}
                    aria-describedby={err ? `tune-err-${i}` : undefined}
                    onChange={(e) => update(i, { key: e.target.value })}
                    placeholder="rate"
                    data-testid={`tune-key-${i}`}
                  />
                </label>
                <span className="tune-eq" aria-hidden="true">
                  =
                </span>
                <label className="field">
                  <span>Value</span>
                  <input value={r.value} onChange={(e) => update(i, { value: e.target.value })} placeholder="2" data-testid={`tune-value-${i}`} />
                </label>
                <button
                  type="button"
                  className="icon-button"
                  aria-label={`Remove parameter ${i + 1}`}
                  disabled={rows.length === 1}
                  onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))}
                >
                  ×
                </button>
                {err && (
                  <div id={`tune-err-${i}`} className="field-error tune-row-error">
                    {err}
                  </div>
                )}
              </div>
            )
          })}
          <button type="button" className="small" onClick={() => setRows((rs) => [...rs, blank()])} data-testid="tune-add">
            + Add parameter
          </button>
          {errors && (
            <p className="field-error" role="alert" data-testid="tune-error">
              {errors.error}
            </p>
          )}
          <div className="row-end">
            <button type="button" onClick={close}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={busy} data-testid="tune-submit">
              {busy ? 'Sending…' : 'Send tune'}
            </button>
          </div>
        </form>
      )}
    </dialog>
  )
}
