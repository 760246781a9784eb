/**
 * A minimal typed pub/sub used by core modules to publish contract events.
 * Listeners that throw are isolated so one bad subscriber cannot break a core flow.
 */
export type Listener<E extends Record<string, unknown>> = <K extends keyof E & string>(name: K, payload: E[K]) => void

export class EventHub<E extends Record<string, unknown>> {
  private readonly listeners = new Set<Listener<E>>()
  /** Listener failures per event name. A failing listener at batch rate (30/s) must not flood the log. */
  readonly failures = new Map<string, number>()

  emit<K extends keyof E & string>(name: K, payload: E[K]): void {
    for (const l of this.listeners) {
      try {
        l(name, payload)
      } catch (err) {
        const n = (this.failures.get(name) ?? 0) + 1
        this.failures.set(name, n)
        // The first few in full, then one line per 1,000 so a persistent fault stays visible.
        if (n <= 5) console.error(`[event-hub] listener failed on ${name}:`, err)
        else if (n % 1000 === 0) console.error(`[event-hub] listener failed on ${name} ${n} times; latest:`, err)
      }
    }
  }

  /** Subscribe to one event by name, with its payload typed. */
  on<K extends keyof E & string>(name: K, fn: (payload: E[K]) => void): () => void {
    return this.subscribe((n, payload) => {
      if ((n as string) === name) fn(payload as unknown as E[K])
    })
  }

  subscribe(listener: Listener<E>): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
