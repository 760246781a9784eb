import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import type { Browser, Page } from '@playwright/test'
import { AppShell, expect, MonitorPage, test } from './pages'
import { Redis } from 'ioredis'
import { startHostProcess, type RunningHost } from '../test-support/host-process'
import { hasTestDocker } from '../test-support/docker-fixtures'
import { testSettings } from '../test-support/test-settings'

// The header as the truth line, against a real host, a real Redis this spec owns (so it can stop
// and start it), the real CLI and two browser tabs. Nothing here is mocked.
const ROOT = resolve(import.meta.dirname, '..')
const ZONE = 'Asia/Tokyo' // no DST: "now ± 1h" is unambiguous whatever the date
const TRADING_KEY = 'stackdeck:trading_enabled'
const run = `truth-${Math.random().toString(36).slice(2, 8)}`
const exec = promisify(execFile)

let dir: string
let redisPort: number
let apiPort: number
let redisProc: ChildProcess | null = null
let host: RunningHost
let settings: Record<string, unknown>
let redis: Redis

test.skip(!hasTestDocker(), 'SKIPPED: no test Docker (run through scripts/with-test-env.sh)')
test.describe.configure({ mode: 'serial' })

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer()
    srv.once('error', rej)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => res(typeof addr === 'object' && addr ? addr.port : 0))
    })
  })
}

/** Our own redis-server, with an append-only file so a restart keeps the keys (a re-read, not a reset). */
async function startRedis(): Promise<void> {
  redisProc = spawn(
    'redis-server',
    [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--dir',
      join(dir, 'redis'),
    ],
    {
      stdio: 'ignore',
    },
  )
  const probe = new Redis({
    port: redisPort,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  probe.on('error', () => undefined)
  for (let i = 0; i < 50; i++) {
    try {
      await probe.connect()
      await probe.ping()
      probe.disconnect()
      return
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  throw new Error('redis-server did not start')
}

async function stopRedis(): Promise<void> {
  const p = redisProc
  redisProc = null
  if (!p || p.exitCode !== null) return
  await new Promise<void>((r) => {
    p.once('exit', () => r())
    p.kill('SIGKILL')
  })
}

function hhmm(deltaMin: number): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: ZONE,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(Date.now() + deltaMin * 60_000))
}

async function cli(args: string[]): Promise<string> {
  const { stdout } = await exec(
    process.execPath,
    [join(ROOT, 'out/main/cli.js'), '--url', host.url, '--token', host.token, ...args],
    {
      timeout: 30_000,
    },
  )
  return stdout
}

async function flag(): Promise<{ value: boolean; source?: string } | null> {
  const raw = await redis.get(TRADING_KEY)
  return raw === null ? null : (JSON.parse(raw) as { value: boolean; source?: string })
}

/** A browser tab of its own (own context), connected to the host. */
async function openTab(browser: Browser): Promise<{ page: Page; shell: AppShell; monitor: MonitorPage }> {
  const ctx = await browser.newContext()
  const page = await ctx.newPage()
  const shell = new AppShell(page)
  await shell.open(host.url, host.token)
  await expect(shell.hostChip).toHaveText(/^host 127\.0\.0\.1:\d+ · headless host on .+: open$/)
  return { page, shell, monitor: new MonitorPage(page) }
}

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sd-truth-e2e-'))
  mkdirSync(join(dir, 'redis'))
  mkdirSync(join(dir, 'config'))
  redisPort = await freePort()
  apiPort = await freePort()
  await startRedis()
  redis = new Redis({ port: redisPort, maxRetriesPerRequest: 1 })
  redis.on('error', () => undefined) // this spec stops Redis on purpose
  // A window around now, every day: the schedule wants trading ON for the whole test.
  const example = readFileSync(join(ROOT, 'config.example.toml'), 'utf8')
  const schedule = `[schedule]\nstart = "${hhmm(-60)}"\nstop = "${hhmm(60)}"\ntimezone = "${ZONE}"\ndays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n\n`
  writeFileSync(
    join(dir, 'config', 'config.toml'),
    example.replace(/\[schedule\][\s\S]*?(?=\n\[risk\])/, schedule),
  )
  settings = testSettings({
    services: [],
    config: { path: join(dir, 'config', 'config.toml') },
    stateDir: join(dir, 'state'),
    schedule: { enabled: true },
    api: { port: apiPort },
  })
  settings['redis'] = {
    url: `redis://127.0.0.1:${redisPort}`,
    killswitchPausesStack: false,
    killswitchAckTimeoutMs: 300,
  }
  host = await startHostProcess(settings, `e2e-admin-${run}-0123456789`)
})

test.afterAll(async () => {
  await host?.stop()
  redis?.disconnect()
  await stopRedis()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

test('CLI engage shows in both tabs within 1 s; a release stays latched until Resume trading; Redis down reads unknown', async ({
  browser,
}) => {
  const [a, b] = [await openTab(browser), await openTab(browser)]
  for (const p of [a, b]) await expect(p.shell.tradingChip).toHaveAttribute('data-enabled', 'true')
  await expect(a.shell.tradingChip).toContainText('trading enabled by the schedule')

  // Engage from the CLI: both tabs within 1 s of the CLI's answer.
  await cli(['killswitch', 'engage', '--reason', `drill ${run}`, '--yes'])
  await Promise.all(
    [a, b].map((p) =>
      expect(p.shell.tradingChip).toContainText('trading disabled by killswitch', { timeout: 1000 }),
    ),
  )
  await Promise.all(
    [a, b].map((p) =>
      expect(p.shell.killswitchChip).toHaveAttribute('data-engaged', 'true', { timeout: 1000 }),
    ),
  )
  // No countdown next to a state the schedule does not decide.
  await expect(a.shell.tradingChip).not.toContainText(/stop in/)
  expect(await flag()).toMatchObject({ value: false, source: 'killswitch' })
  // GET /schedule and GET /status agree with the flag.
  const sched = (await (
    await fetch(`${host.url}/schedule`, { headers: { authorization: `Bearer ${host.token}` } })
  ).json()) as {
    state: { enabled: boolean; source: string }
  }
  expect(sched.state).toMatchObject({ enabled: false, source: 'killswitch' })
  const status = (await (
    await fetch(`${host.url}/status`, { headers: { authorization: `Bearer ${host.token}` } })
  ).json()) as {
    trading: { known: boolean; value: { enabled: boolean } }
    killswitch: { known: boolean; value: { engaged: boolean } }
  }
  expect(status.trading).toMatchObject({ known: true, value: { enabled: false } })
  expect(status.killswitch).toMatchObject({ known: true, value: { engaged: true } })

  // Release: re-armed, but trading stays off, in Redis and in both tabs, well past the scheduler's reaction time.
  const released = await cli(['killswitch', 'release', '--reason', `drill over ${run}`, '--yes'])
  expect(released).toMatch(/Trading stays DISABLED until someone runs "Resume trading"/)
  await Promise.all([a, b].map((p) => expect(p.shell.killswitchChip).toHaveAttribute('data-latched', 'true')))
  await new Promise((r) => setTimeout(r, 6000)) // longer than the scheduler's 5 s retry
  expect(await flag()).toMatchObject({ value: false })
  for (const p of [a, b]) {
    await expect(p.shell.tradingChip).toHaveAttribute('data-enabled', 'false')
    await expect(p.shell.tradingChip).toContainText('killswitch latch')
  }

  // Resume trading, confirmed in tab A: from then on trading follows the schedule (window open: on).
  await a.shell.openTab('Monitor')
  await a.monitor.resumeTrading.click()
  await expect(a.shell.confirmDialog).toContainText('Trading then follows the schedule')
  await a.shell.confirmReason.fill(`resume ${run}`)
  await a.shell.confirmOk.click()
  await expect.poll(async () => (await flag())?.value, { timeout: 5000 }).toBe(true)
  await Promise.all(
    [a, b].map((p) => expect(p.shell.tradingChip).toContainText('trading enabled by the schedule')),
  )
  const audit = await cli(['audit', '--action', 'trading.resume', '--json'])
  expect(audit).toContain(`resume ${run}`)

  // Redis down: unknown within 2 s, drawn neutral, and Engage disabled with the reason.
  await stopRedis()
  await Promise.all(
    [a, b].map(async (p) => {
      await expect(p.shell.tradingChip).toHaveAttribute('data-state', 'unknown', { timeout: 2000 })
      await expect(p.shell.killswitchChip).toHaveAttribute('data-state', 'unknown', { timeout: 2000 })
    }),
  )
  await expect(a.shell.tradingChip).toContainText('unknown: Redis unreachable')
  await expect(a.shell.killswitchChip).toHaveAttribute('data-tone', 'unknown')
  await expect(a.shell.busChip).not.toHaveAttribute('data-state', 'ready')
  await expect(a.monitor.engageKillswitch).toBeDisabled()
  await expect(a.monitor.engageKillswitch).toHaveAttribute('title', /Redis is unreachable/)
  await expect(a.monitor.killswitch).toHaveAttribute('data-engaged', 'unknown')

  // Redis back: the state is re-read (trading enabled again, from the stored key).
  await startRedis()
  await Promise.all(
    [a, b].map((p) =>
      expect(p.shell.tradingChip).toHaveAttribute('data-enabled', 'true', { timeout: 15_000 }),
    ),
  )
  await expect(a.shell.killswitchChip).toHaveAttribute('data-engaged', 'false')
  await expect(a.monitor.engageKillswitch).toBeEnabled()
  await a.page.context().close()
  await b.page.context().close()
})

test('host stopped: stale within 2 s, actions disabled, a click says so, and nothing runs after the restart', async ({
  browser,
}) => {
  const { page, shell } = await openTab(browser)
  await shell.openTab('Stack')
  await expect(shell.panelWrap).toHaveAttribute('data-stale', 'false')
  const before = Date.now()
  await host.stop('SIGKILL')
  await expect(shell.panelWrap).toHaveAttribute('data-stale', 'true', { timeout: 2000 })
  expect(Date.now() - before).toBeLessThan(2500)
  await expect(shell.staleBanner).toContainText(/last update \d+ s ago/)
  await expect(shell.truthLine).toHaveAttribute('data-stale', 'true')
  // The body is inert under an overlay: a click reaches no button and says why.
  await shell.staleOverlay.click()
  await expect(shell.toast('error', 'Not connected to the Stackdeck host')).toBeVisible()
  host = await startHostProcess(settings, host.token)
  await expect(shell.panelWrap).toHaveAttribute('data-stale', 'false', { timeout: 15_000 })
  const rows = (await (
    await fetch(`${host.url}/audit?action=stack`, { headers: { authorization: `Bearer ${host.token}` } })
  ).json()) as {
    records: unknown[]
  }
  expect(rows.records).toEqual([])
  await page.context().close()
})
