#!/usr/bin/env node
// Market data simulator: publishes `data.market.quotes` ticks at RATE per second (random walk
// per symbol), pipelined in 10 ms slices so high rates do not cost one round trip per tick.
//
// Env: REDIS_URL, AGENT_ID (quotes-agent), RATE (50 ticks/s), SYMBOLS (AAPL,MSFT,NVDA,ES,NQ),
// CHANNEL (data.market.quotes), HEARTBEAT_MS (1000).
import { connect, env, envNumber, log, onShutdown, quitAll, startHeartbeat } from './lib/agent-kit.mjs'

const id = env('AGENT_ID', 'quotes-agent')
const channel = env('CHANNEL', 'data.market.quotes')
const symbols = env('SYMBOLS', 'AAPL,MSFT,NVDA,ES,NQ')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
let rate = envNumber('RATE', 50)
const prices = Object.fromEntries(symbols.map((s, i) => [s, 100 + i * 37]))
let sent = 0

const { pub, sub } = connect()
const stopBeat = startHeartbeat(pub, {
  id,
  name: 'Quotes simulator',
  group: 'ingestion',
  intervalMs: envNumber('HEARTBEAT_MS', 1000),
  state: () => ({ status: 'active', step: sent }),
})

const SLICE_MS = 10
let owed = 0
const timer = setInterval(() => {
  owed += (rate * SLICE_MS) / 1000
  const n = Math.floor(owed)
  if (n === 0) return
  owed -= n
  const pipe = pub.pipeline()
  for (let i = 0; i < n; i++) {
    const symbol = symbols[(sent + i) % symbols.length]
    const mid = (prices[symbol] *= 1 + (Math.random() - 0.5) / 1000)
    const spread = mid * 0.0002
    pipe.publish(
      channel,
      JSON.stringify({
        symbol,
        bid: +(mid - spread).toFixed(4),
        ask: +(mid + spread).toFixed(4),
        ts: Date.now(),
        source: id,
      }),
    )
  }
  sent += n
  pipe.exec().catch((err) => log('publish_failed', { message: err.message }))
}, SLICE_MS)

// Rate can be tuned live: agent.<id>.command {type:'tune', params:{rate}}.
sub.on('message', (_ch, raw) => {
  try {
    const cmd = JSON.parse(raw)
    const ok = cmd.type === 'tune' && Number.isFinite(cmd.params?.rate)
    if (ok) rate = cmd.params.rate
    void pub.publish(
      `agent.${id}.ack`,
      JSON.stringify({
        command_id: cmd.command_id,
        ok,
        message: ok ? `rate ${rate}/s` : 'only tune {rate} is supported',
      }),
    )
  } catch {
    /* ignore malformed commands */
  }
})
await sub.subscribe(`agent.${id}.command`)

onShutdown(async () => {
  clearInterval(timer)
  stopBeat()
  log('stopping', { agent_id: id, sent })
  await quitAll(sub, pub)
})
log('ready', { agent_id: id, rate, channel })
