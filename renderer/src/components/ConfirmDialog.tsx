import { useEffect, useRef, useState } from 'react'
import { useConfirm } from '../store/confirm'

/** A native modal <dialog>: focus is trapped, Escape cancels, and the safe choice has focus first. */
export function ConfirmDialog() {
  const { request, settle } = useConfirm()
  const ref = useRef<HTMLDialogElement>(null)
  const [reason, setReason] = useState('')

  useEffect(() => {
    const d = ref.current
    if (!d) return
    if (request && !d.open) {
      setReason('')
      d.showModal()
    } else if (!request && d.open) d.close()
  }, [request])

  const needsReason = !!request?.reasonLabel
  const canConfirm = !needsReason || reason.trim().length > 0
  return (
    <dialog
      ref={ref}
      className="confirm"
      aria-labelledby="confirm-title"
      onCancel={() => settle(false)}
      data-testid="confirm-dialog"
    >
      {request && (
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault()
            if (canConfirm) settle(true, reason.trim())
          }}
        >
          <h2 id="confirm-title">{request.title}</h2>
          <p>{request.message}</p>
          {needsReason && (
            <label className="field">
              <span>{request.reasonLabel}</span>
              <input
                autoFocus
                value={reason}
                onChange={(e) => setReason(e.target.value)}
                data-testid="confirm-reason"
              />
            </label>
          )}
          <div className="row-end">
            <button type="button" autoFocus={!needsReason} onClick={() => settle(false)}>
              Cancel
            </button>
            <button
              type="submit"
              className={request.danger ? 'danger' : 'primary'}
              disabled={!canConfirm}
              data-testid="confirm-ok"
            >
              {request.confirmLabel}
            </button>
          </div>
        </form>
      )}
    </dialog>
  )
}
