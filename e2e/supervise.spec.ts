import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from './pages'
import type { OpResult } from '@contract'
import { hasTestDocker, removeFixtures, startFixtures, testDocker } from '../test-support/docker-fixtures'
import { startHostProcess, type RunningHost } from '../test-support/host-process'
import { testSettings } from '../test-support/test-settings'

// A supervised service whose container dies at once on every start: auto-heal must give up and say so.
type SuperviseStatus = OpResult<'supervise.status'>
type AuditPage = OpResult<'audit.query'>

const run = `sup-${Math.random().toString(36).slice(2, 8)}`
const SUPERVISE = { desired: 1, autoHeal: true, intervalMs: 1000, maxFailedRestarts: 2, backoffBaseMs: 500, backoffMaxMs: 2000 }
let host: RunningHost
let stateDir = ''
let id = ''


test.skip(!hasTestDocker(), 'SKIPPED: no test Docker engine (run through `npm test` or scripts/with-test-env.sh)')
test.describe.configure({ mode: 'serial' })

async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const r = await fetch(`${host.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await r.text()
  if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text}`)
  return JSON.parse(text) as T
}

const crashy = async () => (await api<SuperviseStatus>('GET', '/supervise')).services.find((s) => s.service === 'crashy')

test.beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'stackdeck-e2e-supervise-'))
  id = (await startFixtures({ service: 'crashy', labels: { app: 'crashy', e2e: run }, env: { FAIL_MODE: 'exit-now' } }))[0] ?? ''
  host = await startHostProcess(
    testSettings({
      services: [{ name: 'crashy', selector: { app: 'crashy', e2e: run }, reload: { signal: null, logPattern: null }, supervise: SUPERVISE }],
      stateDir,
    }),
  )
})

test.afterAll(async () => {
  await host?.stop()
  await removeFixtures({ e2e: run })
  if (stateDir) await rm(stateDir, { recursive: true, force: true })
})

test('GET /supervise shows the crashing service FAILED after maxFailedRestarts, and the Audit tab shows why', async ({ shell, audit }) => {
  await expect.poll(async () => (await crashy())?.state, { timeout: 60_000, intervals: [500] }).toBe('failed')
  const s = await crashy()
  expect(s).toMatchObject({ state: 'failed', autoHeal: true, desired: 1, actual: 0, restarts: 2, consecutiveFailures: 2 })
  expect(s?.failedAt).toBeTruthy()
  expect((await testDocker().getContainer(id).inspect()).State.Running).toBe(false)

  // The supervisor's own records, through the Audit tab.
  const log = await api<AuditPage>('GET', '/audit?action=supervise')
  expect(log.records.filter((r) => r.action === 'supervise.restart' && r.door === 'supervisor')).toHaveLength(2)
  expect(log.records.filter((r) => r.action === 'supervise.failed' && r.door === 'supervisor')).toHaveLength(1)
  await shell.open(host.url, host.token)
  await shell.openTab('Audit')
  await expect(audit.rows({ action: 'supervise.failed', door: 'supervisor' })).toHaveCount(1)
  await expect(audit.rows({ action: 'supervise.restart', door: 'supervisor' })).toHaveCount(2)
})

test('the SupervisionPanel shows the failure loud, and a reset that fails again raises a toast', async ({ page, shell, supervise }) => {
  await shell.open(host.url, host.token)
  const crashy = supervise.service('crashy')
  await expect(crashy.root).toHaveAttribute('data-state', 'failed')
  await expect(crashy.failure).toContainText('FAILED')
  await expect(crashy.failure).toContainText('gave up after 2 consecutive failed restarts')
  await expect(crashy.counts).toHaveText('1 / 0')
  await crashy.root.scrollIntoViewIfNeeded()
  await page.screenshot({ path: 'test-results/screens/supervision-failed.png', fullPage: true })

  // Reset (confirmed) re-arms auto-heal; the container still dies, so it fails again and the UI says so.
  await crashy.reset.click()
  await expect(shell.confirmDialog).toBeVisible()
  await shell.confirmOk.click()
  await expect(shell.toast('success', 'crashy reset')).toBeVisible()
  await expect(shell.toast('error', 'crashy FAILED')).toBeVisible({ timeout: 60_000 })
  await expect(crashy.root).toHaveAttribute('data-state', 'failed')
  const resets = await api<AuditPage>('GET', '/audit?action=supervise.reset')
  expect(resets.records).toEqual([expect.objectContaining({ door: 'ws', who: 'admin', outcome: 'ok' })])
  await page.screenshot({ path: 'test-results/screens/supervision-toast.png', fullPage: true })
})
