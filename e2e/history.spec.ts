import { readFile } from 'node:fs/promises'
import type { Page } from '@playwright/test'
import { expect, test, type AppShell, type MonitorPage } from './pages'
import { hasTestRedis, newTestRedis } from '../test-support/redis-fixture'
import { startStackdeckUnderTest, type BuiltStackdeck } from '../test-support/stackdeck-under-test'
import { waitFor } from '../test-support/api-harness'

// The history UI against the built host with the store on (the test PostgreSQL, else PGlite): real
// bus events published on the test Redis, read back from the store through the Monitor's stored
// ranges, exported as files the browser downloads, an agent's status timeline, and the Audit tab's
// link to the events around an act. A second host with the store off proves the screen says so.
let sut: BuiltStackdeck
let run = ''
const agentId = () => `${run}-agent`
const channel = (i: number) => `strategy.${run}.sig${i % 2}`
/** Payloads that a sloppy CSV writer would break: commas, quotes, a newline, non-ASCII. */
const payload = (i: number) => ({ n: i, note: `a, "quoted" value\nline two ${i} · ü` })
const COUNT = 6

test.skip(!hasTestRedis(), 'SKIPPED: no test Redis (run through scripts/with-test-env.sh)')
test.describe.configure({ mode: 'serial' })

interface StoredPage {
  events: Array<{ channel: string; payload: string }>
  next: number | null
}

async function storedCount(glob: string): Promise<number> {
  const r = await sut.client.get(`/history/events?channel=${encodeURIComponent(glob)}&limit=1000`, sut.tokens.read)
  return r.status === 200 ? (r.json as StoredPage).events.length : -1
}

async function openMonitor(shell: AppShell, monitor: MonitorPage): Promise<void> {
  await shell.open(sut.url, sut.token)
  await shell.openTab('Monitor')
  await expect(shell.busState).toHaveText('ready')
  await expect(monitor.historyState).toHaveText('writing')
}

async function download(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), click()])
  const path = await dl.path()
  return { name: dl.suggestedFilename(), text: await readFile(path, 'utf8') }
}

test.beforeAll(async () => {
  test.setTimeout(180_000)
  run = `hist${Math.random().toString(36).slice(2, 7)}`
  sut = await startStackdeckUnderTest({ run, store: true, agents: [`${run}-agent`] })
  const redis = newTestRedis()
  try {
    for (let i = 0; i < COUNT; i++) await redis.publish(channel(i), JSON.stringify(payload(i)))
    // Same prefix without the dot boundary: the live filter leaves it out, so the stored view must too.
    await redis.publish(`strategy.${run}x.decoy`, JSON.stringify({ decoy: true }))
  } finally {
    redis.disconnect()
  }
  await waitFor('the published events to be stored', async () => (await storedCount(`strategy.${run}*`)) === COUNT + 1, 30_000)
})

test.afterAll(async () => {
  await sut?.stop()
})

test('Last 15 min reads the published events from the store, labelled as a stored view', async ({ page, shell, monitor }) => {
  await openMonitor(shell, monitor)
  await expect(monitor.eventCard).toHaveAttribute('data-view', 'live')
  await monitor.eventTypeFilter.fill(`strategy.${run}`)
  await monitor.eventRange.selectOption('15m')
  await expect(monitor.eventCard).toHaveAttribute('data-view', 'stored')
  await expect(monitor.storedIndicator).toContainText('stored, not live')
  await expect(monitor.storedRange).toContainText('Last 15 min:')
  await expect(monitor.storedRows).toHaveCount(COUNT)
  // Newest first; the decoy on strategy.<run>x.* is not in the view.
  await expect(monitor.storedRows.first()).toHaveAttribute('data-channel', channel(COUNT - 1))
  await expect(page.locator(`[data-testid=stored-event-row][data-channel="strategy.${run}x.decoy"]`)).toHaveCount(0)
  await expect(monitor.storedIndicator).toContainText('start of the range')
  // The URL names the range, so a reload shows the same stored view.
  expect(new URL(page.url()).hash).toMatch(/^#monitor\?from=/)
  await page.screenshot({ path: 'test-results/screens/history-stored-range.png', fullPage: true })
})

test('export: JSONL and CSV of the stored rows, and of the whole range, carry the payloads intact', async ({ page, shell, monitor }) => {
  await openMonitor(shell, monitor)
  await monitor.eventTypeFilter.fill(`strategy.${run}`)
  await monitor.eventRange.selectOption('15m')
  await expect(monitor.storedRows).toHaveCount(COUNT)

  const jsonl = await download(page, () => monitor.exportJsonl.click())
  expect(jsonl.name).toMatch(/^stackdeck-Last-15-min-.*\.jsonl$/)
  const lines = jsonl.text.trimEnd().split('\n').map((l) => JSON.parse(l) as { channel: string; payload: unknown; host: string | null })
  expect(lines).toHaveLength(COUNT)
  // Shown order (newest first), each payload as the JSON value that was published.
  expect(lines.map((l) => l.payload)).toEqual([...Array(COUNT).keys()].reverse().map(payload))
  expect(lines.every((l) => typeof l.host === 'string' && l.host !== '')).toBe(true)

  const csv = await download(page, () => monitor.exportCsv.click())
  expect(csv.name).toMatch(/\.csv$/)
  expect(csv.text.startsWith('time,channel,type,source,agent,id,host,payload\r\n')).toBe(true)
  // The payload field is quoted with its quotes doubled, and its newline kept inside the quotes.
  const escaped = JSON.stringify(payload(0)).replaceAll('"', '""')
  expect(csv.text).toContain(`,"${escaped}"\r\n`)
  expect(csv.text.split('\r\n').filter((l) => l.startsWith('20'))).toHaveLength(COUNT)

  // The whole range, paged from the store (oldest first), with the same filter.
  await monitor.exportScope.selectOption('range')
  const whole = await download(page, () => monitor.exportJsonl.click())
  const all = whole.text.trimEnd().split('\n').map((l) => JSON.parse(l) as { payload: unknown })
  expect(all.map((l) => l.payload)).toEqual([...Array(COUNT).keys()].map(payload))
  await expect(shell.toast('success', `Exported ${COUNT} stored events`)).toBeVisible()
})

test("an agent's drawer shows its status timeline from the store; Escape closes it", async ({ page, shell, monitor }) => {
  await openMonitor(shell, monitor)
  const row = monitor.agent(agentId())
  await expect(row.root).toHaveAttribute('data-status', 'alive', { timeout: 20_000 })
  await row.menuButton.click()
  await monitor.detailsCommand.click()
  await expect(monitor.agentDrawer).toBeVisible()
  await expect(monitor.agentDrawer).toHaveAttribute('data-agent-id', agentId())
  // The first transition this store saw: first seen -> the status the agent reports ('active': the
  // store keeps the registry's status, the row's 'alive' is the UI's reading of it), written within a
  // second of the beat.
  await expect(async () => {
    await monitor.agentTimelineRefresh.click()
    await expect(monitor.agentTransitionTo('active').first()).toBeVisible({ timeout: 2000 })
  }).toPass({ timeout: 20_000 })
  await expect(monitor.agentTransitions.first()).toContainText('→')
  await page.screenshot({ path: 'test-results/screens/history-agent-drawer.png', fullPage: true })
  await page.keyboard.press('Escape')
  await expect(monitor.agentDrawer).toBeHidden()
  await expect(row.menuButton).toBeFocused()
})

test('an audit row links to the Monitor with the stored events around the act', async ({ page, shell, monitor, audit }) => {
  const r = await sut.client.post('/agents/command', { agentId: agentId(), type: 'resume', wait: true }, sut.tokens.operate)
  expect(r.status, r.text).toBe(200)
  await openMonitor(shell, monitor)
  await monitor.eventTypeFilter.fill(`strategy.${run}`)
  // The filter applies after a pause in typing; it must be in place before the tab is left.
  await expect(monitor.eventCounters).toContainText('match')
  await shell.openTab('Audit')
  const row = audit.rows({ action: 'bus.command' }).first()
  await expect(row).toBeVisible()
  const at = await row.locator('td').first().getAttribute('title')
  expect(at).toBeTruthy()
  await audit.eventsLink(row).click()
  await expect(shell.tab('Monitor')).toHaveAttribute('aria-selected', 'true')
  await expect(monitor.eventCard).toHaveAttribute('data-view', 'stored')
  const t = Date.parse(at ?? '')
  await expect(monitor.storedIndicator).toHaveAttribute('data-from', new Date(t - 120_000).toISOString())
  await expect(monitor.storedIndicator).toHaveAttribute('data-to', new Date(t + 120_000).toISOString())
  await expect(monitor.storedRange).toContainText('around bus.command')
  // The events were published moments before the command: inside its ±2 min window.
  await expect(monitor.storedRows).toHaveCount(COUNT)
  await monitor.backToLive.click()
  await expect(monitor.eventCard).toHaveAttribute('data-view', 'live')
  expect(new URL(page.url()).hash).toBe('#monitor')
})

test.describe('with the store off', () => {
  let off: BuiltStackdeck
  test.beforeAll(async () => {
    test.setTimeout(120_000)
    off = await startStackdeckUnderTest({ run: `${run}off`, agents: [`${run}off-agent`] })
  })
  test.afterAll(async () => {
    await off?.stop()
  })

  test('stored ranges are disabled with the reason, and the timeline says it is unknown', async ({ shell, monitor }) => {
    await shell.open(off.url, off.token)
    await shell.openTab('Monitor')
    await expect(monitor.historyState).toHaveText('off')
    await expect(monitor.historyStatus).toContainText('store.enabled = false')
    await expect(monitor.rangeOption('15m')).toBeDisabled()
    await expect(monitor.rangeOption('custom')).toBeDisabled()
    await expect(monitor.rangeUnavailable).toContainText('stored ranges unavailable: history off')
    const row = monitor.agent(`${run}off-agent`)
    await expect(row.root).toHaveAttribute('data-status', 'alive', { timeout: 20_000 })
    await row.menuButton.click()
    await monitor.detailsCommand.click()
    await expect(monitor.agentTimelineUnavailable).toContainText('unknown here, not "no changes"')
  })

  test('a link to a stored range says history is off instead of showing an empty list', async ({ page, shell, monitor }) => {
    await shell.open(off.url, off.token)
    const now = Date.now()
    await page.evaluate((h) => (location.hash = h), `#monitor?from=${new Date(now - 60_000).toISOString()}&to=${new Date(now).toISOString()}`)
    await expect(monitor.eventCard).toHaveAttribute('data-view', 'stored')
    await expect(monitor.storedError).toContainText('history is off')
    await expect(monitor.storedEmpty).toHaveCount(0)
  })
})
