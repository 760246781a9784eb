import { expect, test, type AppShell, type SchedulePage } from './pages'
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

async function openScheduler(shell: AppShell, schedule: SchedulePage) {
  await shell.openConnected(host.url, host.token)
  await shell.openTab('Scheduler')
  await expect(schedule.startTime).toBeVisible()
}

/** Applies the edited schedule through Save & Restart and waits until the tab matches the file. */
async function apply(shell: AppShell, schedule: SchedulePage) {
  await expect(schedule.applyStatus).toHaveText('Unsaved changes')
  await schedule.saveRestart.click()
  await expect(shell.confirmDialog).toContainText('Schedule:')
  await shell.confirmOk.click()
  await expect(shell.toast('success', 'Configuration applied').last()).toBeVisible()
  await expect(schedule.applyStatus).toHaveText('Matches config.toml')
}

test('a window around now, applied, turns trading on; one that excludes now turns it off', async ({ page, shell, schedule }, info) => {
  await openScheduler(shell, schedule)
  // The editor starts from config.toml as it is on disk.
  await expect(schedule.startTime).toHaveValue('09:30')
  await expect(schedule.stopTime).toHaveValue('16:00')
  await expect(schedule.timezone).toHaveValue('America/New_York')
  await expect(schedule.day('sat')).toHaveAttribute('aria-pressed', 'false')

  // Every day, so the test does not depend on the weekday; the example's early closes would fall
  // outside a window around now (the preview rejects those), so they go.
  await schedule.timezone.fill(ZONE)
  await schedule.day('sat').click()
  await schedule.day('sun').click()
  await expect(schedule.day('sun')).toHaveAttribute('aria-pressed', 'true')
  await schedule.removeEarlyClose.first().click()
  await schedule.removeEarlyClose.first().click()
  await expect(schedule.earlyCloses).toHaveCount(0)
  await schedule.holidayDate.fill('2027-12-24')
  await schedule.addHoliday.click()
  await expect(schedule.holidays.filter({ hasText: '2027-12-24' })).toHaveCount(1)

  // Live validation: start == stop is an error shown at the field, and Apply is held back.
  const start = hhmm(-60)
  await schedule.setWindow(start, start)
  await expect(schedule.editorAlerts.first()).toBeVisible()
  await expect(schedule.saveRestart).toBeDisabled()

  const stop = hhmm(60)
  await schedule.stopTime.fill(stop)
  await expect(schedule.editorAlerts).toHaveCount(0)
  await expect(schedule.previewState).toHaveAttribute('data-enabled', 'true')
  const first = schedule.previewTransitions.first()
  await expect(first).toHaveAttribute('data-kind', 'stop')
  await expect(first).toContainText(stop)
  await expect(schedule.previewTransitions).toHaveCount(5)

  await page.screenshot({ path: info.outputPath('schedule-tab.png'), fullPage: true })
  await apply(shell, schedule)

  await expect(shell.tradingChip).toHaveAttribute('data-enabled', 'true')
  await expect(shell.tradingChip).toContainText('enabled')
  await expect(schedule.tradingHeadline).toHaveText('Trading enabled')
  await expect(schedule.tradingNext).toContainText(`stop at ${stop} ${ZONE}`)
  await expect.poll(flagValue).toBe(true)
  // Only [schedule] changed, and the file's comments survived the patch.
  const text = await readFile(configPath, 'utf8')
  expect(text).toContain(`timezone = "${ZONE}"`)
  expect(text).toContain('# Times are local to `timezone`.')
  expect(text).toContain('max_position = 5_000')

  // A window that starts in an hour: trading goes off.
  await schedule.setWindow(hhmm(60), hhmm(120))
  await expect(schedule.previewState).toHaveAttribute('data-enabled', 'false')
  await apply(shell, schedule)
  await expect(shell.tradingChip).toHaveAttribute('data-enabled', 'false')
  await expect(shell.tradingChip).toContainText('disabled')
  await expect.poll(flagValue).toBe(false)
  await page.screenshot({ path: info.outputPath('schedule-tab-disabled.png'), fullPage: true })
})

test('a manual override forces trading on until cleared, visibly, then the schedule takes over', async ({ page, shell, schedule }, info) => {
  await openScheduler(shell, schedule)
  // The previous test left a window that excludes now.
  await expect(shell.tradingChip).toHaveAttribute('data-enabled', 'false')
  await schedule.overrideUntil.selectOption('cleared')
  await schedule.overrideReason.fill('e2e drill')
  await schedule.forceOn.click()
  await expect(shell.confirmDialog).toContainText('until you clear it')
  await shell.confirmOk.click()

  await expect(shell.tradingChip).toHaveAttribute('data-enabled', 'true')
  await expect(shell.tradingChip).toHaveAttribute('data-override', 'true')
  await expect(shell.tradingChip).toContainText('override')
  await expect(schedule.overrideBanner).toContainText('forced ON by admin')
  await expect(schedule.overrideBanner).toContainText('e2e drill')
  await expect(schedule.tradingSource).toHaveText('override')
  await expect.poll(flagValue).toBe(true)
  await page.screenshot({ path: info.outputPath('schedule-override.png'), fullPage: true })

  await schedule.clearOverride.click()
  await shell.confirmOk.click()
  await expect(shell.tradingChip).toHaveAttribute('data-override', 'false')
  await expect(shell.tradingChip).toHaveAttribute('data-enabled', 'false')
  await expect(schedule.overrideBanner).toHaveCount(0)
  await expect.poll(flagValue).toBe(false)
})
