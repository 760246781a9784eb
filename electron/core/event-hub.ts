/**
 * A minimal typed pub/sub used by core modules to publish contract events.
 * Listeners that throw are isolated so one bad subscriber cannot break a core flow.
 */
export type Listener<E extends Record<string, unknown>> = <K extends keyof E & string>(name: K, payload: E[K]) => void

export class EventHub<E extends Record<string, unknown>> {
  private readonly listeners = new Set<Listener<E>>()

  emit<K extends keyof E & string>(name: K, payload: E[K]): void {
    for (const l of this.listeners) {
      try {
        l(name, payload)
      } catch (err) {
        console.error(`[event-hub] listener failed on ${name}:`, err)
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
