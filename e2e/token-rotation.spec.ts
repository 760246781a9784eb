/**
 * A rotated token reaches an open page without a reload: the trader pastes the new `#token=` URL
 * into the tab, the page takes it on `hashchange` and reconnects with it (the old one is refused).
 * The host keeps its own token here (no STACKDECK_TOKEN), since only that one can be rotated.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from './pages'
import { startHostProcess, type RunningHost } from '../test-support/host-process'
import { testSettings } from '../test-support/test-settings'

let host: RunningHost
const stateDir = mkdtempSync(join(tmpdir(), 'stackdeck-e2e-token-'))
test.beforeAll(async () => {
  host = await startHostProcess(testSettings({ stateDir }), null)
})
test.afterAll(async () => {
  await host.stop()
  rmSync(stateDir, { recursive: true, force: true })
})

test('a new token URL pasted into the open page reconnects with it, without a reload', async ({ page, shell, request }) => {
  await shell.openConnected(host.url, host.token)
  await expect(page.getByText('as admin')).toBeVisible()
  // Survives only if the document is not loaded again.
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true))

  const r = await request.post(`${host.url}/api/rpc/api.rotateToken`, {
    headers: { authorization: `Bearer ${host.token}` },
    data: { reason: 'e2e rotation' },
  })
  expect(r.status()).toBe(200)
  const { token, url } = ((await r.json()) as { result: { token: string; url: string } }).result
  expect(url).toBe(`${host.url}/#token=${token}`)

  const reconnect = page.waitForEvent('websocket')
  await shell.pasteTokenUrl(token)
  await reconnect
  await expect(shell.apiOpen).toBeVisible()
  await expect(page.getByText('as admin')).toBeVisible()
  await expect(shell.tokenRefused).toHaveCount(0)
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true)
  // The token left the address bar again, and the page holds the new one.
  expect(page.url()).not.toContain(token)
  expect(await page.evaluate(() => sessionStorage.getItem('stackdeck.token'))).toBe(token)
})
