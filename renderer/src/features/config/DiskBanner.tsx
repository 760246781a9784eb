/** config.toml changed under us (an editor, git, another host or a refused save): show what changed and let the trader choose. */
import { formatTime } from '../../lib/format'
import { ChangeList, UnifiedDiff } from './diff-view'
import { isDirty, useConfig } from './config-store'
import { keepEditing, loadNewFile } from './disk-notice'

const TITLE = {
  changed: 'config.toml changed on disk',
  conflict: 'Save refused: config.toml changed on disk since you loaded it',
  run: 'config.toml was rewritten by another Save & Restart',
} as const

export function DiskBanner() {
  const notice = useConfig((s) => s.notice)
  const dirty = useConfig((s) => isDirty(s))
  if (!notice) return null
  const short = notice.disk.hash.slice(0, 12)
  if (notice.kept) {
    return (
      <div className="cfg-banner cfg-banner-kept" role="status" data-testid="disk-banner" data-kept="true">
        <span>
          <strong>Editing an outdated copy.</strong> config.toml on disk is now <span className="mono">{short}</span>; saving will be refused as a conflict
          until you load the new file.
        </span>
        <span className="spacer" />
        <button type="button" className="small" onClick={() => void loadNewFile()} data-testid="disk-load">
          Load the new file
        </button>
      </div>
    )
  }
  return (
    <section className="cfg-banner" role="alert" aria-labelledby="cfg-banner-title" data-testid="disk-banner" data-reason={notice.reason}>
      <div className="row">
        <strong id="cfg-banner-title">{TITLE[notice.reason]}</strong>
        <span className="muted small">
          now <span className="mono">{short}</span>, modified {formatTime(notice.disk.mtime)}
        </span>
        {!notice.disk.valid && <span className="badge badge-bad">the new file is invalid</span>}
      </div>
      {notice.message && <p className="small">{notice.message}</p>}
      {notice.diff ? (
        <details open={notice.diff.changes.length <= 8}>
          <summary>What changed on disk ({notice.diff.summary})</summary>
          <ChangeList changes={notice.diff.changes} testid="disk-change-list" />
          <UnifiedDiff unified={notice.diff.unified} label="Changes on disk" />
        </details>
      ) : (
        <p className="muted small">The difference could not be computed.</p>
      )}
      <div className="row">
        <button type="button" className="primary" onClick={() => void loadNewFile()} data-testid="disk-load">
          Load the new file{dirty ? ' (discard my edits)' : ''}
        </button>
        <button type="button" onClick={keepEditing} data-testid="disk-keep">
          Keep editing
        </button>
        <span className="muted small">
          Keep editing keeps your edits, but the next save is refused as a conflict until you load the new file.
        </span>
      </div>
    </section>
  )
}
