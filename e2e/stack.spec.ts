import { chmodSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { expect, test } from './pages'
import { createConfigDir, hasTestDocker, removeFixtures, startFixtures, testDocker, testImage, testLabels } from '../test-support/docker-fixtures'
import { startHostProcess, type RunningHost } from '../test-support/host-process'
import { testSettings } from '../test-support/test-settings'

// Real engine, real host, real browser: the Stack tab through the WebSocket door. The orchestrator
// fixtures mount the config directory, the scanners mount nothing, and one feeder bind-mounts the
// config FILE itself: the three views the Config column must tell apart.
const run = `stack-${Math.random().toString(36).slice(2, 8)}`
const EXAMPLE = readFileSync(resolve(import.meta.dirname, '../config.example.toml'), 'utf8')
let host: RunningHost
let cfg: Awaited<ReturnType<typeof createConfigDir>> | undefined
let ids: string[] = []
let orchIds: string[] = []
let feederName = ''
const nameOf = async (id: string) => (await testDocker().getContainer(id).inspect()).Name.replace(/^\//, '')

test.skip(!hasTestDocker(), 'SKIPPED: no test Docker engine (run through `npm test` or scripts/with-test-env.sh)')

test.beforeAll(async () => {
  cfg = await createConfigDir(EXAMPLE)
  chmodSync(cfg.dir, 0o755)
  chmodSync(cfg.path, 0o644)
  const orch = await startFixtures({ count: 2, service: 'orch', labels: { app: 'python-orchestrator', e2e: run }, configDir: cfg.dir })
  const scan = await startFixtures({ count: 4, service: 'scan', labels: { app: 'go-scanner', e2e: run } })
  // A single-file bind mount, as many compose files do it: it keeps the old inode after a save.
  const feeder = await testDocker().createContainer({
    Image: testImage(),
    name: `sdt-feeder-0-${run}`,
    Env: ['SERVICE_NAME=feeder-0'],
    Labels: { app: 'feeder', e2e: run, ...testLabels() },
    StopTimeout: 5,
    HostConfig: { NetworkMode: 'none', Binds: [`${cfg.path}:/config/config.toml:ro`] },
  })
  await feeder.start()
  orchIds = orch
  ids = [...orch, ...scan, feeder.id]
  feederName = await nameOf(feeder.id)
  // One container left exited, to prove the view shows real states rather than assuming "running".
  await testDocker().getContainer(scan[3] as string).stop({ t: 0 })
  host = await startHostProcess(
    testSettings({
      services: [
        { name: 'orchestrator', selector: { app: 'python-orchestrator', e2e: run }, reload: { signal: 'SIGUSR1' } },
        { name: 'scanner', selector: { app: 'go-scanner', e2e: run }, reload: { signal: 'SIGHUP' } },
        { name: 'feeder', selector: { app: 'feeder', e2e: run }, reload: { signal: 'SIGHUP' } },
      ],
      config: { path: cfg.path },
      schedule: { enabled: false },
    }),
  )
})

test.afterAll(async () => {
  await host?.stop()
  await removeFixtures({ e2e: run })
  await cfg?.cleanup()
})

const running = () => ids.filter((_, i) => i !== 5)

test('lists the fixture containers by service with their real states', async ({ shell, stack }) => {
  await shell.openConnected(host.url, host.token)
  await expect(stack.containerRows).toHaveCount(7)
  await expect(stack.rowsOf('orchestrator')).toHaveCount(2)
  await expect(stack.rowsOf('scanner')).toHaveCount(4)
  // Compare every row with what the engine itself says.
  for (const id of ids) {
    const info = await testDocker().getContainer(id).inspect()
    const name = info.Name.replace(/^\//, '')
    const want = info.State.Paused ? 'paused' : info.State.Status
    await expect(stack.row(name)).toHaveAttribute('data-state', want)
  }
  await expect(stack.rowsWhere({ state: 'exited' })).toHaveCount(1)
})

test('pauses the stack from the UI, every running badge turns paused, then resumes', async ({ shell, stack }) => {
  await shell.open(host.url, host.token)
  await expect(stack.containerRows).toHaveCount(7)
  // Only what applies is offered: nothing is paused yet, so Resume is off and says why.
  await expect(stack.resumeStack).toBeDisabled()
  await expect(stack.resumeStack).toHaveAttribute('title', 'nothing is paused')
  await stack.pauseStack.click()
  // The toast names its target and counts in words (the exited scanner is skipped, not paused).
  await expect(shell.toast('success', /^Paused the whole stack: 7 containers in \d+ ms: 6 ok, 1 skipped/)).toBeVisible()
  await expect(stack.rowsWhere({ state: 'paused' })).toHaveCount(6)
  for (const id of running()) expect((await testDocker().getContainer(id).inspect()).State.Paused).toBe(true)
  await expect(stack.pauseStack).toBeDisabled()
  await expect(stack.pauseStack).toHaveAttribute('title', 'nothing is running')

  await stack.resumeStack.click()
  await expect(stack.rowsWhere({ state: 'running' })).toHaveCount(6)
  await expect(stack.rowsWhere({ state: 'paused' })).toHaveCount(0)
  for (const id of running()) expect((await testDocker().getContainer(id).inspect()).State.Running).toBe(true)
})

test('a container paused behind Stackdeck’s back shows up live, without a reload', async ({ shell, stack }) => {
  await shell.open(host.url, host.token)
  await expect(stack.containerRows).toHaveCount(7)
  const c = testDocker().getContainer(ids[0] as string)
  const name = (await c.inspect()).Name.replace(/^\//, '')
  await c.pause()
  await expect(stack.row(name)).toHaveAttribute('data-state', 'paused')
  await c.unpause()
  await expect(stack.row(name)).toHaveAttribute('data-state', 'running')
})

test('a restart asks for confirmation first', async ({ page, shell, stack }) => {
  await shell.open(host.url, host.token)
  await expect(stack.containerRows).toHaveCount(7)
  await stack.restartStack.click()
  await expect(shell.confirmDialog).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(shell.confirmDialog).toBeHidden()
})

test('the Config column shows how each container sees config.toml; a single-file mount opens to its compose fix', async ({ page, context, shell, stack }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'])
  await shell.open(host.url, host.token)
  await expect(stack.containerRows).toHaveCount(7)
  for (const id of orchIds) await expect(stack.row(await nameOf(id))).toHaveAttribute('data-config-kind', 'directory')
  await expect(stack.rowsWhere({ 'config-kind': 'none' }, stack.service('scanner'))).toHaveCount(4)
  await expect(stack.row(feederName)).toHaveAttribute('data-config-kind', 'file')
  await expect(stack.configBadge(await nameOf(orchIds[0] as string))).toHaveText(/✓ directory/)
  await expect(stack.singleFileNote).toContainText(feederName)

  // Keyboard: the badge is a button; Enter opens the detail with the refusal and the exact fix.
  const badge = stack.configBadge(feederName)
  await expect(badge).toHaveText(/⚠ single file/)
  await badge.focus()
  await page.keyboard.press('Enter')
  await expect(badge).toHaveAttribute('aria-expanded', 'true')
  const detail = stack.configDetail(feederName)
  await expect(detail.detail).toContainText('/config/config.toml')
  await expect(detail.fixReplace).toHaveText(`- ${cfg?.path}:/config/config.toml:ro`)
  await expect(detail.fixWith).toHaveText(`- ${cfg?.dir}:/config:ro`)
  await detail.copyFix.click()
  await expect(shell.toast('success', 'Compose line copied')).toBeVisible()
  expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(`- ${cfg?.dir}:/config:ro`)
  await page.keyboard.press('Escape')
  await badge.focus()
  await page.keyboard.press('Enter')
  await expect(detail.root).toHaveCount(0)
})

test('the Config tab warns before Save & Restart that the single-file mount will be refused, and the run is', async ({ shell, config }) => {
  await shell.open(host.url, host.token)
  await shell.openTab('Config')
  await expect(config.configViewsSummary).toHaveText('7 containers: 2 directory, 1 single-file, 4 not mounted.')

  // Reading what each container sees: the directory mounts match; the single-file one is proved from inside.
  await config.checkConfigViews.click()
  for (const id of orchIds) await expect(config.configViewEntry(await nameOf(id))).toHaveAttribute('data-verdict', 'match')
  const feeder = config.configViewEntry(feederName)
  await expect(feeder).toHaveAttribute('data-verdict', 'match')
  await expect(feeder).toContainText('cannot prove')

  await config.numberField('/risk/max_open_orders').fill('41')
  await expect(config.singleFileRefusal).toContainText('Save & Restart will be refused')
  await expect(config.refusalFix(feederName)).toContainText(`- ${cfg?.dir}:/config:ro`)
  await expect(config.applyModeHint).toHaveAttribute('data-mode', 'refused')

  // The core agrees: refused before anything is paused.
  await config.saveRestart.click()
  await shell.confirm()
  await expect(config.step('validate')).toHaveAttribute('data-status', 'failed')
  await expect(shell.toast('error', 'Save & Restart failed')).toContainText('bind-mount config.toml itself')
  expect(readFileSync(cfg?.path ?? '', 'utf8')).toBe(EXAMPLE)
})
