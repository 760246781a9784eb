import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { OpResult } from '@contract'
import { expect, test } from './pages'
import { attachTarget } from '../electron/main/attach'
import {
  createConfigDir,
  hasTestDocker,
  removeFixtures,
  startFixtures,
  testDocker,
} from '../test-support/docker-fixtures'
import { startHostProcess, type RunningHost } from '../test-support/host-process'
import { testSettings } from '../test-support/test-settings'

// Attach (issue 20): a window drives a Stackdeck that already runs, through that host's own page
// and WebSocket door. The desktop's attached window loads exactly attachTarget(...).windowUrl with
// no preload (electron/main/attached-window.ts); here the same URL is loaded in Chromium, since the
// Electron binary cannot be downloaded in this environment. Two real hosts, each with its own
// state directory and stack: the window must drive the one it was pointed at, and say which.
const run = `attach-${Math.random().toString(36).slice(2, 8)}`
const EXAMPLE = readFileSync(resolve(import.meta.dirname, '../config.example.toml'), 'utf8')
let local: RunningHost
let remote: RunningHost
let cfg: Awaited<ReturnType<typeof createConfigDir>> | undefined
let remoteIds: string[] = []

test.skip(
  !hasTestDocker(),
  'SKIPPED: no test Docker engine (run through `npm test` or scripts/with-test-env.sh)',
)

const stateDirOf = (h: RunningHost) => /State directory (\S+)/.exec(h.output())?.[1] ?? '?'
const portOf = (h: RunningHost) => new URL(h.url).port

async function auditOf(h: RunningHost, action: string): Promise<OpResult<'audit.query'>['records']> {
  const r = await fetch(`${h.url}/audit?action=${action}`, {
    headers: { authorization: `Bearer ${h.token}` },
  })
  expect(r.status).toBe(200)
  return ((await r.json()) as OpResult<'audit.query'>).records
}

test.beforeAll(async () => {
  cfg = await createConfigDir(EXAMPLE)
  remoteIds = await startFixtures({
    count: 2,
    service: 'orch',
    labels: { app: 'attach-orch', e2e: run },
    configDir: cfg.dir,
  })
  const services = [
    { name: 'orchestrator', selector: { app: 'attach-orch', e2e: run }, reload: { signal: 'SIGUSR1' } },
  ]
  // The local host drives nothing here; the second ("remote") host owns the fixture stack.
  local = await startHostProcess(
    testSettings({ services: [], config: { path: cfg.path }, schedule: { enabled: false } }),
  )
  remote = await startHostProcess(
    testSettings({ services, config: { path: cfg.path }, schedule: { enabled: false } }),
    'e2e-remote-token-0123456789abcdef',
  )
})

test.afterAll(async () => {
  await remote?.stop()
  await local?.stop()
  await removeFixtures({ e2e: run })
  await cfg?.cleanup()
})

test('a window attached to a second host by URL and token drives that host, and the header names it', async ({
  page,
  shell,
  stack,
}) => {
  const target = attachTarget(remote.url, remote.token, 'asked with --attach')
  expect(target.ok).toBe(true)
  if (!target.ok) return
  await page.goto(target.windowUrl)
  await expect(shell.apiOpen).toBeVisible()
  // The header names the host it drives: its address, its kind and machine, its state directory.
  await expect(shell.hostChip).toHaveText(
    new RegExp(`^host 127\\.0\\.0\\.1:${portOf(remote)} · headless host on .+: open$`),
  )
  await expect(shell.hostChip).toHaveAttribute('title', new RegExp(`state directory ${stateDirOf(remote)}`))
  expect(stateDirOf(remote)).not.toBe(stateDirOf(local))
  expect(page.url()).not.toContain(remote.token)

  // It drives that host: its stack, paused and resumed from this window, on the real engine.
  await expect(stack.containerRows).toHaveCount(2)
  await stack.pauseStack.click()
  await expect(shell.toast('success', 'Paused')).toBeVisible()
  for (const id of remoteIds) expect((await testDocker().getContainer(id).inspect()).State.Paused).toBe(true)
  await stack.resumeStack.click()
  await expect(stack.rowsWhere({ state: 'running' })).toHaveCount(2)
  for (const id of remoteIds) expect((await testDocker().getContainer(id).inspect()).State.Running).toBe(true)

  // Recorded by the host it drove, over its WebSocket door; the other host saw nothing of it.
  expect((await auditOf(remote, 'stack.pause')).map((r) => `${r.action}/${r.door}`)).toEqual([
    'stack.pause/ws',
  ])
  expect(await auditOf(local, 'stack.pause')).toEqual([])

  // The same window pointed at the other host names that one instead.
  const back = attachTarget(local.url, local.token, 'x')
  if (!back.ok) throw new Error(back.reason)
  await page.goto(back.windowUrl)
  await page.reload()
  await expect(shell.hostChip).toHaveText(
    new RegExp(`^host 127\\.0\\.0\\.1:${portOf(local)} · headless host on .+: open$`),
  )
})

test('plain http to a host beyond this machine is refused before any window opens', () => {
  const t = attachTarget('http://192.0.2.10:7420', 'some-token-0123456789', 'x')
  expect(t).toMatchObject({
    ok: false,
    reason: expect.stringContaining('refused plain http:// to 192.0.2.10:7420'),
  })
})
