import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test, type AppShell, type AuditPage as AuditTab } from './pages'
import type { OpResult } from '@contract'
import { hasTestDocker, removeFixtures, startFixtures, testDocker } from '../test-support/docker-fixtures'
import { startHostProcess, type RunningHost } from '../test-support/host-process'
import { testSettings } from '../test-support/test-settings'

// Real engine, real host, real browser: the Audit tab over the WebSocket door, the HTTP door beside it.
type AuditPage = OpResult<'audit.query'>

const run = `audit-${Math.random().toString(36).slice(2, 8)}`
let host: RunningHost
let stateDir = ''
let settings: Record<string, unknown>
let ids: string[] = []

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

async function openAudit(shell: AppShell, audit: AuditTab): Promise<void> {
  await shell.openConnected(host.url, host.token)
  await shell.openTab('Audit')
  await expect(audit.live).toHaveAttribute('data-live', 'true')
}

test.beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'stackdeck-e2e-audit-'))
  ids = await startFixtures({ count: 2, service: 'aud', labels: { app: 'audit-desk', e2e: run } })
  settings = testSettings({
    services: [{ name: 'desk', selector: { app: 'audit-desk', e2e: run }, reload: { signal: 'SIGHUP' } }],
    stateDir,
  })
  host = await startHostProcess(settings)
})

test.afterAll(async () => {
  await host?.stop()
  await removeFixtures({ e2e: run })
  if (stateDir) await rm(stateDir, { recursive: true, force: true })
})

test('pause and resume from the Stack tab are recorded as admin via ws', async ({ shell, stack, audit }) => {
  await shell.open(host.url, host.token)
  await expect(stack.containerRows).toHaveCount(2)
  await stack.pauseStack.click()
  await expect(shell.toast('success', 'Paused')).toBeVisible()
  await stack.resumeStack.click()
  await expect(shell.toast('success', 'Resumed')).toBeVisible()
  for (const id of ids) expect((await testDocker().getContainer(id).inspect()).State.Running).toBe(true)

  await shell.openTab('Audit')
  await expect(audit.rows({ action: 'stack.pause', who: 'admin', door: 'ws', outcome: 'ok' })).toHaveCount(1)
  await expect(audit.rows({ action: 'stack.resume', who: 'admin', door: 'ws', outcome: 'ok' })).toHaveCount(1)
  // Newest first: the resume sits above the pause.
  const actions = await audit.attributeOfRows('data-action')
  expect(actions.indexOf('stack.resume')).toBeLessThan(actions.indexOf('stack.pause'))
  // The table agrees with what the HTTP door reads from the same log.
  const log = await api<AuditPage>('GET', '/audit?action=stack')
  expect(log.records.map((r) => `${r.action}/${r.door}/${r.who}`)).toEqual(['stack.pause/ws/admin', 'stack.resume/ws/admin'])
})

test('a pause through HTTP appears live without a reload; the action filter keeps only matching rows', async ({ page, shell, audit }) => {
  await openAudit(shell, audit)
  await expect(audit.rows({ door: 'ws' })).toHaveCount(2)
  const marker = `http-live-${run}`
  await api('POST', '/stack/pause', { reason: marker })
  try {
    const live = audit.rows({ action: 'stack.pause', door: 'http', who: 'admin' })
    await expect(live).toHaveCount(1)
    await expect(live).toContainText(marker)
    await expect(audit.rows().first()).toHaveAttribute('data-door', 'http')
  } finally {
    await api('POST', '/stack/resume', { reason: `undo ${marker}` })
  }
  await expect(audit.rows({ action: 'stack.resume', door: 'http' })).toHaveCount(1)

  // Server-side filter: only stack.pause records, from both doors.
  await audit.actionFilter.selectOption('stack.pause')
  await expect(audit.rows()).toHaveCount(2)
  await expect(audit.rows({ action: 'stack.pause' })).toHaveCount(2)
  await expect(audit.rows({ action: 'stack.resume' })).toHaveCount(0)
  // A record of another action written while filtered stays out; a matching one comes in live.
  await api('POST', '/stack/resume', {})
  await api('POST', '/stack/pause', { target: { service: 'desk' }, reason: `filtered-${run}` })
  await api('POST', '/stack/resume', {})
  await expect(audit.rows()).toHaveCount(3)
  await expect(audit.rows({ action: 'stack.resume' })).toHaveCount(0)

  // Keyboard: into the table, Enter opens the drawer with the record's detail JSON, Escape closes it.
  await audit.rows().first().focus()
  await page.keyboard.press('Enter')
  const drawer = audit.drawer
  await expect(drawer).toBeVisible()
  await expect(drawer.getByRole('heading', { name: 'stack.pause' })).toBeVisible()
  const json = await audit.detailJson.textContent()
  const detail = JSON.parse(json ?? '') as { input?: unknown; inputSha256?: string; ms?: number }
  expect(detail.inputSha256).toMatch(/^[a-f0-9]{64}$/)
  expect(JSON.stringify(detail.input)).toContain(`filtered-${run}`)
  await page.screenshot({ path: 'test-results/screens/audit-drawer.png', fullPage: true })
  await page.keyboard.press('Escape')
  await expect(drawer).toBeHidden()
  await expect(audit.rows().first()).toBeFocused()
  await page.keyboard.press('ArrowDown')
  await expect(audit.rows().nth(1)).toBeFocused()

  // The door filter, on top of the action's: the pauses that came over HTTP, not the first test's over ws.
  await audit.doorFilter.selectOption('http')
  await expect(audit.rows()).toHaveCount(2)
  await expect(audit.rows({ door: 'ws' })).toHaveCount(0)
  await expect(audit.rows({ action: 'stack.pause', door: 'http' })).toHaveCount(2)

  await audit.clearFilter.click()
  await expect(audit.doorFilter).toHaveValue('')
  await expect(audit.rows({ action: 'stack.resume' })).toHaveCount(4)
})

test('"Load older" pages back through the filtered log to its start', async ({ page, shell, audit }) => {
  // 105 more resumes (the stack is running, so each is a cheap "already"): more than one page.
  for (let i = 0; i < 105; i++) await api('POST', '/stack/resume', { reason: `bulk ${i}` })
  const total = (await api<AuditPage>('GET', '/audit?action=stack.resume&limit=500')).records.length
  expect(total).toBe(109)

  await openAudit(shell, audit)
  await audit.actionFilter.selectOption('stack.resume')
  await expect(audit.rows()).toHaveCount(100)
  await audit.loadOlder.click()
  await expect(audit.rows()).toHaveCount(total)
  await expect(page.getByText('Start of the log for these filters.')).toBeVisible()
  await expect(audit.loadOlder).toHaveCount(0)
  const seqs = (await audit.attributeOfRows('data-seq')).map(Number)
  expect(new Set(seqs).size).toBe(total)
  expect(seqs).toEqual([...seqs].sort((a, b) => b - a))
  await audit.actionFilter.selectOption('')
  await page.screenshot({ path: 'test-results/screens/audit-table.png', fullPage: false })
})

test('the record of an HTTP action survives a SIGKILL of the host', async () => {
  const marker = `crash-proof-${run}`
  await api('POST', '/stack/pause', { reason: marker })
  await host.stop('SIGKILL')
  host = await startHostProcess(settings)
  try {
    const page = await api<AuditPage>('GET', '/audit?action=stack.pause')
    expect(page.records.filter((r) => r.reason === marker)).toEqual([
      expect.objectContaining({ action: 'stack.pause', door: 'http', who: 'admin', outcome: 'ok', reason: marker }),
    ])
  } finally {
    // The killed host left the stack paused.
    await api('POST', '/stack/resume', { reason: 'after crash test' })
  }
  for (const id of ids) expect((await testDocker().getContainer(id).inspect()).State.Running).toBe(true)
})
