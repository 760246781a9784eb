/**
 * Coalesces high-rate updates into at most one flush per animation frame, so a burst of
 * thousands of bus messages costs one React render, not thousands.
 */
export function createFrameBatcher<T>(flush: (items: T[]) => void): { push(item: T): void; cancel(): void } {
  let items: T[] = []
  let scheduled: number | null = null
  const run = () => {
    scheduled = null
    const batch = items
    items = []
    if (batch.length) flush(batch)
  }
  return {
    push(item) {
      items.push(item)
      scheduled ??= requestAnimationFrame(run)
    },
    cancel() {
      if (scheduled !== null) cancelAnimationFrame(scheduled)
      scheduled = null
      items = []
    },
  }
}
