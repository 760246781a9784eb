// Load for bench/ui-monitor-bench.ts, in its own process so publishing never competes with the
// measured page inside one event loop. AGENTS agents beat at 1 Hz, spread evenly over the second,
// plus EVENTS_PER_S market events; both are paced by the wall clock (a late timer catches up on
// the next tick instead of silently lowering the rate) and pipelined every TICK_MS.
//
// The first PROBES agents are the probes: their heartbeat `name` carries the publish time in ms
// ("probe 0003 @1732320000123"), which the page reads back from the grid row's text to measure
// heartbeat-to-grid latency with a MutationObserver; `timestamp` carries the same instant.
//
// Every second a JSON line on stdout says what was really sent: {"beats":n,"events":n,"dropped":n}.
import { Redis } from 'ioredis'

const url = process.env.REDIS_URL
const agents = Number(process.env.AGENTS ?? 1000)
const eventsPerS = Number(process.env.EVENTS_PER_S ?? 10000)
const probes = Math.min(agents, Number(process.env.PROBES ?? 10))
const prefix = process.env.AGENT_PREFIX ?? 'bench'
const TICK_MS = 10
/** Pipelines still waiting for Redis beyond this are not added to: the rate we report is what went out. */
const MAX_INFLIGHT = 20
const GROUPS = ['ingestion', 'signals', 'execution', 'orchestration']
const SYMBOLS = ['ES', 'NQ', 'AAPL', 'MSFT', 'NVDA', 'TSLA', 'CL', 'GC']

const agentId = (i) => `${prefix}-${String(i).padStart(4, '0')}`

const redis = new Redis(url, { maxRetriesPerRequest: null, connectionName: 'ui-bench-publisher' })
redis.on('error', (err) => process.stderr.write(`[publisher] redis: ${err.message}\n`))

const ids = Array.from({ length: agents }, (_, i) => agentId(i))
const steps = new Array(agents).fill(0)
const start = Date.now()
let beatCursor = 0 // beats due so far (all agents), by the clock
let eventCursor = 0
let beats = 0
let events = 0
let dropped = 0
let inflight = 0

function tick() {
  const now = Date.now()
  const elapsed = now - start
  const beatsDue = Math.floor((elapsed * agents) / 1000)
  const eventsDue = Math.floor((elapsed * eventsPerS) / 1000)
  if (inflight >= MAX_INFLIGHT) {
    // Redis (or this process) is behind: skip this tick's share rather than queue without bound.
    dropped += beatsDue - beatCursor + (eventsDue - eventCursor)
    beatCursor = beatsDue
    eventCursor = eventsDue
    return
  }
  const p = redis.pipeline()
  for (; beatCursor < beatsDue; beatCursor++) {
    const i = beatCursor % agents
    steps[i]++
    const id = ids[i]
    p.publish(
      `heartbeat.${id}`,
      JSON.stringify({
        agent_id: id,
        name: i < probes ? `probe ${String(i).padStart(4, '0')} @${now}` : `Bench agent ${i}`,
        group: GROUPS[i % GROUPS.length],
        status: 'active',
        timestamp: new Date(now).toISOString(),
        step: steps[i],
      }),
    )
    beats++
  }
  for (; eventCursor < eventsDue; eventCursor++) {
    const s = SYMBOLS[eventCursor % SYMBOLS.length]
    p.publish(
      `data.market.${s}`,
      JSON.stringify({ symbol: s, bid: 100 + Math.random(), ask: 100.1 + Math.random(), ts: now, seq: eventCursor, source: `${prefix}-quotes` }),
    )
    events++
  }
  if (p.length === 0) return
  inflight++
  p.exec()
    .catch((err) => process.stderr.write(`[publisher] pipeline: ${err.message}\n`))
    .finally(() => inflight--)
}

const timer = setInterval(tick, TICK_MS)
const report = setInterval(() => {
  process.stdout.write(`${JSON.stringify({ at: Date.now(), beats, events, dropped })}\n`)
}, 1000)

function stop() {
  clearInterval(timer)
  clearInterval(report)
  process.stdout.write(`${JSON.stringify({ at: Date.now(), beats, events, dropped, final: true })}\n`)
  redis.disconnect()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
