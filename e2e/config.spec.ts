import { createHash } from 'node:crypto'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expect, test, type AppShell, type ConfigPage } from './pages'
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

/** Opens the Config tab and waits until it shows the file on disk, with nothing unsaved. */
async function openConfig(shell: AppShell, config: ConfigPage): Promise<void> {
  await shell.open(host.url, host.token)
  await shell.openTab('Config')
  await expect(config.view).toBeVisible()
  await expect(config.hash).toHaveText(sha(onDisk()).slice(0, 12))
  await expect(config.unsavedIndicator).toHaveAttribute('data-dirty', 'false')
}

test('an invalid value shows its error next to the field, in the summary and in the raw gutter, and blocks saving', async ({ shell, config }) => {
  await openConfig(shell, config)
  const before = onDisk()
  const field = config.field('/risk/max_position')
  await expect(field.locator('.cfg-apply')).toHaveText('hot')
  await expect(field).toContainText('Largest absolute position per symbol')

  await config.numberField('/risk/max_position').fill('-5')
  await expect(config.fieldError('/risk/max_position')).toContainText('must be >= 0 (got -5)')
  await expect(field).toHaveAttribute('data-invalid', 'true')
  await expect(config.numberField('/risk/max_position')).toHaveAttribute('aria-invalid', 'true')
  await expect(config.issues('/risk/max_position')).toHaveCount(1)
  await expect(config.unsavedIndicator).toHaveAttribute('data-dirty', 'true')
  for (const button of [config.save, config.saveRestart]) {
    await expect(button).toBeDisabled()
    await expect(button).toHaveAttribute('title', /Invalid: 1 error .*\/risk\/max_position/)
  }
  // It looks disabled (not a half-faded green) and says why next to it.
  expect(await config.saveRestart.evaluate((b) => getComputedStyle(b).backgroundColor)).not.toBe('rgb(35, 134, 54)')
  await expect(config.page.getByTestId('save-restart-blocked')).toContainText('/risk/max_position')

  // The same draft in the raw editor: the server's text keeps the comments, the bad line is marked.
  await config.rawMode.click()
  const raw = config.rawEditor
  await expect(raw).toHaveValue(/max_position = -5\s+# shares\/contracts per symbol/)
  const line = lineOf(await raw.inputValue(), 'max_position = -5')
  expect(line).toBeGreaterThan(1)
  await expect(config.rawErrorLine(line)).toBeVisible()
  await config.issues().first().getByRole('button').click()
  await expect(raw).toBeFocused()
  const caret = await raw.evaluate((el: unknown) => {
    const ta = el as { value: string; selectionStart: number }
    return ta.value.slice(0, ta.selectionStart).split('\n').length
  })
  expect(caret).toBe(line)

  // A parse error in the raw text is located by line and column.
  await raw.fill(`${await raw.inputValue()}\nbroken = = 1\n`)
  await expect(config.issues().filter({ hasText: /line \d+:\d+/ })).not.toHaveCount(0)
  await expect(config.save).toBeDisabled()

  // Back to a valid value: saving is possible again, and nothing was written meanwhile.
  await config.discardEdits.click()
  await shell.confirmOk.click()
  await config.formMode.click()
  await config.numberField('/risk/max_position').fill('6000')
  await expect(config.save).toBeEnabled()
  await expect(config.fieldError('/risk/max_position')).toHaveCount(0)
  expect(onDisk()).toBe(before)
})

test('a valid edit saved with Save is diffed first, backs the old file up and shows in History', async ({ page, shell, config }) => {
  await openConfig(shell, config)
  const backupsBefore = backupsOnDisk()
  await expect(config.backupRows).toHaveCount(backupsBefore.length)

  await config.numberField('/scanner/max_candidates').fill('30')
  await config.numberField('/scanner/workers').fill('3')
  const hot = config.changeRow('/scanner/max_candidates')
  await expect(hot).toContainText('25')
  await expect(hot).toContainText('30')
  await expect(hot).toContainText('takes effect on reload')
  const restart = config.changeRow('/scanner/workers')
  await expect(restart).toContainText('needs a service restart')
  await expect(config.restartNote).toHaveAttribute('data-restart', 'true')
  await expect(config.unifiedDiff).toContainText('-max_candidates = 25')
  await expect(config.unifiedDiff).toContainText('+max_candidates = 30')
  await page.screenshot({ path: join(SHOTS, 'stackdeck-config-tab.png'), fullPage: true })

  await config.save.click()
  await expect(shell.confirmDialog).toContainText('2 changes')
  await shell.confirmOk.click()
  await expect(shell.toast('success', 'config.toml saved')).toBeVisible()

  const text = onDisk()
  expect(text).toContain('max_candidates = 30     # hot')
  expect(text).toContain('workers = 3             # restart: the worker pool is sized at start')
  await expect(config.hash).toHaveText(sha(text).slice(0, 12))
  await expect(config.unsavedIndicator).toHaveAttribute('data-dirty', 'false')

  const backupsAfter = backupsOnDisk()
  expect(backupsAfter).toHaveLength(backupsBefore.length + 1)
  const added = backupsAfter.find((b) => !backupsBefore.includes(b))!
  await expect(config.backupRows).toHaveCount(backupsAfter.length)
  const row = config.backup(added)
  await expect(row).toBeVisible()
  await row.getByRole('button', { name: /^Diff/ }).click()
  await expect(config.changeRow('/scanner/max_candidates', config.backupDiff)).toContainText('30')

  // Restore it: a validated save of the backup, itself backed up first.
  await row.getByRole('button', { name: /^Restore/ }).click()
  await shell.confirmOk.click()
  await expect(shell.toast('success', `Restored ${added}`)).toBeVisible()
  expect(onDisk()).toBe(EXAMPLE)
  await expect(config.hash).toHaveText(sha(EXAMPLE).slice(0, 12))
  await expect(config.backupRows).toHaveCount(backupsAfter.length + 1)
})

test('a change on disk shows a banner; a save over it is refused as a conflict until the new file is loaded', async ({ shell, config }) => {
  await openConfig(shell, config)
  await config.numberField('/risk/max_open_orders').fill('41')
  await expect(config.save).toBeEnabled()

  writeFileSync(cfg.path, onDisk().replace('max_orders_per_minute = 120', 'max_orders_per_minute = 90'))
  const banner = config.diskBanner
  await expect(banner).toHaveAttribute('data-reason', 'changed')
  await expect(config.changeRow('/risk/max_orders_per_minute', banner)).toContainText('90')
  await config.keepMyEdits.click()
  await expect(banner).toHaveAttribute('data-kept', 'true')
  await expect(config.numberField('/risk/max_open_orders')).toHaveValue('41')

  await config.save.click()
  await shell.confirmOk.click()
  await expect(banner).toHaveAttribute('data-reason', 'conflict')
  expect(onDisk()).toContain('max_open_orders = 40')

  await config.loadFromDisk.click()
  await expect(banner).toHaveCount(0)
  await expect(config.numberField('/risk/max_orders_per_minute')).toHaveValue('90')
  await expect(config.numberField('/risk/max_open_orders')).toHaveValue('40')
  await expect(config.hash).toHaveText(sha(onDisk()).slice(0, 12))
  writeFileSync(cfg.path, EXAMPLE)
})

test('Save & Restart from the form: steps tick, the toast reports success, the containers see the new value', async ({ page, shell, config }) => {
  test.skip(!hasTestDocker(), 'SKIPPED: no test Docker engine (run through scripts/with-test-env.sh)')
  await openConfig(shell, config)
  for (const id of ids) await waitForLog(id, /started pid=/)

  await config.numberField('/risk/max_open_orders').fill('55')
  await expect(config.saveRestart).toBeEnabled()
  // max_open_orders is x-apply hot, so it would apply without pausing: force the paused path (keyboard).
  await expect(config.applyModeHint).toHaveAttribute('data-mode', 'hot')
  await expect(config.applyModeHint).toHaveText('hot: applied without pausing')
  await config.forcePaused.focus()
  await page.keyboard.press('Space')
  await expect(config.forcePaused).toBeChecked()
  await expect(config.applyModeHint).toHaveAttribute('data-mode', 'paused')
  await expect(config.applyModeHint).toHaveText(/^paused \(you asked\): the stack will be paused for (about \d+ ms|an unknown time)/)
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
  await config.saveRestart.click()
  await expect(shell.confirmDialog).toContainText('/risk/max_open_orders')
  await shell.confirmOk.click()

  for (const step of ['validate', 'pause', 'write', 'unpause', 'reload', 'verify'] as const) {
    await expect(config.step(step)).toHaveAttribute('data-status', 'ok', { timeout: 60_000 })
  }
  await expect(shell.toast('success', 'Configuration applied')).toBeVisible()
  const seen = await page.evaluate<string[]>('window.__steps')
  expect(seen).toContain('step-pause:running')
  expect(seen.indexOf('step-pause:ok')).toBeLessThan(seen.indexOf('step-verify:ok'))
  // The report: paused, the freeze with its clock, and per container the proof that it sees the new file.
  await expect(config.runSummary).toHaveAttribute('data-mode', 'paused')
  await expect(config.runFreeze).toHaveText(/^frozen \d+ ms \((engine events|Stackdeck’s clock)\)$/)
  await expect(config.fileProofs({ matches: 'true' })).toHaveCount(ids.length)

  const text = onDisk()
  expect(text).toContain('max_open_orders = 55')
  for (const id of ids) {
    const r = await execIn(id, ['cat', '/config/config.toml'])
    expect(r.exitCode).toBe(0)
    expect(r.output).toBe(text)
    await waitForLog(id, new RegExp(`Config reloaded sha=${createHash('md5').update(text).digest('hex')}`))
  }
  // The tab picked up its own write: new hash, nothing unsaved, a new backup listed.
  await expect(config.hash).toHaveText(sha(text).slice(0, 12))
  await expect(config.unsavedIndicator).toHaveAttribute('data-dirty', 'false')
  await expect(config.backupRows).toHaveCount(backupsOnDisk().length)
  // "Pause the stack anyway" was for that run only: the next edit starts unticked.
  await config.numberField('/risk/max_open_orders').fill('56')
  await expect(config.forcePaused).not.toBeChecked()
  await config.discardEdits.click()
  await shell.confirmOk.click()
  await expect(config.unsavedIndicator).toHaveAttribute('data-dirty', 'false')
})

test('How the stack sees this file: both fixtures mount the directory and see the host bytes', async ({ shell, config }) => {
  test.skip(!hasTestDocker(), 'SKIPPED: no test Docker engine (run through scripts/with-test-env.sh)')
  await openConfig(shell, config)
  await expect(config.configViewsSummary).toHaveText(`${ids.length} containers: ${ids.length} directory.`)
  await expect(config.configViewEntries({ kind: 'directory' })).toHaveCount(ids.length)
  await expect(config.singleFileRefusal).toHaveCount(0)
  await config.checkConfigViews.click()
  await expect(config.configViewEntries({ verdict: 'match' })).toHaveCount(ids.length)
  await expect(config.configViewVerdicts.first()).toContainText('Same bytes as the host file')
})

test('a hot-only change applies without pausing: the hint says so, and the report says not paused', async ({ shell, config }) => {
  test.skip(!hasTestDocker(), 'SKIPPED: no test Docker engine (run through scripts/with-test-env.sh)')
  await openConfig(shell, config)
  for (const id of ids) await waitForLog(id, /started pid=/)
  const now = Number(/max_open_orders = (\d+)/.exec(onDisk())?.[1] ?? 40)
  await config.numberField('/risk/max_open_orders').fill(String(now + 1))
  await expect(config.applyModeHint).toHaveText('hot: applied without pausing')
  await config.saveRestart.click()
  await expect(shell.confirmDialog).toContainText('nothing is paused')
  await shell.confirmOk.click()
  await expect(config.step('verify')).toHaveAttribute('data-status', 'ok', { timeout: 60_000 })
  await expect(config.step('pause')).toHaveAttribute('data-status', 'skipped')
  await expect(config.runSummary).toHaveAttribute('data-mode', 'hot')
  await expect(config.runFreeze).toHaveText('not paused')
  for (const id of ids) expect((await execIn(id, ['cat', '/config/config.toml'])).output).toBe(onDisk())
})
