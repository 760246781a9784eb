/// <reference lib="dom" />
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expect, test, type Browser, type Page } from '@playwright/test'
import { hasTestDocker, removeFixtures, startFixtures, testDocker } from '../test-support/docker-fixtures'
import { startHostProcess, type RunningHost } from '../test-support/host-process'
import { hasTestRedis, testKey } from '../test-support/redis-fixture'
import { testSettings } from '../test-support/test-settings'

// The Monitor tab against a real host, real Redis, the sample agents as real processes and fixture
// containers that heartbeat as execution agents. Everything is named after `run` and removed at the end.
const run = `mon-${Math.random().toString(36).slice(2, 8)}`
const ROOT = resolve(import.meta.dirname, '..')
const OPERATE_TOKEN = `e2e-operate-${run}-0123456789`
const ids = {
  exec: `${run}-exec`,
  execSilent: `${run}-exec-silent`,
  sig: `${run}-sig`,
  regime: `${run}-regime`,
  quotes: `${run}-quotes`,
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

async function openMonitor(page: Page, token = host.token): Promise<void> {
  await page.goto(`${host.url}/#token=${token}`)
  await page.getByRole('tab', { name: 'Monitor' }).click()
  await expect(page.getByTestId('bus-state')).toHaveText('ready')
}

const row = (page: Page, id: string) => page.locator(`[data-testid=agent-row][data-agent-id="${id}"]`)

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
      api: { tokens: [{ name: 'operator', sha256: createHash('sha256').update(OPERATE_TOKEN).digest('hex'), scope: 'operate' }] },
      stateDir,
    }),
  )
  spawnAgent('dev-agent.mjs', { AGENT_ID: ids.exec, AGENT_NAME: 'Execution (acks)', AGENT_GROUP: 'execution' })
  spawnAgent('dev-agent.mjs', { AGENT_ID: ids.execSilent, AGENT_NAME: 'Execution (never acks)', AGENT_GROUP: 'execution', KILLSWITCH_ACK: '0' })
  spawnAgent('dev-agent.mjs', { AGENT_ID: ids.sig, AGENT_NAME: 'Signals', AGENT_GROUP: 'signals', RATE: '2' })
  spawnAgent('regime-detector.mjs', { AGENT_ID: ids.regime, PERIOD_MS: '1000' })
  spawnAgent('quotes-agent.mjs', { AGENT_ID: ids.quotes, RATE: '40' })
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

test('the sample agents appear in the grid as alive, with regime, rates and live events', async ({ page }) => {
  await openMonitor(page)
  for (const id of [ids.exec, ids.execSilent, ids.sig, ids.regime, ids.quotes, ids.box(0), ids.box(1)]) {
    await expect(row(page, id)).toHaveAttribute('data-status', 'alive', { timeout: 20_000 })
  }
  await expect(row(page, ids.box(0))).toContainText('execution')
  await expect(page.getByTestId('regime-panel')).toHaveAttribute('data-regime', /trending|mean-reverting|volatile/)
  await expect(page.getByTestId('regime-age')).toBeVisible()
  await expect(page.locator('[data-testid=rate-row][data-channel="data.market.quotes"]')).toBeVisible()
  await expect(page.getByTestId('event-row').first()).toBeVisible()

  // Group filter: only the signals agent is left.
  await page.getByTestId('group-filter').selectOption('signals')
  await expect(page.getByTestId('agent-row')).toHaveCount(2) // the signals agent and the regime detector
  await expect(row(page, ids.sig)).toBeVisible()
  await page.getByTestId('group-filter').selectOption('')

  // Event filter by type narrows the list to that channel.
  await page.getByTestId('event-type-filter').fill('quant.regime')
  await expect(page.locator('[data-testid=event-row]').first()).toHaveAttribute('data-channel', 'quant.regime.state')
  await expect(page.locator('[data-testid=event-row]:not([data-channel="quant.regime.state"])')).toHaveCount(0)
})

test('commands from the row menu are delivered and acknowledged; tune needs a parameter', async ({ page }) => {
  await openMonitor(page)
  const r = row(page, ids.exec)
  await expect(r).toHaveAttribute('data-status', 'alive', { timeout: 20_000 })
  await r.getByTestId('agent-menu-button').click()
  await expect(page.getByTestId('agent-menu')).toBeVisible()
  await page.getByTestId('cmd-pause').click()
  await expect(r.getByTestId('agent-command-state')).toHaveAttribute('data-state', 'acked')
  await expect(r.getByTestId('agent-command-state')).toHaveAttribute('data-type', 'pause')
  // The agent now reports itself paused.
  await expect(r).toHaveAttribute('data-status', 'paused')

  await r.getByTestId('agent-menu-button').click()
  await page.getByTestId('cmd-tune').click()
  await expect(page.getByTestId('tune-dialog')).toBeVisible()
  await page.getByTestId('tune-submit').click()
  await expect(page.getByTestId('tune-error')).toHaveText('Tune needs at least one parameter')
  await page.getByTestId('tune-key-0').fill('rate')
  await page.getByTestId('tune-value-0').fill('1')
  await page.getByTestId('tune-submit').click()
  await expect(page.getByTestId('tune-dialog')).toBeHidden()
  await expect(r.getByTestId('agent-command-state')).toHaveAttribute('data-type', 'tune')
  await expect(r.getByTestId('agent-command-state')).toHaveAttribute('data-state', 'acked')

  await r.getByTestId('agent-menu-button').click()
  await page.getByTestId('cmd-resume').click()
  await expect(r.getByTestId('agent-command-state')).toHaveAttribute('data-type', 'resume')
  await expect(r.getByTestId('agent-command-state')).toHaveAttribute('data-state', 'acked')
  await expect(r).toHaveAttribute('data-status', 'alive')
})

test('a killed agent turns dead, sorts first and raises a desktop notification', async ({ page }) => {
  await recordNotifications(page)
  await openMonitor(page)
  await expect(row(page, ids.sig)).toHaveAttribute('data-status', 'alive', { timeout: 20_000 })
  await page.getByTestId('notify-enable').click()
  await expect(page.getByTestId('notify-state')).toHaveText('desktop notifications on')

  await killAgent(ids.sig)
  await expect(row(page, ids.sig)).toHaveAttribute('data-status', 'dead', { timeout: 15_000 })
  await expect(page.getByTestId('agent-row').first()).toHaveAttribute('data-agent-id', ids.sig)
  // Seconds since beat keeps ticking for the dead agent (one shared ticker).
  const since = row(page, ids.sig).locator('[role=cell]').nth(5)
  const first = Number.parseInt((await since.textContent()) ?? '', 10)
  await expect.poll(async () => Number.parseInt((await since.textContent()) ?? '', 10), { timeout: 5000 }).toBeGreaterThan(first)

  await expect
    .poll(() => page.evaluate(() => (window as unknown as { __notes: Array<{ title: string }> }).__notes.map((n) => n.title)))
    .toContain('Agent died: Signals')

  // Turning dead-first off puts the dead agent back in id order.
  await page.getByTestId('dead-first').uncheck()
  await expect(page.getByTestId('agent-row').first()).not.toHaveAttribute('data-agent-id', ids.sig)
})

async function releaseFromUi(browser: Browser): Promise<string> {
  // An operate-scope session may stop trading but not re-arm it.
  const ctx = await browser.newContext()
  try {
    const page = await ctx.newPage()
    await openMonitor(page, OPERATE_TOKEN)
    await expect(page.getByTestId('killswitch-panel')).toHaveAttribute('data-engaged', 'true')
    await page.getByTestId('ks-release').click()
    await page.getByTestId('confirm-reason').fill('trying without admin')
    await page.getByTestId('confirm-ok').click()
    await expect(page.getByTestId('ks-error')).toBeVisible()
    return (await page.getByTestId('ks-error').textContent()) ?? ''
  } finally {
    await ctx.close()
  }
}

test('engaging the killswitch from the UI stops trading, pauses the stack and freezes silent execution agents', async ({ page, browser }) => {
  await openMonitor(page)
  await expect(row(page, ids.box(0))).toHaveAttribute('data-status', 'alive', { timeout: 20_000 })
  const panel = page.getByTestId('killswitch-panel')
  await expect(panel).toHaveAttribute('data-engaged', 'false')

  await page.getByTestId('ks-engage').click()
  await expect(page.getByTestId('confirm-dialog')).toBeVisible()
  await expect(page.getByTestId('confirm-ok')).toBeDisabled() // a reason is required
  await page.getByTestId('confirm-reason').fill('e2e: runaway orders')
  await page.getByTestId('confirm-ok').click()

  await expect(panel).toHaveAttribute('data-engaged', 'true')
  await expect(panel).toHaveClass(/ks-engaged/)
  await expect(page.getByTestId('ks-reason')).toContainText('e2e: runaway orders')
  await expect(page.getByTestId('ks-meta')).toContainText('stored in Redis')
  await expect(page.getByTestId('trading-state')).toHaveAttribute('data-enabled', 'false')
  await expect(page.locator('[data-testid=ks-actions] [data-action=stackPause]')).toHaveAttribute('data-status', 'ok')
  await expect(page.getByTestId('ks-round')).toHaveAttribute('data-ended', 'true')
  await expect(page.getByTestId('ks-acked')).toContainText(ids.exec)
  await expect(page.getByTestId('ks-acked')).not.toContainText(ids.execSilent)
  // The boxes never ack; their containers are frozen (by the stack pause or the round itself).
  await expect(page.getByTestId('ks-paused')).toContainText(ids.box(0))
  await expect(page.getByTestId('ks-paused')).toContainText(ids.box(1))
  // The silent execution agent has no container: the UI must say it could not be paused.
  await expect(page.getByTestId('ks-pause-failed')).toContainText(ids.execSilent)
  await expect(page.getByTestId('killswitch-chip')).toHaveAttribute('data-engaged', 'true')

  // The stack really is paused: ask the host over HTTP and the engine itself.
  await expect
    .poll(async () => (await api<{ state: string }>('GET', '/status')).state, { timeout: 20_000 })
    .toBe('paused')
  const mine = await testDocker().listContainers({ all: true, filters: { label: [`e2e=${run}`] } })
  expect(mine).toHaveLength(2)
  for (const c of mine) expect(c.State).toBe('paused')
  await expect(page.getByTestId('stack-chip')).toHaveAttribute('data-state', 'paused')
  // A paused container's agent is "paused", not dead.
  await expect(row(page, ids.box(0))).toHaveAttribute('data-status', 'paused')

  const refused = await releaseFromUi(browser)
  expect(refused).toMatch(/admin/i)
  await expect(panel).toHaveAttribute('data-engaged', 'true')

  // Clean up through the API with the admin token; the UI follows.
  await api('POST', '/risk/killswitch/release', { reason: 'e2e cleanup', confirm: true })
  await api('POST', '/stack/resume', { reason: 'e2e cleanup' })
  await expect(panel).toHaveAttribute('data-engaged', 'false')
  await expect.poll(async () => (await api<{ state: string }>('GET', '/status')).state, { timeout: 20_000 }).toBe('running')
})
