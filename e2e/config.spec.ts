import { createHash } from 'node:crypto'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { createConfigDir, execIn, hasTestDocker, removeFixtures, startFixtures, waitForLog } from '../test-support/docker-fixtures'
import { startHostProcess, type RunningHost } from '../test-support/host-process'
import { testSettings } from '../test-support/test-settings'

// The Config tab against the real headless host and a real config.toml on disk; the Save & Restart
// case also runs real fixture containers that bind-mount the config directory.
const run = `config-${Math.random().toString(36).slice(2, 8)}`
const EXAMPLE = readFileSync(resolve(import.meta.dirname, '../config.example.toml'), 'utf8')
const SHOTS = process.env['STACKDECK_E2E_SHOTS'] ?? tmpdir()

let host: RunningHost
let cfg: Awaited<ReturnType<typeof createConfigDir>>
let stateDir: string
let ids: string[] = []

const sha = (text: string) => createHash('sha256').update(text).digest('hex')
const onDisk = () => readFileSync(cfg.path, 'utf8')
const backupsOnDisk = () => readdirSync(cfg.dir).filter((n) => n.startsWith('config.toml.bak.'))
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.startsWith(needle)) + 1

test.beforeAll(async () => {
  cfg = await createConfigDir(EXAMPLE)
  chmodSync(cfg.dir, 0o755)
  chmodSync(cfg.path, 0o644)
  stateDir = mkdtempSync(join(tmpdir(), 'stackdeck-e2e-config-state-'))
  if (hasTestDocker()) {
    ids = await startFixtures({ count: 2, service: 'orch', labels: { app: 'python-orchestrator', e2e: run }, configDir: cfg.dir })
  }
  host = await startHostProcess(
    testSettings({
      services: [
        {
          name: 'orchestrator',
          selector: { app: 'python-orchestrator', e2e: run },
          reload: { signal: 'SIGUSR1', logPattern: 'Config reloaded', timeoutMs: 20_000 },
        },
      ],
      config: { path: cfg.path, keepBackups: 10 },
      schedule: { enabled: false },
      stateDir,
    }),
  )
})

test.afterAll(async () => {
  await host?.stop()
  if (hasTestDocker()) await removeFixtures({ e2e: run })
  await cfg?.cleanup()
  if (stateDir) rmSync(stateDir, { recursive: true, force: true })
})

async function openConfig(page: Page): Promise<void> {
  await page.goto(`${host.url}/#token=${host.token}`)
  await page.getByRole('tab', { name: 'Config' }).click()
  await expect(page.getByTestId('config-view')).toBeVisible()
  await expect(page.getByTestId('config-hash')).toHaveText(sha(onDisk()).slice(0, 12))
  await expect(page.getByTestId('unsaved-indicator')).toHaveAttribute('data-dirty', 'false')
}

const numberField = (page: Page, pointer: string) =>
  page.getByTestId(`field-${pointer}`).getByRole('spinbutton', { name: pointer.split('/').pop() })

test('an invalid value shows its error next to the field, in the summary and in the raw gutter, and blocks saving', async ({ page }) => {
  await openConfig(page)
  const before = onDisk()
  const field = page.getByTestId('field-/risk/max_position')
  await expect(field.locator('.cfg-apply')).toHaveText('hot')
  await expect(field).toContainText('Largest absolute position per symbol')

  await numberField(page, '/risk/max_position').fill('-5')
  await expect(page.getByTestId('field-error-/risk/max_position')).toContainText('must be >= 0 (got -5)')
  await expect(field).toHaveAttribute('data-invalid', 'true')
  await expect(numberField(page, '/risk/max_position')).toHaveAttribute('aria-invalid', 'true')
  await expect(page.locator('[data-testid=issue][data-path="/risk/max_position"]')).toHaveCount(1)
  await expect(page.getByTestId('unsaved-indicator')).toHaveAttribute('data-dirty', 'true')
  for (const id of ['config-save', 'save-restart']) {
    await expect(page.getByTestId(id)).toBeDisabled()
    await expect(page.getByTestId(id)).toHaveAttribute('title', /Invalid: 1 error .*\/risk\/max_position/)
  }

  // The same draft in the raw editor: the server's text keeps the comments, the bad line is marked.
  await page.getByTestId('mode-raw').click()
  const raw = page.locator('#cfg-raw')
  await expect(raw).toHaveValue(/max_position = -5\s+# shares\/contracts per symbol/)
  const line = lineOf(await raw.inputValue(), 'max_position = -5')
  expect(line).toBeGreaterThan(1)
  await expect(page.getByTestId(`raw-error-line-${line}`)).toBeVisible()
  await page.locator('[data-testid=issue]').first().getByRole('button').click()
  await expect(raw).toBeFocused()
  const caret = await raw.evaluate((el: unknown) => {
    const ta = el as { value: string; selectionStart: number }
    return ta.value.slice(0, ta.selectionStart).split('\n').length
  })
  expect(caret).toBe(line)

  // A parse error in the raw text is located by line and column.
  await raw.fill(`${await raw.inputValue()}\nbroken = = 1\n`)
  await expect(page.locator('[data-testid=issue]').filter({ hasText: /line \d+:\d+/ })).not.toHaveCount(0)
  await expect(page.getByTestId('config-save')).toBeDisabled()

  // Back to a valid value: saving is possible again, and nothing was written meanwhile.
  await page.getByRole('button', { name: 'Discard edits' }).click()
  await page.getByTestId('confirm-ok').click()
  await page.getByTestId('mode-form').click()
  await numberField(page, '/risk/max_position').fill('6000')
  await expect(page.getByTestId('config-save')).toBeEnabled()
  await expect(page.getByTestId('field-error-/risk/max_position')).toHaveCount(0)
  expect(onDisk()).toBe(before)
})

test('a valid edit saved with Save is diffed first, backs the old file up and shows in History', async ({ page }) => {
  await openConfig(page)
  const backupsBefore = backupsOnDisk()
  await expect(page.getByTestId('backup-row')).toHaveCount(backupsBefore.length)

  await numberField(page, '/scanner/max_candidates').fill('30')
  await numberField(page, '/scanner/workers').fill('3')
  const hot = page.locator('[data-testid=change-row][data-pointer="/scanner/max_candidates"]')
  await expect(hot).toContainText('25')
  await expect(hot).toContainText('30')
  await expect(hot).toContainText('takes effect on reload')
  const restart = page.locator('[data-testid=change-row][data-pointer="/scanner/workers"]')
  await expect(restart).toContainText('needs a service restart')
  await expect(page.getByTestId('restart-note')).toHaveAttribute('data-restart', 'true')
  await expect(page.getByTestId('unified-diff')).toContainText('-max_candidates = 25')
  await expect(page.getByTestId('unified-diff')).toContainText('+max_candidates = 30')
  await page.screenshot({ path: join(SHOTS, 'stackdeck-config-tab.png'), fullPage: true })

  await page.getByTestId('config-save').click()
  await expect(page.getByTestId('confirm-dialog')).toContainText('2 changes')
  await page.getByTestId('confirm-ok').click()
  await expect(page.getByTestId('toast-success').filter({ hasText: 'config.toml saved' })).toBeVisible()

  const text = onDisk()
  expect(text).toContain('max_candidates = 30     # hot')
  expect(text).toContain('workers = 3             # restart: the worker pool is sized at start')
  await expect(page.getByTestId('config-hash')).toHaveText(sha(text).slice(0, 12))
  await expect(page.getByTestId('unsaved-indicator')).toHaveAttribute('data-dirty', 'false')

  const backupsAfter = backupsOnDisk()
  expect(backupsAfter).toHaveLength(backupsBefore.length + 1)
  const added = backupsAfter.find((b) => !backupsBefore.includes(b))!
  await expect(page.getByTestId('backup-row')).toHaveCount(backupsAfter.length)
  const row = page.locator(`[data-testid=backup-row][data-name="${added}"]`)
  await expect(row).toBeVisible()
  await row.getByRole('button', { name: /^Diff/ }).click()
  await expect(page.locator('[data-testid=backup-diff] [data-testid=change-row][data-pointer="/scanner/max_candidates"]')).toContainText('30')

  // Restore it: a validated save of the backup, itself backed up first.
  await row.getByRole('button', { name: /^Restore/ }).click()
  await page.getByTestId('confirm-ok').click()
  await expect(page.getByTestId('toast-success').filter({ hasText: `Restored ${added}` })).toBeVisible()
  expect(onDisk()).toBe(EXAMPLE)
  await expect(page.getByTestId('config-hash')).toHaveText(sha(EXAMPLE).slice(0, 12))
  await expect(page.getByTestId('backup-row')).toHaveCount(backupsAfter.length + 1)
})

test('a change on disk shows a banner; a save over it is refused as a conflict until the new file is loaded', async ({ page }) => {
  await openConfig(page)
  await numberField(page, '/risk/max_open_orders').fill('41')
  await expect(page.getByTestId('config-save')).toBeEnabled()

  writeFileSync(cfg.path, onDisk().replace('max_orders_per_minute = 120', 'max_orders_per_minute = 90'))
  const banner = page.getByTestId('disk-banner')
  await expect(banner).toHaveAttribute('data-reason', 'changed')
  await expect(banner.locator('[data-testid=change-row][data-pointer="/risk/max_orders_per_minute"]')).toContainText('90')
  await page.getByTestId('disk-keep').click()
  await expect(banner).toHaveAttribute('data-kept', 'true')
  await expect(numberField(page, '/risk/max_open_orders')).toHaveValue('41')

  await page.getByTestId('config-save').click()
  await page.getByTestId('confirm-ok').click()
  await expect(banner).toHaveAttribute('data-reason', 'conflict')
  expect(onDisk()).toContain('max_open_orders = 40')

  await page.getByTestId('disk-load').click()
  await expect(banner).toHaveCount(0)
  await expect(numberField(page, '/risk/max_orders_per_minute')).toHaveValue('90')
  await expect(numberField(page, '/risk/max_open_orders')).toHaveValue('40')
  await expect(page.getByTestId('config-hash')).toHaveText(sha(onDisk()).slice(0, 12))
  writeFileSync(cfg.path, EXAMPLE)
})

test('Save & Restart from the form: steps tick, the toast reports success, the containers see the new value', async ({ page }) => {
  test.skip(!hasTestDocker(), 'SKIPPED: no test Docker engine (run through scripts/with-test-env.sh)')
  await openConfig(page)
  for (const id of ids) await waitForLog(id, /started pid=/)

  await numberField(page, '/risk/max_open_orders').fill('55')
  await expect(page.getByTestId('save-restart')).toBeEnabled()
  // max_open_orders is x-apply hot, so it would apply without pausing: force the paused path (keyboard).
  await expect(page.getByTestId('apply-mode-hint')).toHaveAttribute('data-mode', 'hot')
  await expect(page.getByTestId('apply-mode-hint')).toHaveText('hot: applied without pausing')
  await page.getByTestId('force-paused').focus()
  await page.keyboard.press('Space')
  await expect(page.getByTestId('force-paused')).toBeChecked()
  await expect(page.getByTestId('apply-mode-hint')).toHaveAttribute('data-mode', 'paused')
  await expect(page.getByTestId('apply-mode-hint')).toHaveText(/^paused \(you asked\): the stack will be paused for (about \d+ ms|an unknown time)/)
  // Record every status each step shows, to see the list tick rather than only its end state.
  // (A string, not a function: this file is type-checked without the DOM library.)
  await page.evaluate(`(() => {
    const seen = (window.__steps = [])
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[data-testid^="step-"]')) {
        const entry = el.getAttribute('data-testid') + ':' + el.getAttribute('data-status')
        if (!seen.includes(entry)) seen.push(entry)
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] })
  })()`)
  await page.getByTestId('save-restart').click()
  await expect(page.getByTestId('confirm-dialog')).toContainText('/risk/max_open_orders')
  await page.getByTestId('confirm-ok').click()

  for (const step of ['validate', 'pause', 'write', 'unpause', 'reload', 'verify']) {
    await expect(page.getByTestId(`step-${step}`)).toHaveAttribute('data-status', 'ok', { timeout: 60_000 })
  }
  await expect(page.getByTestId('toast-success').filter({ hasText: 'Configuration applied' })).toBeVisible()
  const seen = await page.evaluate<string[]>('window.__steps')
  expect(seen).toContain('step-pause:running')
  expect(seen.indexOf('step-pause:ok')).toBeLessThan(seen.indexOf('step-verify:ok'))
  // The report: paused, the freeze with its clock, and per container the proof that it sees the new file.
  await expect(page.getByTestId('run-summary')).toHaveAttribute('data-mode', 'paused')
  await expect(page.getByTestId('run-freeze')).toHaveText(/^frozen \d+ ms \((engine events|Stackdeck’s clock)\)$/)
  await expect(page.locator('[data-testid=container-checks] [data-testid=file-proof][data-matches=true]')).toHaveCount(ids.length)

  const text = onDisk()
  expect(text).toContain('max_open_orders = 55')
  for (const id of ids) {
    const r = await execIn(id, ['cat', '/config/config.toml'])
    expect(r.exitCode).toBe(0)
    expect(r.output).toBe(text)
    await waitForLog(id, new RegExp(`Config reloaded sha=${createHash('md5').update(text).digest('hex')}`))
  }
  // The tab picked up its own write: new hash, nothing unsaved, a new backup listed.
  await expect(page.getByTestId('config-hash')).toHaveText(sha(text).slice(0, 12))
  await expect(page.getByTestId('unsaved-indicator')).toHaveAttribute('data-dirty', 'false')
  await expect(page.getByTestId('backup-row')).toHaveCount(backupsOnDisk().length)
  // "Pause the stack anyway" was for that run only: the next edit starts unticked.
  await numberField(page, '/risk/max_open_orders').fill('56')
  await expect(page.getByTestId('force-paused')).not.toBeChecked()
  await page.getByRole('button', { name: 'Discard edits' }).click()
  await page.getByTestId('confirm-ok').click()
  await expect(page.getByTestId('unsaved-indicator')).toHaveAttribute('data-dirty', 'false')
})

test('How the stack sees this file: both fixtures mount the directory and see the host bytes', async ({ page }) => {
  test.skip(!hasTestDocker(), 'SKIPPED: no test Docker engine (run through scripts/with-test-env.sh)')
  await openConfig(page)
  const panel = page.getByTestId('config-views-panel')
  await expect(panel.getByTestId('config-views-summary')).toHaveText(`${ids.length} containers: ${ids.length} directory.`)
  await expect(panel.locator('[data-testid=config-view-entry][data-kind=directory]')).toHaveCount(ids.length)
  await expect(page.getByTestId('single-file-refusal')).toHaveCount(0)
  await panel.getByTestId('check-config-views').click()
  await expect(panel.locator('[data-testid=config-view-entry][data-verdict=match]')).toHaveCount(ids.length)
  await expect(panel.getByTestId('config-view-verdict').first()).toContainText('Same bytes as the host file')
})

test('a hot-only change applies without pausing: the hint says so, and the report says not paused', async ({ page }) => {
  test.skip(!hasTestDocker(), 'SKIPPED: no test Docker engine (run through scripts/with-test-env.sh)')
  await openConfig(page)
  for (const id of ids) await waitForLog(id, /started pid=/)
  const now = Number(/max_open_orders = (\d+)/.exec(onDisk())?.[1] ?? 40)
  await numberField(page, '/risk/max_open_orders').fill(String(now + 1))
  await expect(page.getByTestId('apply-mode-hint')).toHaveText('hot: applied without pausing')
  await page.getByTestId('save-restart').click()
  await expect(page.getByTestId('confirm-dialog')).toContainText('nothing is paused')
  await page.getByTestId('confirm-ok').click()
  await expect(page.getByTestId('step-verify')).toHaveAttribute('data-status', 'ok', { timeout: 60_000 })
  await expect(page.getByTestId('step-pause')).toHaveAttribute('data-status', 'skipped')
  await expect(page.getByTestId('run-summary')).toHaveAttribute('data-mode', 'hot')
  await expect(page.getByTestId('run-freeze')).toHaveText('not paused')
  for (const id of ids) expect((await execIn(id, ['cat', '/config/config.toml'])).output).toBe(onDisk())
})
