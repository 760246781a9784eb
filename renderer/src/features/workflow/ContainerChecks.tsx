import type { RunReport } from './use-workflow'

type Check = NonNullable<RunReport['containers']>[number]

const RELOAD: Record<Check['reload'], string> = {
  proved: 'reload proved',
  not_proved: 'no reload evidence',
  unverifiable: 'reload not verifiable',
  signalled: 'reload signal sent',
  deferred: 'reload deferred',
  not_sent: 'no reload signal sent',
}

/** The file proof: ✓ same bytes, ✗ different, ? not read; the note says how (archive, exec) and why. */
export function FileProof({ c }: { c: Check }) {
  const f = c.file
  if (!f) return <span className="muted">—</span>
  const mark = f.matches === true ? '✓' : f.matches === false ? '✗' : '?'
  const cls = f.matches === true ? 'wf-proof-match' : f.matches === false ? 'wf-proof-differs' : 'muted'
  return (
    <span className={cls} data-testid="file-proof" data-matches={String(f.matches)} data-via={f.via} title={f.sha256 ? `sha256 ${f.sha256}` : undefined}>
      <span aria-hidden>{mark} </span>
      {f.note}
    </span>
  )
}

const who = (c: Check) => (c.pausedByRun ? 'paused by this run' : 'paused by the trader')
const want = (c: Check) => (c.pausedByRun ? 'running again' : 'left paused')

/**
 * Per container, in plain words: what the run found, what it did, what the engine says now. A
 * container the trader had paused is listed first: it is the one a trader must not be surprised by.
 */
export function ContainerChecks({ report }: { report: RunReport }) {
  const checks = report.containers ?? []
  const held = checks.filter((c) => !c.pausedByRun)
  const wrong = checks.filter((c) => !c.ok)
  const stale = checks.filter((c) => c.file?.matches === false)
  if (checks.length === 0) return null
  const rows = [...held, ...checks.filter((c) => c.pausedByRun)]
  return (
    <div data-testid="container-checks">
      {held.length > 0 && (
        <p className="small" data-testid="held-summary">
          <strong>Left paused as you had them:</strong> {held.map((c) => c.name).join(', ')}. Save &amp; Restart did not
          pause, signal or resume them, so they have <strong>not</strong> re-read config.toml yet: after you resume them,
          send their reload signal (Stack tab → Signal) or restart them.
        </p>
      )}
      {wrong.length > 0 && (
        <p className="small field-error" role="alert">
          Not as expected: {wrong.map((c) => `${c.name} is ${c.after} (should be ${c.expected})`).join('; ')}.
        </p>
      )}
      {stale.length > 0 && (
        <p className="small field-error" role="alert" data-testid="file-mismatch">
          Not seeing the new file: {stale.map((c) => `${c.name} (${c.file?.note ?? 'different bytes'})`).join('; ')}.
        </p>
      )}
      <details open={held.length > 0 || wrong.length > 0 || stale.length > 0}>
        <summary>
          Containers ({checks.length}): {checks.length - held.length} paused and resumed by this run
          {held.length > 0 ? `, ${held.length} left paused` : ''}
        </summary>
        <table>
          <thead>
            <tr>
              <th>Container</th>
              <th>Service</th>
              <th>Before</th>
              <th>Now</th>
              <th>Reload</th>
              <th>File</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={`${c.endpoint}/${c.id}`} data-testid={`check-${c.name}`} data-ok={c.ok} title={c.note}>
                <td className="mono small">{c.name}</td>
                <td className="small">{c.service}</td>
                <td className="small">{who(c)}</td>
                <td className={`small${c.ok ? '' : ' field-error'}`}>{c.ok ? want(c) : `${c.after} (expected ${c.expected})`}</td>
                <td className="small">{RELOAD[c.reload]}</td>
                <td className="small">
                  <FileProof c={c} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  )
}
