/** Backups of config.toml: what each would change if restored, and a validated restore. */
import { Fragment } from 'react'
import { ChangeList, UnifiedDiff } from './diff-view'
import { loadBackups, toggleBackupDiff } from './backups'
import { useConfig } from './config-store'
import { restoreBackup } from './config-writes'

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

export function HistoryPanel() {
  const backups = useConfig((s) => s.backups)
  const error = useConfig((s) => s.backupsError)
  const diffs = useConfig((s) => s.backupDiffs)
  const busy = useConfig((s) => s.busy !== null)
  return (
    <section className="card" aria-labelledby="cfg-history-title" data-testid="config-history">
      <div className="row">
        <h3 id="cfg-history-title">History</h3>
        {backups && <span className="muted small">keeps the last {backups.keep} backups</span>}
        <span className="spacer" />
        <button type="button" className="small" onClick={() => void loadBackups()}>
          Refresh
        </button>
      </div>
      {error && <p className="field-error">Cannot list backups: {error}</p>}
      {!backups ? (
        <p className="muted small">Loading…</p>
      ) : backups.backups.length === 0 ? (
        <p className="muted small">No backups yet: the first save creates one.</p>
      ) : (
        <table className="cfg-backups">
          <thead>
            <tr>
              <th scope="col">Backup</th>
              <th scope="col">Time</th>
              <th scope="col">Size</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {backups.backups.map((b) => {
              const d = diffs[b.name]
              return (
                <Fragment key={b.name}>
                  <tr data-testid="backup-row" data-name={b.name}>
                    <td className="mono small cfg-backup-name" title={b.name}>
                      {b.name}
                    </td>
                    <td className="small" title={b.time}>
                      {new Date(b.time).toLocaleString()}
                    </td>
                    <td className="small">{formatBytes(b.size)}</td>
                    <td>
                      <span className="row cfg-nowrap">
                        <button type="button" className="small" aria-expanded={!!d} onClick={() => void toggleBackupDiff(b.name)} aria-label={`Diff ${b.name} against the current file`}>
                          Diff
                        </button>
                        <button type="button" className="small" disabled={busy} onClick={() => void restoreBackup(b.name)} aria-label={`Restore ${b.name}`}>
                          Restore…
                        </button>
                      </span>
                    </td>
                  </tr>
                  {d && (
                    <tr className="cfg-backup-diff">
                      <td colSpan={4}>
                        {d.loading ? (
                          <p className="muted small">Comparing…</p>
                        ) : d.error ? (
                          <p className="field-error">{d.error}</p>
                        ) : d.result ? (
                          <div data-testid="backup-diff">
                            <p className="small">
                              Restoring it would change: <strong>{d.result.diff.summary}</strong>
                              {!d.result.valid && <span className="badge badge-bad">fails the current schema: cannot be restored</span>}
                            </p>
                            <ChangeList changes={d.result.diff.changes} testid="backup-change-list" />
                            <UnifiedDiff unified={d.result.diff.unified} label={`Current file vs ${b.name}`} />
                          </div>
                        ) : null}
                      </td>
                    </tr>
                  )}
                </Fragment>
              )
            })}
          </tbody>
        </table>
      )}
    </section>
  )
}
