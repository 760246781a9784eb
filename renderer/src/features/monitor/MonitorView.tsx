/** Placeholder: the Monitor tab is being built. */
export function MonitorView() {
  return <p className="muted">The Monitor tab is not built yet.</p>
}
