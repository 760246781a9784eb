/**
 * A wall clock read once per event-loop turn. Redis delivers hundreds of messages per socket read
 * and ioredis parses them in one synchronous run; reading the clock for each of them cost more
 * than validating it (Date.now() is ~70 ns here, the whole ingest of a quote ~250 ns). All
 * messages of one read get the time the read was processed, which is when they were received,
 * to well within the millisecond the clock resolves.
 *
 * For the real clock only: an injected clock (tests, replays) is used as given, so a test that
 * moves time between two synchronous deliveries still sees it move.
 */
export function turnClock(read: () => number): () => number {
  let cached = -1
  const forget = () => {
    cached = -1
  }
  return () => {
    if (cached < 0) {
      cached = read()
      // Microtasks run when the current turn ends: the next read (next socket chunk) reads anew.
      queueMicrotask(forget)
    }
    return cached
  }
}
