/** Placeholder: the Audit tab is being built. */
export function AuditView() {
  return <p className="muted">The Audit tab is not built yet.</p>
}
