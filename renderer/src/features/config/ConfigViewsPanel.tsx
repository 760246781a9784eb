/**
 * "How the stack sees this file": per container, whether it sees config.toml through a directory
 * (every save reaches it), a single-file mount (keeps the old file), a volume, or not at all; and on
 * demand, whether the bytes it sees match the host file. Plus the banner that warns, before Save &
 * Restart, that a single-file mount will make it refuse.
 */
import { formatTime } from '../../lib/format'
import { ConfigViewBadge, ConfigViewDetail, copyText } from '../stack/ConfigViewBadge'
import { fileCheck, refusedContainers, summarizeViews, viewKey } from '../stack/config-view-badge'
import { checkConfigViews, loadConfigViews, useConfigViews } from '../stack/use-config-views'
import '../stack/config-views.css'
import { useConfig } from './config-store'

export function ConfigViewsPanel() {
  const { report, error, loading, checked, checking, checkError } = useConfigViews()
  const hostHash = useConfig((s) => s.base?.hash ?? null)
  const checks = new Map((checked?.containers ?? []).map((c) => [viewKey(c), c]))
  const stale = checked && hostHash && checked.hostSha256 !== hostHash
  return (
    <section className="card" aria-labelledby="cv-title" data-testid="config-views-panel">
      <h3 id="cv-title">How the stack sees this file</h3>
      {error ? (
        <p className="small field-error" role="status" data-testid="config-views-summary" data-known="false">
          Unknown: {error}{' '}
          <button type="button" className="small" onClick={() => void loadConfigViews()}>
            Retry
          </button>
        </p>
      ) : !report ? (
        <p className="small muted" data-testid="config-views-summary" data-known="false">
          {loading ? 'Asking the engines…' : 'Not known yet.'}
        </p>
      ) : (
        <p className="small" data-testid="config-views-summary" data-known="true">
          {report.containers.length} container{report.containers.length === 1 ? '' : 's'}: {summarizeViews(report)}.
        </p>
      )}
      <div className="row">
        <button type="button" className="small" data-testid="check-config-views" disabled={checking} onClick={() => void checkConfigViews()}>
          {checking ? 'Checking…' : 'Check what each container sees'}
        </button>
        {checked && (
          <span className="small muted" data-testid="config-views-checked-at">
            checked {formatTime(checked.at)}
            {stale ? ' (config.toml has changed since: check again)' : ''}
          </span>
        )}
      </div>
      {checkError && (
        <p className="small field-error" role="alert">
          The check failed: {checkError}
        </p>
      )}
      {report && report.containers.length > 0 && (
        <table className="cv-table small">
          <thead>
            <tr>
              <th scope="col">Container</th>
              <th scope="col">Sees config.toml</th>
              <th scope="col">Bytes</th>
            </tr>
          </thead>
          <tbody>
            {report.containers.map((c) => {
              const k = viewKey(c)
              const got = checks.get(k)
              const verdict = got ? fileCheck(got) : null
              return (
                <tr key={k} data-testid="config-view-entry" data-name={c.name} data-kind={c.view.kind} data-verdict={verdict?.verdict ?? 'not-checked'}>
                  <td className="mono">
                    {c.name}
                    {c.service && <span className="muted"> ({c.service})</span>}
                  </td>
                  <td>
                    <ConfigViewBadge view={c} />
                    {c.view.containerPath && <div className="mono muted">{c.view.containerPath}</div>}
                  </td>
                  <td className={verdict ? `cv-verdict-${verdict.verdict}` : 'muted'} data-testid="config-view-verdict">
                    {verdict ? verdict.text : 'not checked'}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
    </section>
  )
}

/** Before Save & Restart: a single-file mount with config.singleFileMounts = refuse means the run will be refused. */
export function SingleFileBanner() {
  const report = useConfigViews((s) => s.report)
  const refused = refusedContainers(report)
  const inPlace = report?.singleFileMounts === 'write-in-place' ? report.containers.filter((c) => c.view.kind === 'file') : []
  if (inPlace.length > 0)
    return (
      <div className="cv-banner small" role="status" data-testid="single-file-in-place">
        <p>
          {inPlace.map((c) => c.name).join(', ')} bind-mount{inPlace.length === 1 ? 's' : ''} config.toml itself. With config.singleFileMounts =
          write-in-place, Save &amp; Restart rewrites the file in place for {inPlace.length === 1 ? 'it' : 'them'}: backed up first, but not crash-atomic,
          and always with the stack paused.
        </p>
      </div>
    )
  if (refused.length === 0) return null
  return (
    <div className="cv-banner small" role="alert" data-testid="single-file-refusal">
      <p>
        <strong>Save &amp; Restart will be refused:</strong> {refused.length} container{refused.length === 1 ? '' : 's'} bind-mount
        {refused.length === 1 ? 's' : ''} config.toml as a single file ({refused.map((c) => c.name).join(', ')}). After an atomic save{' '}
        {refused.length === 1 ? 'it' : 'they'} would keep reading the old file, because the mount is pinned to the old inode.
      </p>
      <p>Fix: mount the directory instead, then recreate the container (docker compose up -d).</p>
      {refused.map((c) =>
        c.refusal ? (
          <div key={viewKey(c)} data-testid="refusal-fix" data-name={c.name}>
            <span className="mono">{c.name}</span>: replace
            <pre className="cv-line">{c.refusal.fix.replace}</pre>
            with
            <div className="row">
              <pre className="cv-line">{c.refusal.fix.with}</pre>
              <button type="button" className="small" onClick={() => void copyText(c.refusal?.fix.with ?? '', 'Compose line')}>
                Copy
              </button>
            </div>
          </div>
        ) : (
          <ConfigViewDetail key={viewKey(c)} view={c} />
        ),
      )}
      <p className="muted">
        Or set <span className="mono">config.singleFileMounts = &quot;write-in-place&quot;</span> in the settings: the file is then rewritten in place (backed up
        first, not crash-atomic).
      </p>
    </div>
  )
}
