import { expect, test } from './pages'
import { startHostProcess, type RunningHost } from '../test-support/host-process'
import { testSettings } from '../test-support/test-settings'

let host: RunningHost
test.beforeAll(async () => {
  host = await startHostProcess(testSettings())
})
test.afterAll(async () => {
  await host.stop()
})

test('asks for a token when the URL carries none', async ({ page }) => {
  await page.goto(host.url)
  await expect(page.getByText('This headless host needs an access token.')).toBeVisible()
})

test('a refused token is reported, not silently retried', async ({ page, shell }) => {
  await shell.open(host.url, 'not-the-right-token-000000')
  await expect(page.getByText('The host refused this token.')).toBeVisible()
})

test('the token URL connects over the WebSocket door and strips the token from the address bar', async ({ page, shell }) => {
  await shell.openConnected(host.url, host.token)
  await expect(page.getByText('as admin')).toBeVisible()
  expect(page.url()).not.toContain(host.token)
  // Keyboard access: the tab list is reachable and selectable without a mouse.
  await page.keyboard.press('Alt+1')
  await expect(shell.tabs.first()).toBeFocused()
})

test('the served page carries a strict CSP', async ({ request }) => {
  const res = await request.get(host.url)
  const csp = res.headers()['content-security-policy'] ?? ''
  expect(csp).toContain("script-src 'self'")
  expect(csp).toContain("object-src 'none'")
  expect(csp).not.toContain('unsafe-eval')
})
