import { useMonitor } from './monitor-store'

const TOP = 12
const fmtRate = (r: number) => (r >= 100 ? Math.round(r).toLocaleString() : r.toFixed(1))

/** Messages per second overall and per channel; the host refreshes rates once a second. */
export function RatesPanel() {
  const rates = useMonitor((s) => s.rates)
  const channels = rates ? [...rates.channels].sort((a, b) => b.rate - a.rate) : []
  const max = channels[0]?.rate ?? 0
  const shown = channels.slice(0, TOP)
  return (
    <section className="card" aria-labelledby="rates-title" data-testid="rates-panel">
      <div className="row">
        <h2 id="rates-title">Throughput</h2>
        <span className="spacer" />
        <strong data-testid="rate-total">{rates ? fmtRate(rates.total) : '—'}</strong>
        <span className="muted small">msg/s</span>
      </div>
      {shown.length === 0 ? (
        <p className="muted small">No channel has carried a message yet.</p>
      ) : (
        <table className="rates-table">
          <thead>
            <tr>
              <th>Channel</th>
              <th className="num">msg/s</th>
              <th className="num">bad</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((c) => (
              <tr key={c.channel} data-testid="rate-row" data-channel={c.channel}>
                <td className="mono small">
                  <div className="ellipsis" title={`${c.channel}: ${c.count.toLocaleString()} messages, ${Math.round(c.bytes / 1024).toLocaleString()} KiB`}>
                    {c.channel}
                  </div>
                  <div className="rate-bar" style={{ width: `${max > 0 ? Math.max(2, (c.rate / max) * 100) : 0}%` }} />
                </td>
                <td className="num mono small">{fmtRate(c.rate)}</td>
                <td className={`num mono small ${c.malformed > 0 ? 'field-error' : 'muted'}`} title="Malformed messages dropped">
                  {c.malformed}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {channels.length > TOP && <p className="muted small">and {channels.length - TOP} more channel(s)</p>}
    </section>
  )
}
