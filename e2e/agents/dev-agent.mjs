#!/usr/bin/env node
// A development agent: heartbeats with an increasing step, publishes mock strategy signals,
// obeys pause/resume/terminate/tune commands with acks, and acknowledges killswitch requests.
//
//   REDIS_URL=redis://127.0.0.1:6379 AGENT_ID=exec-1 AGENT_GROUP=execution node e2e/agents/dev-agent.mjs
//
// Env: REDIS_URL, AGENT_ID, AGENT_NAME, AGENT_GROUP (ingestion|signals|execution|orchestration),
// HEARTBEAT_MS (1000), RATE (signals/s, 0.5), STEP_START (0), CHECKPOINT (0),
// KILLSWITCH_ACK (1; 0 simulates an agent that never answers), KILLSWITCH_CHANNEL (risk.killswitch),
// KILLSWITCH_ACK_CHANNEL (risk.killswitch.ack), COMMAND_PREFIX (agent.).
import { connect, env, envNumber, log, onShutdown, quitAll, startHeartbeat } from './lib/agent-kit.mjs'

const id = env('AGENT_ID', `dev-agent-${process.pid}`)
const name = env('AGENT_NAME', `Development agent ${id}`)
const group = env('AGENT_GROUP', 'execution')
const ksChannel = env('KILLSWITCH_CHANNEL', 'risk.killswitch')
const ksAckChannel = env('KILLSWITCH_ACK_CHANNEL', 'risk.killswitch.ack')
const prefix = env('COMMAND_PREFIX', 'agent.')
const commandChannel = `${prefix}${id}.command`
const ackChannel = `${prefix}${id}.ack`
const acksKillswitch = env('KILLSWITCH_ACK', '1') !== '0'

const config = { rate: envNumber('RATE', 0.5), symbols: ['AAPL', 'MSFT', 'NVDA', 'ES', 'NQ'] }
let step = envNumber('STEP_START', 0)
let checkpoint = envNumber('CHECKPOINT', 0)
let paused = false
let halted = false

const { pub, sub } = connect()

const stopBeat = startHeartbeat(pub, {
  id,
  name,
  group,
  intervalMs: envNumber('HEARTBEAT_MS', 1000),
  state: () => {
    if (!paused && !halted) step++
    if (step % 50 === 0) checkpoint++
    return { status: halted ? 'halted' : paused ? 'paused' : 'active', step, checkpoint_version: checkpoint }
  },
})

let signalTimer = null
function scheduleSignals() {
  clearTimeout(signalTimer)
  if (!(config.rate > 0)) return
  signalTimer = setTimeout(() => {
    if (!paused && !halted) {
      const symbol = config.symbols[Math.floor(Math.random() * config.symbols.length)]
      const signal = {
        symbol,
        action: Math.random() < 0.5 ? 'BUY' : 'SELL',
        confidence: Math.round(Math.random() * 100) / 100,
        source: id,
      }
      pub.publish('strategy.candidate', JSON.stringify(signal)).catch(() => undefined)
    }
    scheduleSignals()
  }, 1000 / config.rate)
}
scheduleSignals()

const ack = (command_id, ok, message) => pub.publish(ackChannel, JSON.stringify({ command_id, ok, message }))

async function onCommand(raw) {
  let cmd
  try {
    cmd = JSON.parse(raw)
  } catch {
    return log('bad_command', { raw: raw.slice(0, 200) })
  }
  const { command_id, type, params = {} } = cmd
  log('command', { command_id, type, params })
  switch (type) {
    case 'pause':
      paused = true
      return ack(command_id, true, 'paused')
    case 'resume':
      paused = false
      return ack(command_id, true, 'resumed')
    case 'tune': {
      const keys = Object.keys(params)
      if (keys.length === 0) return ack(command_id, false, 'tune needs parameters')
      Object.assign(config, params)
      scheduleSignals()
      return ack(command_id, true, `tuned ${keys.join(', ')}`)
    }
    case 'terminate':
      await ack(command_id, true, 'terminating')
      return shutdown(0)
    default:
      return ack(command_id, false, `unknown command ${type}`)
  }
}

async function onKillswitch(raw) {
  let msg
  try {
    msg = JSON.parse(raw)
  } catch {
    return
  }
  if (msg.engaged === true) {
    halted = true
    log('killswitch', { engaged: true, request_id: msg.request_id, acking: acksKillswitch })
    if (acksKillswitch && msg.request_id) {
      await pub.publish(
        msg.ack_channel || ksAckChannel,
        JSON.stringify({ agent_id: id, request_id: msg.request_id }),
      )
    }
  } else if (msg.engaged === false) {
    halted = false
    log('killswitch', { engaged: false })
  }
}

sub.on('message', (channel, message) => {
  if (channel === commandChannel) void onCommand(message)
  else if (channel === ksChannel) void onKillswitch(message)
})

const shutdown = onShutdown(async () => {
  stopBeat()
  clearTimeout(signalTimer)
  log('stopping', { agent_id: id })
  await quitAll(sub, pub)
})

await sub.subscribe(commandChannel, ksChannel)
log('ready', { agent_id: id, group, commandChannel })
