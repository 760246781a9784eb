import { expect, test } from '@playwright/test'
import { hasTestDocker, removeFixtures, startFixtures, testDocker } from './support/docker-fixtures'
import { startHostProcess, type RunningHost } from './support/host-process'
import { testSettings } from './support/test-settings'

// Real engine, real host, real browser: the Stack tab through the WebSocket door.
const run = `stack-${Math.random().toString(36).slice(2, 8)}`
let host: RunningHost
let ids: string[] = []

test.skip(!hasTestDocker(), 'SKIPPED: no test Docker engine (run through `npm test` or scripts/with-test-env.sh)')

test.beforeAll(async () => {
  const orch = await startFixtures({ count: 2, service: 'orch', labels: { app: 'python-orchestrator', e2e: run } })
  const scan = await startFixtures({ count: 4, service: 'scan', labels: { app: 'go-scanner', e2e: run } })
  ids = [...orch, ...scan]
  // One container left exited, to prove the view shows real states rather than assuming "running".
  await testDocker().getContainer(scan[3] as string).stop({ t: 0 })
  host = await startHostProcess(
    testSettings({
      services: [
        { name: 'orchestrator', selector: { app: 'python-orchestrator', e2e: run }, reload: { signal: 'SIGUSR1' } },
        { name: 'scanner', selector: { app: 'go-scanner', e2e: run }, reload: { signal: 'SIGHUP' } },
      ],
    }),
  )
})

test.afterAll(async () => {
  await host?.stop()
  await removeFixtures({ e2e: run })
})

test('lists the fixture containers by service with their real states', async ({ page }) => {
  await page.goto(`${host.url}/#token=${host.token}`)
  await expect(page.getByText('api: open')).toBeVisible()
  const rows = page.getByTestId('container-row')
  await expect(rows).toHaveCount(6)
  await expect(page.locator('[data-testid=service-card][data-service=orchestrator] [data-testid=container-row]')).toHaveCount(2)
  await expect(page.locator('[data-testid=service-card][data-service=scanner] [data-testid=container-row]')).toHaveCount(4)
  // Compare every row with what the engine itself says.
  for (const id of ids) {
    const info = await testDocker().getContainer(id).inspect()
    const name = info.Name.replace(/^\//, '')
    const want = info.State.Paused ? 'paused' : info.State.Status
    await expect(page.locator(`[data-testid=container-row][data-name="${name}"]`)).toHaveAttribute('data-state', want)
  }
  await expect(page.locator('[data-testid=container-row][data-state=exited]')).toHaveCount(1)
})

test('pauses the stack from the UI, every running badge turns paused, then resumes', async ({ page }) => {
  await page.goto(`${host.url}/#token=${host.token}`)
  await expect(page.getByTestId('container-row')).toHaveCount(6)
  await page.getByTestId('pause-stack').click()
  await expect(page.getByTestId('toast-success').filter({ hasText: 'Paused' })).toBeVisible()
  await expect(page.locator('[data-testid=container-row][data-state=paused]')).toHaveCount(5)
  for (const id of ids.slice(0, 5)) expect((await testDocker().getContainer(id).inspect()).State.Paused).toBe(true)

  await page.getByTestId('resume-stack').click()
  await expect(page.locator('[data-testid=container-row][data-state=running]')).toHaveCount(5)
  await expect(page.locator('[data-testid=container-row][data-state=paused]')).toHaveCount(0)
  for (const id of ids.slice(0, 5)) expect((await testDocker().getContainer(id).inspect()).State.Running).toBe(true)
})

test('a container paused behind Stackdeck’s back shows up live, without a reload', async ({ page }) => {
  await page.goto(`${host.url}/#token=${host.token}`)
  await expect(page.getByTestId('container-row')).toHaveCount(6)
  const c = testDocker().getContainer(ids[0] as string)
  const name = (await c.inspect()).Name.replace(/^\//, '')
  await c.pause()
  await expect(page.locator(`[data-testid=container-row][data-name="${name}"]`)).toHaveAttribute('data-state', 'paused')
  await c.unpause()
  await expect(page.locator(`[data-testid=container-row][data-name="${name}"]`)).toHaveAttribute('data-state', 'running')
})

test('a restart asks for confirmation first', async ({ page }) => {
  await page.goto(`${host.url}/#token=${host.token}`)
  await expect(page.getByTestId('container-row')).toHaveCount(6)
  await page.getByRole('button', { name: 'Restart stack…' }).click()
  await expect(page.getByTestId('confirm-dialog')).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('confirm-dialog')).toBeHidden()
})
