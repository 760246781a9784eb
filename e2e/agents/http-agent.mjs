#!/usr/bin/env node
// A sample agent that speaks Stackdeck's HTTP agent protocol instead of Redis: it creates a run,
// beats every HEARTBEAT_MS with an increasing step and checkpoint, long-polls for commands, obeys
// pause, resume, terminate and tune, and acknowledges each one. It is the reference for agents in
// other languages: everything it does is plain HTTP + JSON (README, "Runs and HTTP agents").
//
//   STACKDECK_URL=http://127.0.0.1:7420 AGENT_TOKEN=... CREATE_TOKEN=... AGENT_ID=trainer-1 \
//     node e2e/agents/http-agent.mjs
//
// Env:
//   STACKDECK_URL   the host (http://127.0.0.1:7420)
//   AGENT_TOKEN     a token with scope agent for AGENT_ID (beats, pulls, acks); an operate token works too
//   CREATE_TOKEN    an operate token to create the run (default AGENT_TOKEN: then RUN_ID must exist already)
//   CREATE_TOKEN_FILE  or a file holding it, read at each attempt (the demo points it at the host's
//                   <stateDir>/api-token, which exists once the host has started)
//   AGENT_ID        the agent id (http-agent-<pid>); RUN_ID: the run's id (AGENT_ID-run)
//   STRATEGY (mean-revert), VERSION (1.0.0), HEARTBEAT_MS (1000), CHECKPOINT_EVERY (10 steps)
//   POLL_WAIT_S     long-poll seconds per commands/next (25)
//
// Output: one JSON line per event ({"event":"ready",...}, {"event":"command",...}), so tests and
// people can both read it. Exit codes: 0 terminated or stopped, 3 the host refused the token, 1 other.

import { readFileSync } from 'node:fs'

const url = (process.env.STACKDECK_URL ?? 'http://127.0.0.1:7420').replace(/\/+$/, '')
const agentToken = process.env.AGENT_TOKEN ?? ''
const createTokenFile = process.env.CREATE_TOKEN_FILE ?? ''
const createTokenNow = () => (createTokenFile ? readFileSync(createTokenFile, 'utf8').trim() : (process.env.CREATE_TOKEN ?? agentToken))
const agent = process.env.AGENT_ID ?? `http-agent-${process.pid}`
const runId = process.env.RUN_ID ?? `${agent}-run`
const strategy = process.env.STRATEGY ?? 'mean-revert'
const version = process.env.VERSION ?? '1.0.0'
const beatMs = Number(process.env.HEARTBEAT_MS ?? 1000)
const checkpointEvery = Number(process.env.CHECKPOINT_EVERY ?? 10)
const pollWait = Number(process.env.POLL_WAIT_S ?? 25)

const say = (event, fields = {}) => process.stdout.write(`${JSON.stringify({ event, agent, run: runId, ...fields })}\n`)

if (!agentToken) {
  say('error', { message: 'AGENT_TOKEN is not set' })
  process.exit(1)
}

// What the agent is doing; `tune` changes `params`.
const params = { lr: 0.01, lookback: 20 }
let step = 0
let checkpoint = 0
let paused = false
let stopping = false
const aborter = new AbortController()

class Refused extends Error {}

async function call(method, path, { body, token = agentToken, signal } = {}) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: signal ?? aborter.signal,
  })
  const text = await res.text()
  const json = text ? JSON.parse(text) : null
  if (res.status === 401 || res.status === 403) throw new Refused(`${method} ${path}: ${res.status} ${json?.error?.message ?? text}`)
  return { status: res.status, json }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function createRun() {
  // Idempotent by id: after a crash of this agent, the same id answers the same run (200).
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await call('POST', '/api/v1/runs', { token: createTokenNow(), body: { id: runId, agent, strategy, version, overrides: params } })
      if (r.status === 201 || r.status === 200) {
        // Resume from what the host has, so a restarted agent never sends a step backwards.
        step = r.json.run.step ?? 0
        checkpoint = r.json.run.checkpointVersion ?? 0
        return r.json.run
      }
      throw new Error(`create: ${r.status} ${JSON.stringify(r.json?.error ?? r.json)}`)
    } catch (err) {
      if (err instanceof Refused || stopping) throw err
      say('retry', { what: 'create', message: String(err.message ?? err), attempt })
      await sleep(Math.min(5000, 250 * 2 ** attempt))
    }
  }
}

async function beatLoop() {
  while (!stopping) {
    if (!paused) {
      step++
      if (step % checkpointEvery === 0) checkpoint++
    }
    const body = {
      step,
      checkpoint_version: checkpoint,
      status: paused ? 'paused' : 'training',
      metrics: { loss: Number((1 / (1 + step * params.lr)).toFixed(6)), lr: params.lr, lookback: params.lookback },
    }
    try {
      const r = await call('POST', `/api/v1/runs/${encodeURIComponent(runId)}/heartbeat`, { body })
      if (r.status === 409 && /terminated|completed|failed/.test(r.json?.error?.message ?? '')) {
        say('ended', { message: r.json.error.message })
        return shutdown(0)
      }
      if (r.status !== 200) say('beat_refused', { status: r.status, error: r.json?.error })
    } catch (err) {
      if (err instanceof Refused) throw err
      if (!stopping) say('retry', { what: 'heartbeat', message: String(err.message ?? err) })
    }
    await sleep(beatMs)
  }
}

/** Applies one command; answers the ack's {ok, message}. */
function apply(cmd) {
  switch (cmd.type) {
    case 'pause':
      paused = true
      return { ok: true, message: `paused at step ${step}` }
    case 'resume':
      paused = false
      return { ok: true, message: `resumed at step ${step}` }
    case 'terminate':
      return { ok: true, message: `terminating at step ${step}` }
    case 'tune': {
      const changed = []
      for (const [k, v] of Object.entries(cmd.params ?? {})) {
        if (!(k in params)) return { ok: false, message: `unknown parameter ${k} (known: ${Object.keys(params).join(', ')})` }
        if (typeof v !== typeof params[k]) return { ok: false, message: `${k} must be a ${typeof params[k]}` }
      }
      for (const [k, v] of Object.entries(cmd.params ?? {})) {
        params[k] = v
        changed.push(`${k}=${JSON.stringify(v)}`)
      }
      return { ok: true, message: `tuned ${changed.join(' ')}` }
    }
    default:
      return { ok: false, message: `unknown command ${cmd.type}` }
  }
}

async function commandLoop() {
  while (!stopping) {
    try {
      const r = await call('GET', `/api/v1/runs/${encodeURIComponent(runId)}/commands/next?wait=${pollWait}`)
      if (r.status === 204) continue
      if (r.status !== 200) {
        say('poll_refused', { status: r.status, error: r.json?.error })
        await sleep(1000)
        continue
      }
      const cmd = r.json.command
      const result = apply(cmd)
      const ack = await call('POST', `/api/v1/runs/${encodeURIComponent(runId)}/commands/${encodeURIComponent(cmd.id)}/ack`, { body: result })
      say('command', { id: cmd.id, type: cmd.type, params: cmd.params, ok: result.ok, message: result.message, ackStatus: ack.status, state: ack.json?.run?.state })
      if (cmd.type === 'terminate' && result.ok) return shutdown(0)
    } catch (err) {
      if (err instanceof Refused) throw err
      if (stopping) return
      say('retry', { what: 'commands', message: String(err.message ?? err) })
      await sleep(1000)
    }
  }
}

let exitCode = 0
function shutdown(code) {
  if (stopping) return
  stopping = true
  exitCode = code
  aborter.abort()
}

process.on('SIGTERM', () => shutdown(0))
process.on('SIGINT', () => shutdown(0))

try {
  const run = await createRun()
  say('ready', { state: run.state, step, checkpoint_version: checkpoint, url })
  await Promise.all([beatLoop(), commandLoop()])
} catch (err) {
  if (err instanceof Refused) {
    say('refused', { message: err.message })
    exitCode = 3
  } else if (!stopping) {
    say('error', { message: String(err?.stack ?? err) })
    exitCode = 1
  }
  stopping = true
  aborter.abort()
}
say('exit', { code: exitCode, step, checkpoint_version: checkpoint })
process.exit(exitCode)
