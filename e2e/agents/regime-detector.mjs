#!/usr/bin/env node
// Regime detector simulator: publishes `quant.regime.state` {regime, confidence, at, source}
// every PERIOD_MS, moving between regimes like a sticky Markov chain.
//
// Env: REDIS_URL, AGENT_ID (regime-detector), PERIOD_MS (5000), HEARTBEAT_MS (1000).
import { connect, env, envNumber, log, onShutdown, quitAll, startHeartbeat } from './lib/agent-kit.mjs'

const id = env('AGENT_ID', 'regime-detector')
const REGIMES = ['trending', 'mean-reverting', 'volatile']
let regime = REGIMES[0]
let published = 0

const { pub, sub } = connect()
const stopBeat = startHeartbeat(pub, {
  id,
  name: 'Regime detector',
  group: 'signals',
  intervalMs: envNumber('HEARTBEAT_MS', 1000),
  state: () => ({ status: 'active', step: published }),
})

function detect() {
  if (Math.random() < 0.25) regime = REGIMES[Math.floor(Math.random() * REGIMES.length)]
  const state = {
    regime,
    confidence: Math.round((0.55 + Math.random() * 0.44) * 100) / 100,
    at: new Date().toISOString(),
    source: id,
  }
  published++
  pub
    .publish('quant.regime.state', JSON.stringify(state))
    .catch((err) => log('publish_failed', { message: err.message }))
}
detect()
const timer = setInterval(detect, envNumber('PERIOD_MS', 5000))

onShutdown(async () => {
  clearInterval(timer)
  stopBeat()
  log('stopping', { agent_id: id, published })
  await quitAll(sub, pub)
})
log('ready', { agent_id: id })
