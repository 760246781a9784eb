/// <reference lib="dom" />
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Browser, Page } from '@playwright/test'
import { AppShell, expect, MonitorPage, test } from './pages'
import { hasTestDocker, removeFixtures, startFixtures, testDocker } from '../test-support/docker-fixtures'
import { startHostProcess, type RunningHost } from '../test-support/host-process'
import { hasTestRedis, testKey } from '../test-support/redis-fixture'
import { testSettings } from '../test-support/test-settings'

// The Monitor tab against a real host, real Redis, the sample agents as real processes and fixture
// containers that heartbeat as execution agents. Everything is named after `run` and removed at the end.
const run = `mon-${Math.random().toString(36).slice(2, 8)}`
const ROOT = resolve(import.meta.dirname, '..')
const OPERATE_TOKEN = `e2e-operate-${run}-0123456789`
const AGENT_TOKEN = `e2e-agent-${run}-0123456789`
const ids = {
  exec: `${run}-exec`,
  execSilent: `${run}-exec-silent`,
  sig: `${run}-sig`,
  regime: `${run}-regime`,
  quotes: `${run}-quotes`,
  http: `${run}-trainer`,
  box: (i: number) => `${run}-box-${i}`,
}

let host: RunningHost
let stateDir: string
const agents = new Map<string, ChildProcess>()

test.skip(!hasTestDocker() || !hasTestRedis(), 'SKIPPED: no test Docker/Redis (run through `npm test` or scripts/with-test-env.sh)')
test.describe.configure({ mode: 'serial' })

function spawnAgent(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [join(ROOT, 'e2e/agents', script)], {
    env: { ...process.env, REDIS_URL: process.env['STACKDECK_TEST_REDIS_URL'], ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let err = ''
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)))
  child.on('exit', (code, sig) => {
    if (code && !sig) console.error(`[monitor.spec] agent ${env['AGENT_ID']} exited ${code}: ${err}`)
  })
  agents.set(env['AGENT_ID'] ?? script, child)
  return child
}

async function killAgent(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const child = agents.get(id)
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise((r) => child.once('exit', r))
  child.kill(signal)
  await gone
}

async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown, token = host.token): Promise<T> {
  const res = await fetch(`${host.url.replace(/\/$/, '')}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  const json = (await res.json()) as T
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

/** Stubs the Notification API so the test can see what the page would have shown on the desktop. */
async function recordNotifications(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __notes: Array<{ title: string; body: string }>; Notification: unknown }
    w.__notes = []
    class FakeNotification {
      static permission: NotificationPermission = 'default'
      static requestPermission(): Promise<NotificationPermission> {
        FakeNotification.permission = 'granted'
        return Promise.resolve('granted')
      }
      onclick: (() => void) | null = null
      constructor(title: string, opts?: NotificationOptions) {
        w.__notes.push({ title, body: opts?.body ?? '' })
      }
      close(): void {}
    }
    w.Notification = FakeNotification
  })
}

async function openMonitor(shell: AppShell, token = host.token): Promise<void> {
  await shell.open(host.url, token)
  await shell.openTab('Monitor')
  await expect(shell.busState).toHaveText('ready')
}

test.beforeAll(async () => {
  test.setTimeout(180_000)
  stateDir = mkdtempSync(join(tmpdir(), 'stackdeck-e2e-monitor-'))
  // Two fixture containers heartbeat as execution agents that never acknowledge the killswitch:
  // they are the ones the killswitch must freeze at Docker level.
  await startFixtures({
    count: 2,
    service: 'mon',
    redis: true,
    labels: (i) => ({ app: 'mon-fixture', e2e: run, 'stackdeck.agent': ids.box(i) }),
    env: (i) => ({ AGENT_ID: ids.box(i), AGENT_GROUP: 'execution', HEARTBEAT_INTERVAL: '1' }),
  })
  host = await startHostProcess(
    testSettings({
      services: [{ name: 'mon', selector: { app: 'mon-fixture', e2e: run }, reload: { signal: null, logPattern: null } }],
      redis: {
        url: process.env['STACKDECK_TEST_REDIS_URL'],
        heartbeatTimeoutMs: 3000,
        killswitchKey: testKey(`killswitch:${run}`),
        tradingKey: testKey(`trading:${run}`),
        killswitchAckTimeoutMs: 1500,
        commandAckTimeoutMs: 4000,
      },
      schedule: { enabled: false },
      api: {
        tokens: [
          { name: 'operator', sha256: createHash('sha256').update(OPERATE_TOKEN).digest('hex'), scope: 'operate' },
          { name: 'trainer', sha256: createHash('sha256').update(AGENT_TOKEN).digest('hex'), scope: 'agent', agent: ids.http },
        ],
      },
      stateDir,
    }),
  )
  spawnAgent('dev-agent.mjs', { AGENT_ID: ids.exec, AGENT_NAME: 'Execution (acks)', AGENT_GROUP: 'execution' })
  spawnAgent('dev-agent.mjs', { AGENT_ID: ids.execSilent, AGENT_NAME: 'Execution (never acks)', AGENT_GROUP: 'execution', KILLSWITCH_ACK: '0' })
  spawnAgent('dev-agent.mjs', { AGENT_ID: ids.sig, AGENT_NAME: 'Signals', AGENT_GROUP: 'signals', RATE: '2' })
  spawnAgent('regime-detector.mjs', { AGENT_ID: ids.regime, PERIOD_MS: '1000' })
  spawnAgent('quotes-agent.mjs', { AGENT_ID: ids.quotes, RATE: '40' })
  // Beside the Redis agents, one that speaks the HTTP protocol: it creates its run and pulls commands.
  spawnAgent('http-agent.mjs', { AGENT_ID: ids.http, STACKDECK_URL: host.url, AGENT_TOKEN, CREATE_TOKEN: OPERATE_TOKEN, RUN_ID: `${ids.http}-run`, HEARTBEAT_MS: '500', POLL_WAIT_S: '5' })
})

test.afterAll(async () => {
  await Promise.all([...agents.keys()].map((id) => killAgent(id, 'SIGTERM')))
  if (host) {
    // Leave nothing engaged or paused behind, even when a test failed half-way.
    await api('POST', '/risk/killswitch/release', { reason: 'e2e cleanup', confirm: true }).catch(() => undefined)
    await api('POST', '/stack/resume', { reason: 'e2e cleanup' }).catch(() => undefined)
    await host.stop()
  }
  await removeFixtures({ e2e: run })
  if (stateDir) rmSync(stateDir, { recursive: true, force: true })
})

test('the sample agents appear in the grid as alive, with regime, rates and live events', async ({ shell, monitor }) => {
  await openMonitor(shell)
  for (const id of [ids.exec, ids.execSilent, ids.sig, ids.regime, ids.quotes, ids.box(0), ids.box(1)]) {
    await expect(monitor.agent(id).root).toHaveAttribute('data-status', 'alive', { timeout: 20_000 })
  }
  await expect(monitor.agent(ids.box(0)).root).toContainText('execution')
  await expect(monitor.regime).toHaveAttribute('data-regime', /trending|mean-reverting|volatile/)
  await expect(monitor.regimeAge).toBeVisible()
  await expect(monitor.rate('data.market.quotes')).toBeVisible()
  await expect(monitor.eventRows.first()).toBeVisible()

  // Group filter: only the signals agent is left.
  await monitor.groupFilter.selectOption('signals')
  await expect(monitor.agentRows).toHaveCount(2) // the signals agent and the regime detector
  await expect(monitor.agent(ids.sig).root).toBeVisible()
  await monitor.groupFilter.selectOption('')

  // Event filter by type narrows the list to that channel.
  await monitor.eventTypeFilter.fill('quant.regime')
  await expect(monitor.eventRows.first()).toHaveAttribute('data-channel', 'quant.regime.state')
  await expect(monitor.eventRowsNotOn('quant.regime.state')).toHaveCount(0)
})

test('commands from the row menu are delivered and acknowledged; tune needs a parameter', async ({ shell, monitor }) => {
  await openMonitor(shell)
  const r = monitor.agent(ids.exec)
  await expect(r.root).toHaveAttribute('data-status', 'alive', { timeout: 20_000 })
  await r.menuButton.click()
  await expect(monitor.agentMenu).toBeVisible()
  await monitor.pauseCommand.click()
  await expect(r.commandState).toHaveAttribute('data-state', 'acked')
  await expect(r.commandState).toHaveAttribute('data-type', 'pause')
  // The agent now reports itself paused.
  await expect(r.root).toHaveAttribute('data-status', 'paused')

  await r.menuButton.click()
  await monitor.tuneCommand.click()
  await expect(monitor.tuneDialog).toBeVisible()
  await monitor.tuneSubmit.click()
  await expect(monitor.tuneError).toHaveText('Tune needs at least one parameter')
  await monitor.tuneKey(0).fill('rate')
  await monitor.tuneValue(0).fill('1')
  await monitor.tuneSubmit.click()
  await expect(monitor.tuneDialog).toBeHidden()
  await expect(r.commandState).toHaveAttribute('data-type', 'tune')
  await expect(r.commandState).toHaveAttribute('data-state', 'acked')

  await r.menuButton.click()
  await monitor.resumeCommand.click()
  await expect(r.commandState).toHaveAttribute('data-type', 'resume')
  await expect(r.commandState).toHaveAttribute('data-state', 'acked')
  await expect(r.root).toHaveAttribute('data-status', 'alive')
})

test('an HTTP agent sits in the grid beside the Redis agents; a tune from the UI reaches it and is acknowledged', async ({ page, shell, monitor }) => {
  await openMonitor(shell)
  const h = monitor.agent(ids.http)
  await expect(h.root).toHaveAttribute('data-status', 'alive', { timeout: 20_000 })
  await expect(h.root.getByTestId('agent-transport')).toHaveAttribute('data-transport', 'http')
  await expect(h.root.getByTestId('agent-run')).toHaveAttribute('data-state', 'running')
  await expect(h.root.getByTestId('agent-run')).toHaveAttribute('data-health', 'healthy')
  await expect(h.root.getByTestId('agent-step')).toHaveText(/^[1-9]\d* \/ \d+$/)
  await expect(monitor.agent(ids.sig).root.getByTestId('agent-transport')).toHaveAttribute('data-transport', 'redis')

  await h.menuButton.click()
  await expect(page.getByTestId('agent-menu-transport')).toContainText(`run ${ids.http}-run`)
  await monitor.tuneCommand.click()
  await monitor.tuneKey(0).fill('lr')
  await monitor.tuneValue(0).fill('0.02')
  await monitor.tuneSubmit.click()
  await expect(h.commandState).toHaveAttribute('data-type', 'tune')
  await expect(h.commandState).toHaveAttribute('data-state', 'acked', { timeout: 15_000 })
  await expect(shell.toast('success', `tune → ${ids.http}: acknowledged`).first()).toBeVisible()

  // The drawer lists the run's transitions and the command with its queued, delivered and acked times.
  await h.menuButton.click()
  await page.getByTestId('cmd-details').click()
  const drawer = page.getByTestId('agent-drawer')
  await expect(drawer.getByTestId('run-details')).toHaveAttribute('data-run-id', `${ids.http}-run`)
  await expect(drawer.getByTestId('run-transition').first()).toHaveAttribute('data-to', 'running')
  const tune = drawer.locator('[data-testid=run-command][data-type=tune]').first()
  await expect(tune).toHaveAttribute('data-status', 'acknowledged')
  // Queued, delivered and acknowledged: three times, none of them a dash.
  await expect(tune.locator('td .mono')).toHaveCount(3)
  await page.getByTestId('agent-drawer-close').click()
})

test('a killed agent turns dead, sorts first and raises a desktop notification', async ({ page, shell, monitor }) => {
  await recordNotifications(page)
  await openMonitor(shell)
  await expect(monitor.agent(ids.sig).root).toHaveAttribute('data-status', 'alive', { timeout: 20_000 })
  await monitor.notifyEnable.click()
  await expect(monitor.notifyState).toHaveText('desktop notifications on')

  await killAgent(ids.sig)
  await expect(monitor.agent(ids.sig).root).toHaveAttribute('data-status', 'dead', { timeout: 15_000 })
  await expect(monitor.agentRows.first()).toHaveAttribute('data-agent-id', ids.sig)
  // Seconds since beat keeps ticking for the dead agent (one shared ticker).
  const since = monitor.agent(ids.sig).since
  const first = Number.parseInt((await since.textContent()) ?? '', 10)
  await expect.poll(async () => Number.parseInt((await since.textContent()) ?? '', 10), { timeout: 5000 }).toBeGreaterThan(first)

  await expect
    .poll(() => page.evaluate(() => (window as unknown as { __notes: Array<{ title: string }> }).__notes.map((n) => n.title)))
    .toContain('Agent died: Signals')

  // Turning dead-first off puts the dead agent back in id order.
  await monitor.deadFirst.uncheck()
  await expect(monitor.agentRows.first()).not.toHaveAttribute('data-agent-id', ids.sig)
})

async function releaseFromUi(browser: Browser): Promise<string> {
  // An operate-scope session may stop trading but not re-arm it.
  const ctx = await browser.newContext()
  try {
    const page = await ctx.newPage()
    const shell = new AppShell(page)
    const monitor = new MonitorPage(page)
    await openMonitor(shell, OPERATE_TOKEN)
    await expect(monitor.killswitch).toHaveAttribute('data-engaged', 'true')
    await monitor.releaseKillswitch.click()
    await shell.confirm('trying without admin')
    await expect(monitor.killswitchError).toBeVisible()
    return (await monitor.killswitchError.textContent()) ?? ''
  } finally {
    await ctx.close()
  }
}

test('engaging the killswitch from the UI stops trading, pauses the stack and freezes silent execution agents', async ({ browser, shell, monitor }) => {
  await openMonitor(shell)
  await expect(monitor.agent(ids.box(0)).root).toHaveAttribute('data-status', 'alive', { timeout: 20_000 })
  const panel = monitor.killswitch
  await expect(panel).toHaveAttribute('data-engaged', 'false')

  await monitor.engageKillswitch.click()
  await expect(shell.confirmDialog).toBeVisible()
  await expect(shell.confirmOk).toBeDisabled() // a reason is required
  await shell.confirmReason.fill('e2e: runaway orders')
  await shell.confirmOk.click()

  await expect(panel).toHaveAttribute('data-engaged', 'true')
  await expect(panel).toHaveClass(/ks-engaged/)
  await expect(monitor.killswitchReason).toContainText('e2e: runaway orders')
  await expect(monitor.killswitchMeta).toContainText('stored in Redis')
  await expect(monitor.tradingState).toHaveAttribute('data-enabled', 'false')
  await expect(monitor.killswitchAction('stackPause')).toHaveAttribute('data-status', 'ok')
  await expect(monitor.killswitchRound).toHaveAttribute('data-ended', 'true')
  await expect(monitor.killswitchAcked).toContainText(ids.exec)
  await expect(monitor.killswitchAcked).not.toContainText(ids.execSilent)
  // The boxes never ack; their containers are frozen (by the stack pause or the round itself).
  await expect(monitor.killswitchPaused).toContainText(ids.box(0))
  await expect(monitor.killswitchPaused).toContainText(ids.box(1))
  // The silent execution agent has no container: the UI must say it could not be paused.
  await expect(monitor.killswitchPauseFailed).toContainText(ids.execSilent)
  await expect(shell.killswitchChip).toHaveAttribute('data-engaged', 'true')

  // The stack really is paused: ask the host over HTTP and the engine itself.
  await expect
    .poll(async () => (await api<{ state: string }>('GET', '/status')).state, { timeout: 20_000 })
    .toBe('paused')
  const mine = await testDocker().listContainers({ all: true, filters: { label: [`e2e=${run}`] } })
  expect(mine).toHaveLength(2)
  for (const c of mine) expect(c.State).toBe('paused')
  await expect(shell.stackChip).toHaveAttribute('data-state', 'paused')
  // A paused container's agent is "paused", not dead.
  await expect(monitor.agent(ids.box(0)).root).toHaveAttribute('data-status', 'paused')

  const refused = await releaseFromUi(browser)
  expect(refused).toMatch(/admin/i)
  await expect(panel).toHaveAttribute('data-engaged', 'true')

  // Clean up through the API with the admin token; the UI follows.
  await api('POST', '/risk/killswitch/release', { reason: 'e2e cleanup', confirm: true })
  await api('POST', '/stack/resume', { reason: 'e2e cleanup' })
  await expect(panel).toHaveAttribute('data-engaged', 'false')
  await expect.poll(async () => (await api<{ state: string }>('GET', '/status')).state, { timeout: 20_000 }).toBe('running')
})
