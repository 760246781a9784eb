// Shared plumbing for the sample agents: env parsing, two Redis connections (a subscriber cannot
// publish), heartbeats, one-line JSON logs and clean shutdown. Plain Node ESM, no build step.
import { hostname } from 'node:os'
import { Redis } from 'ioredis'

export function env(name, fallback) {
  const v = process.env[name]
  return v === undefined || v === '' ? fallback : v
}

export function envNumber(name, fallback) {
  const n = Number(env(name, String(fallback)))
  return Number.isFinite(n) ? n : fallback
}

export function log(event, fields = {}) {
  process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), event, ...fields })}\n`)
}

export function connect(url = env('REDIS_URL', 'redis://127.0.0.1:6379')) {
  const opts = { maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(2000, 100 * 2 ** n) }
  const pub = new Redis(url, { ...opts, connectionName: 'agent-pub' })
  const sub = new Redis(url, { ...opts, connectionName: 'agent-sub' })
  for (const c of [pub, sub]) c.on('error', (err) => log('redis_error', { message: err.message }))
  return { pub, sub }
}

/**
 * Beat on `heartbeat.<id>` every `intervalMs`. `state()` supplies the live fields (status, step,
 * checkpoint_version) so the agent decides what it reports.
 */
export function startHeartbeat(pub, { id, name, group, intervalMs, state }) {
  const beat = () => {
    const payload = {
      agent_id: id,
      name,
      group,
      timestamp: new Date().toISOString(),
      hostname: hostname(),
      ...state(),
    }
    pub
      .publish(`heartbeat.${id}`, JSON.stringify(payload))
      .catch((err) => log('heartbeat_failed', { message: err.message }))
  }
  beat()
  const timer = setInterval(beat, intervalMs)
  return () => clearInterval(timer)
}

/** Run `cleanup` once on SIGINT/SIGTERM (or when called), then exit with `code`. */
export function onShutdown(cleanup) {
  let done = false
  const stop = async (code = 0) => {
    if (done) return
    done = true
    try {
      await cleanup()
    } finally {
      process.exit(code)
    }
  }
  process.on('SIGINT', () => void stop(0))
  process.on('SIGTERM', () => void stop(0))
  return stop
}

export async function quitAll(...conns) {
  await Promise.allSettled(conns.map((c) => c.quit()))
}
