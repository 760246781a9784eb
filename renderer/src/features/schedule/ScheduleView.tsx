/** Placeholder: the Scheduler tab is being built. */
export function ScheduleView() {
  return <p className="muted">The Scheduler tab is not built yet.</p>
}
