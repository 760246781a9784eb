/** Placeholder: the Config tab is being built. */
export function ConfigView() {
  return <p className="muted">The Config tab is not built yet.</p>
}
