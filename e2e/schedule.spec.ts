import { expect, test, type Page } from '@playwright/test'
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Redis } from 'ioredis'
import { startHostProcess, type RunningHost } from '../test-support/host-process'
import { hasTestRedis, newTestRedis } from '../test-support/redis-fixture'
import { testSettings } from '../test-support/test-settings'

// Real host, real Redis, real browser: edit [schedule] in the Scheduler tab, apply it through
// Save & Restart, and watch trading_enabled follow in the header chip and in Redis itself.
const ROOT = resolve(import.meta.dirname, '..')
const TRADING_KEY = 'stackdeck:trading_enabled'
const OVERRIDE_KEY = 'stackdeck:schedule_override'
const ZONE = 'Asia/Tokyo' // no DST: "now ± 1h" is unambiguous whatever the date

let host: RunningHost
let dir: string
let configPath: string
let redis: Redis

test.describe.configure({ mode: 'serial' })
test.skip(!hasTestRedis(), 'SKIPPED: no test Redis (run through `npm test` or scripts/with-test-env.sh)')

test.beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sd-schedule-e2e-'))
  configPath = join(dir, 'config', 'config.toml')
  await mkdir(join(dir, 'config'))
  await copyFile(join(ROOT, 'config.example.toml'), configPath)
  redis = newTestRedis()
  // An override left by an earlier run would decide the state instead of the schedule under test.
  await redis.del(OVERRIDE_KEY)
  host = await startHostProcess(
    testSettings({ services: [], config: { path: configPath }, stateDir: join(dir, 'state'), schedule: { enabled: true } }),
  )
})

test.afterAll(async () => {
  await host?.stop()
  if (redis) {
    await redis.del(TRADING_KEY, OVERRIDE_KEY)
    redis.disconnect()
  }
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** "HH:MM" in ZONE, `deltaMin` minutes from now. */
function hhmm(deltaMin: number): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    new Date(Date.now() + deltaMin * 60_000),
  )
}

async function flagValue(): Promise<boolean | null> {
  const raw = await redis.get(TRADING_KEY)
  return raw === null ? null : (JSON.parse(raw) as { value: boolean }).value
}

async function openScheduler(page: Page) {
  await page.goto(`${host.url}/#token=${host.token}`)
  await expect(page.getByText('api: open')).toBeVisible()
  await page.getByRole('tab', { name: 'Scheduler' }).click()
  await expect(page.getByTestId('start-time')).toBeVisible()
}

async function setWindow(page: Page, start: string, stop: string) {
  await page.getByTestId('start-time').fill(start)
  await page.getByTestId('stop-time').fill(stop)
}

async function apply(page: Page) {
  await expect(page.getByTestId('apply-status')).toHaveText('Unsaved changes')
  await page.getByTestId('save-restart').click()
  await expect(page.getByTestId('confirm-dialog')).toContainText('Schedule:')
  await page.getByTestId('confirm-ok').click()
  await expect(page.getByTestId('toast-success').filter({ hasText: 'Configuration applied' }).last()).toBeVisible()
  await expect(page.getByTestId('apply-status')).toHaveText('Matches config.toml')
}

const chip = (page: Page) => page.locator('header').getByTestId('trading-chip')

test('a window around now, applied, turns trading on; one that excludes now turns it off', async ({ page }, info) => {
  await openScheduler(page)
  // The editor starts from config.toml as it is on disk.
  await expect(page.getByTestId('start-time')).toHaveValue('09:30')
  await expect(page.getByTestId('stop-time')).toHaveValue('16:00')
  await expect(page.getByTestId('timezone')).toHaveValue('America/New_York')
  await expect(page.getByTestId('day-sat')).toHaveAttribute('aria-pressed', 'false')

  // Every day, so the test does not depend on the weekday; the example's early closes would fall
  // outside a window around now (the preview rejects those), so they go.
  await page.getByTestId('timezone').fill(ZONE)
  await page.getByTestId('day-sat').click()
  await page.getByTestId('day-sun').click()
  await expect(page.getByTestId('day-sun')).toHaveAttribute('aria-pressed', 'true')
  await page.getByRole('button', { name: /Remove early close/ }).first().click()
  await page.getByRole('button', { name: /Remove early close/ }).first().click()
  await expect(page.getByTestId('early-item')).toHaveCount(0)
  await page.getByTestId('holiday-date').fill('2027-12-24')
  await page.getByTestId('holiday-add').click()
  await expect(page.getByTestId('holiday-item').filter({ hasText: '2027-12-24' })).toHaveCount(1)

  // Live validation: start == stop is an error shown at the field, and Apply is held back.
  const start = hhmm(-60)
  await setWindow(page, start, start)
  await expect(page.getByTestId('schedule-editor').getByRole('alert').first()).toBeVisible()
  await expect(page.getByTestId('save-restart')).toBeDisabled()

  const stop = hhmm(60)
  await page.getByTestId('stop-time').fill(stop)
  await expect(page.getByTestId('schedule-editor').getByRole('alert')).toHaveCount(0)
  await expect(page.getByTestId('preview-state')).toHaveAttribute('data-enabled', 'true')
  const first = page.getByTestId('preview-transitions').getByTestId('transition-row').first()
  await expect(first).toHaveAttribute('data-kind', 'stop')
  await expect(first).toContainText(stop)
  await expect(page.getByTestId('preview-transitions').getByTestId('transition-row')).toHaveCount(5)

  await page.screenshot({ path: info.outputPath('schedule-tab.png'), fullPage: true })
  await apply(page)

  await expect(chip(page)).toHaveAttribute('data-enabled', 'true')
  await expect(chip(page)).toContainText('enabled')
  await expect(page.getByTestId('trading-headline')).toHaveText('Trading enabled')
  await expect(page.getByTestId('trading-next')).toContainText(`stop at ${stop} ${ZONE}`)
  await expect.poll(flagValue).toBe(true)
  // Only [schedule] changed, and the file's comments survived the patch.
  const text = await readFile(configPath, 'utf8')
  expect(text).toContain(`timezone = "${ZONE}"`)
  expect(text).toContain('# Times are local to `timezone`.')
  expect(text).toContain('max_position = 5_000')

  // A window that starts in an hour: trading goes off.
  await setWindow(page, hhmm(60), hhmm(120))
  await expect(page.getByTestId('preview-state')).toHaveAttribute('data-enabled', 'false')
  await apply(page)
  await expect(chip(page)).toHaveAttribute('data-enabled', 'false')
  await expect(chip(page)).toContainText('disabled')
  await expect.poll(flagValue).toBe(false)
  await page.screenshot({ path: info.outputPath('schedule-tab-disabled.png'), fullPage: true })
})

test('a manual override forces trading on until cleared, visibly, then the schedule takes over', async ({ page }, info) => {
  await openScheduler(page)
  // The previous test left a window that excludes now.
  await expect(chip(page)).toHaveAttribute('data-enabled', 'false')
  await page.getByTestId('override-until').selectOption('cleared')
  await page.getByTestId('override-reason').fill('e2e drill')
  await page.getByTestId('force-on').click()
  await expect(page.getByTestId('confirm-dialog')).toContainText('until you clear it')
  await page.getByTestId('confirm-ok').click()

  await expect(chip(page)).toHaveAttribute('data-enabled', 'true')
  await expect(chip(page)).toHaveAttribute('data-override', 'true')
  await expect(chip(page)).toContainText('override')
  await expect(page.getByTestId('override-banner')).toContainText('forced ON by admin')
  await expect(page.getByTestId('override-banner')).toContainText('e2e drill')
  await expect(page.getByTestId('trading-source')).toHaveText('override')
  await expect.poll(flagValue).toBe(true)
  await page.screenshot({ path: info.outputPath('schedule-override.png'), fullPage: true })

  await page.getByTestId('clear-override').click()
  await page.getByTestId('confirm-ok').click()
  await expect(chip(page)).toHaveAttribute('data-override', 'false')
  await expect(chip(page)).toHaveAttribute('data-enabled', 'false')
  await expect(page.getByTestId('override-banner')).toHaveCount(0)
  await expect.poll(flagValue).toBe(false)
})
