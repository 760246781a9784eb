#!/usr/bin/env node
// Start a small trading-agent fleet against REDIS_URL (used by `npm run demo`):
// two execution agents (one never acknowledges the killswitch, to show Docker-level pausing),
// a signals agent, the quotes simulator and the regime detector; with HTTP_AGENT_TOKEN also the
// HTTP agent (http-agent.mjs, HTTP_AGENT_ID, HTTP_AGENT_CREATE_TOKEN_FILE). Ctrl-C stops them all.
//
// Env: REDIS_URL, QUOTES_RATE (200 ticks/s), plus anything the agents read (passed through).
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const fleet = [
  {
    script: 'dev-agent.mjs',
    env: { AGENT_ID: 'exec-1', AGENT_NAME: 'Execution 1', AGENT_GROUP: 'execution' },
  },
  {
    script: 'dev-agent.mjs',
    env: {
      AGENT_ID: 'exec-2',
      AGENT_NAME: 'Execution 2 (never acks)',
      AGENT_GROUP: 'execution',
      KILLSWITCH_ACK: '0',
    },
  },
  {
    script: 'dev-agent.mjs',
    env: { AGENT_ID: 'signals-1', AGENT_NAME: 'Signals 1', AGENT_GROUP: 'signals', RATE: '2' },
  },
  { script: 'quotes-agent.mjs', env: { AGENT_ID: 'quotes-agent', RATE: process.env.QUOTES_RATE ?? '200' } },
  { script: 'regime-detector.mjs', env: { AGENT_ID: 'regime-detector' } },
]
// With an agent token, one agent that speaks HTTP instead of Redis, beside them in the same grid.
if (process.env.HTTP_AGENT_TOKEN) {
  fleet.push({
    script: 'http-agent.mjs',
    env: {
      AGENT_ID: process.env.HTTP_AGENT_ID ?? 'trainer-1',
      AGENT_TOKEN: process.env.HTTP_AGENT_TOKEN,
      ...(process.env.HTTP_AGENT_CREATE_TOKEN_FILE ? { CREATE_TOKEN_FILE: process.env.HTTP_AGENT_CREATE_TOKEN_FILE } : {}),
    },
  })
}

const children = fleet.map(({ script, env }) => {
  const tag = env.AGENT_ID
  const child = spawn(process.execPath, [join(here, script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const prefix = (stream, out) => {
    let buf = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk) => {
      buf += chunk
      let nl
      while ((nl = buf.indexOf('\n')) !== -1) {
        out.write(`[${tag}] ${buf.slice(0, nl)}\n`)
        buf = buf.slice(nl + 1)
      }
    })
  }
  prefix(child.stdout, process.stdout)
  prefix(child.stderr, process.stderr)
  child.on('exit', (code, signal) => process.stdout.write(`[${tag}] exited (${signal ?? code})\n`))
  return child
})

let stopping = false
const stop = (signal) => {
  if (stopping) return
  stopping = true
  for (const c of children) if (c.exitCode === null) c.kill(signal)
}
process.on('SIGINT', () => stop('SIGINT'))
process.on('SIGTERM', () => stop('SIGTERM'))

await Promise.all(
  children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve() : c.on('exit', resolve)))),
)
process.exit(0)
