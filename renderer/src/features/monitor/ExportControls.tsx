import { useRef, useState } from 'react'
import { getClient } from '../../api/client'
import { messageOf } from '../../api/call-error'
import { downloadText } from '../../lib/download'
import { EXPORT_MIME, exportFileName, toCsv, toJsonLines, type ExportFormat, type ExportRow } from '../../lib/export-format'
import { toast } from '../../store/toasts'
import { fetchWholeRange, liveRow, storedRow } from './export-rows'
import { useHistory } from './history-store'
import { useMonitor } from './monitor-store'
import { EXPORT_CAP, RANGE_LABELS } from './time-range'

type Scope = 'shown' | 'range'

function save(rows: ExportRow[], format: ExportFormat, what: string): void {
  downloadText(exportFileName(what, format), format === 'csv' ? toCsv(rows) : toJsonLines(rows), EXPORT_MIME[format])
}

/**
 * Export to CSV or JSON Lines: what the list shows (the live buffer with its filter, or the stored
 * rows loaded so far), or, for a stored range, the whole range paged from the store up to a stated cap.
 */
export function ExportControls() {
  const range = useHistory((s) => s.range)
  const loaded = useHistory((s) => s.events.length)
  const [scope, setScope] = useState<Scope>('shown')
  const [progress, setProgress] = useState<number | null>(null)
  const cancel = useRef(false)
  const effectiveScope: Scope = range ? scope : 'shown'
  const what = range ? (range.label ?? RANGE_LABELS[range.choice]) : 'live'

  const run = async (format: ExportFormat) => {
    if (effectiveScope === 'shown') {
      const rows = range ? useHistory.getState().events.map(storedRow) : (useMonitor.getState().view ?? useMonitor.getState().events).toArray().map(liveRow)
      save(rows, format, what)
      toast.success(`Exported ${rows.length.toLocaleString()} event${rows.length === 1 ? '' : 's'} (${format.toUpperCase()})`, range ? 'The stored rows loaded in the list.' : 'The live buffer as shown, filters applied.')
      return
    }
    if (!range) return
    cancel.current = false
    setProgress(0)
    try {
      const r = await fetchWholeRange(getClient(), range, useHistory.getState().queried ?? useMonitor.getState().filter, {
        onProgress: setProgress,
        cancelled: () => cancel.current,
      })
      if (r.cancelled) {
        toast.info('Export cancelled', `${r.rows.length.toLocaleString()} events had been read; nothing was saved.`)
        return
      }
      save(r.rows, format, what)
      if (r.capped) toast.warning(`Exported the first ${EXPORT_CAP.toLocaleString()} events only`, `The range holds more than the export cap of ${EXPORT_CAP.toLocaleString()}; narrow the range or the filters to export the rest.`, true)
      else toast.success(`Exported ${r.rows.length.toLocaleString()} stored events (${format.toUpperCase()})`, 'The whole range, oldest first.')
    } catch (e) {
      toast.error('Export failed: could not read the stored range (history.events)', messageOf(e))
    } finally {
      setProgress(null)
    }
  }

  return (
    <span className="row small export-controls" role="group" aria-label="Export events">
      {range && (
        <select value={scope} onChange={(e) => setScope(e.target.value as Scope)} aria-label="What to export" data-testid="export-scope" disabled={progress !== null}>
          <option value="shown">Export the {loaded.toLocaleString()} loaded</option>
          <option value="range">Export the whole range (≤ {EXPORT_CAP.toLocaleString()})</option>
        </select>
      )}
      <button className="small" onClick={() => void run('csv')} disabled={progress !== null} data-testid="export-csv" title="Download as CSV">
        CSV
      </button>
      <button className="small" onClick={() => void run('jsonl')} disabled={progress !== null} data-testid="export-jsonl" title="Download as JSON Lines">
        JSONL
      </button>
      {progress !== null && (
        <span className="row small" role="status" data-testid="export-progress">
          <progress max={EXPORT_CAP} value={progress} aria-label="Export progress" />
          {progress.toLocaleString()} read (cap {EXPORT_CAP.toLocaleString()})
          <button className="small" onClick={() => (cancel.current = true)} data-testid="export-cancel">
            Cancel
          </button>
        </span>
      )}
    </span>
  )
}
