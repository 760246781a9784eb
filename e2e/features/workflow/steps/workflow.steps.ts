import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { After, Before, Given, Then, When, setDefaultTimeout } from '@cucumber/cucumber'
import { hasTestDocker } from '../../../../test-support/docker-fixtures'
import {
  TRADER,
  catConfigIn,
  freezeEngine,
  listDir,
  logsOf,
  makeImmutable,
  md5,
  removeContainerNow,
  withRiskMaxPosition,
} from '../../../../test-support/workflow-harness'
import { cleanUpLeftovers } from '../../../../electron/core/config/config-writer'
import type { WorkflowWorld } from './workflow-world'

setDefaultTimeout(120_000)

const sorted = (xs: Iterable<string>) => [...xs].sort()
const OUTCOMES: Record<string, string> = {
  applied: 'applied',
  'applied, reload not confirmed': 'applied_unconfirmed',
  failed: 'failed',
  'unpause failed': 'unpause_failed',
}

Before(function () {
  if (!hasTestDocker()) {
    console.warn('SKIPPED: no test Docker engine (run under `bash scripts/with-test-env.sh`)')
    return 'skipped'
  }
  return undefined
})

After(async function (this: WorkflowWorld) {
  await this.dispose()
})

// ----- Given -----

Given('a service {string} whose containers never log {string}', function (this: WorkflowWorld, name: string, line: string) {
  assert.equal(line, 'Config reloaded', 'the fixture services prove reloads with "Config reloaded"')
  // It reloads on SIGUSR1 like the orchestrator, but prints another line than the one configured.
  this.services.push({ name, app: name, signal: 'SIGUSR1', count: 2, reloadTimeoutMs: 3000, env: { RELOAD_LINE: 'Settings applied quietly' } })
})

Given('Stackdeck waits at most {int} seconds for each Docker call', function (this: WorkflowWorld, s: number) {
  this.coreOptions = { ...this.coreOptions, actionTimeoutMs: s * 1000, unpauseRetries: 1, retryDelayMs: 200 }
})

Given('containers are running', async function (this: WorkflowWorld) {
  await this.start()
  const states = await this.states()
  assert.deepEqual(sorted(new Set(states.values())), ['running'], 'every fixture container is running')
  assert.ok(this.h.ids.length >= 6)
})

Given('the new settings break the schema', function (this: WorkflowWorld) {
  this.next = withRiskMaxPosition(this.loaded, '-1') // [risk] max_position has minimum 0
})

Given('the config directory cannot be written', function (this: WorkflowWorld) {
  // chattr +i: root ignores file modes, not the immutable flag.
  this.cleanups.push(makeImmutable(this.h.configDir))
})

// The backup and the temp file are staged before the pause; this makes the rename itself fail.
Given('the config directory becomes read-only once the stack is paused', function (this: WorkflowWorld) {
  const off = this.h.onProgress(({ step }) => {
    if (step.step === 'pause' && step.status === 'ok') {
      off()
      this.cleanups.push(makeImmutable(this.h.configDir))
    }
  })
  this.cleanups.push(off)
})

Given('the Docker engine stops answering once config.toml is written', function (this: WorkflowWorld) {
  const off = this.h.onProgress(({ step }) => {
    if (step.step === 'write' && step.status === 'ok') {
      off()
      this.thaw = freezeEngine() // SIGSTOP dockerd: connections hang, containers stay as they are
    }
  })
})

Given('someone edits config.toml in another editor', async function (this: WorkflowWorld) {
  this.external = `${this.loaded}\n# edited in vim while Stackdeck had the file open\n`
  await writeFile(this.h.configPath, this.external)
})

Given('one container is removed as the pause begins', function (this: WorkflowWorld) {
  const victim = this.h.containers[this.h.containers.length - 1]
  assert.ok(victim)
  this.removed = victim
  const off = this.h.onProgress(({ step }) => {
    if (step.step === 'pause' && step.status === 'running') {
      off()
      removeContainerNow(this.h, victim.id) // `docker rm -f`, finished before the pause calls go out
    }
  })
})

// ----- When -----

When('I click {string}', async function (this: WorkflowWorld, button: string) {
  assert.equal(button, 'Save & Restart')
  await this.clickSaveAndRestart()
})

When('I click {string} twice at once', async function (this: WorkflowWorld, button: string) {
  assert.equal(button, 'Save & Restart')
  await this.clickSaveAndRestart(2)
})

When('the Docker engine answers again and I choose {string} in the recovery prompt', async function (this: WorkflowWorld, action: string) {
  assert.equal(action, 'Resume')
  this.thaw?.()
  const r = await this.h.handlers['workflow.recover']({ action: 'resume' }, TRADER)
  assert.deepEqual(sorted(r.resumed.map((c) => c.id)), sorted(this.h.ids))
  assert.deepEqual(r.resumed.filter((c) => c.outcome !== 'ok' && c.outcome !== 'already'), [])
  assert.equal(this.h.workflow.recovery.pending, null)
})

// ----- Then -----

Then('PauseStack is called', function (this: WorkflowWorld) {
  const pause = this.run.steps.find((s) => s.step === 'pause')
  assert.ok(pause)
  assert.equal(pause.status, 'ok', pause.detail)
  assert.deepEqual(sorted(pause.containers?.filter((c) => c.outcome === 'ok').map((c) => c.id) ?? []), sorted(this.h.ids))
  // The engine's own event stream is the witness: every container was frozen.
  const paused = this.engineEvents.filter((e) => e.action === 'pause').map((e) => e.id)
  assert.deepEqual(sorted(paused), sorted(this.h.ids))
})

Then('PauseStack is not called', function (this: WorkflowWorld) {
  assert.equal(this.run.steps.find((s) => s.step === 'pause'), undefined)
  assert.deepEqual(this.engineEvents.filter((e) => e.action === 'pause'), [])
  assert.deepEqual(
    this.h.progress.map((p) => `${p.step.step}:${p.step.status}`),
    ['validate:running', 'validate:failed'],
  )
})

Then('config.toml is backed up and updated', async function (this: WorkflowWorld) {
  assert.equal(await readFile(this.h.configPath, 'utf8'), this.next)
  const backup = this.run.backup
  assert.match(backup ?? '', /^config\.toml\.bak\.\d{8}_\d{6}/)
  assert.equal(await readFile(join(this.h.configDir, backup as string), 'utf8'), this.loaded)
  // Every container sees the new file through its read-only directory mount.
  for (const id of this.h.ids) assert.equal(await catConfigIn(this.h.docker, id), this.next)
})

Then('UnpauseStack is called', function (this: WorkflowWorld) {
  const unpause = this.run.steps.find((s) => s.step === 'unpause')
  assert.equal(unpause?.status, 'ok', unpause?.detail)
  const pauses = this.engineEvents.filter((e) => e.action === 'pause')
  const unpauses = this.engineEvents.filter((e) => e.action === 'unpause')
  assert.deepEqual(sorted(unpauses.map((e) => e.id)), sorted(this.h.ids))
  for (const u of unpauses) {
    const p = pauses.find((e) => e.id === u.id)
    assert.ok(p && p.at < u.at, `${u.name} was resumed after it was paused`)
  }
})

Then('UnpauseStack is called for the others', function (this: WorkflowWorld) {
  const others = this.h.ids.filter((id) => id !== this.removed?.id)
  assert.equal(this.run.steps.find((s) => s.step === 'unpause')?.status, 'ok')
  assert.deepEqual(sorted(this.engineEvents.filter((e) => e.action === 'unpause').map((e) => e.id)), sorted(others))
})

Then('services log {string}', async function (this: WorkflowWorld, line: string) {
  assert.deepEqual(sorted(this.run.reload.proved), sorted(this.h.services.map((s) => s.name)))
  assert.deepEqual(this.run.reload.notProved, [])
  assert.equal(this.run.steps.find((s) => s.step === 'verify')?.status, 'ok')
  // service.sh prints the md5 of the file it re-read: proof it reloaded the NEW config.
  const want = `${line} sha=${md5(this.next)}`
  for (const c of this.h.containers) assert.ok((await logsOf(this.h.docker, c.id)).includes(want), `${c.name} logged "${want}"`)
})

Then('the run ends {string}', function (this: WorkflowWorld, outcome: string) {
  const want = OUTCOMES[outcome]
  assert.ok(want, `unknown outcome "${outcome}"`)
  assert.equal(this.run.outcome, want, this.run.message)
})

Then('the report says {string}', function (this: WorkflowWorld, text: string) {
  assert.ok(this.run.message.includes(text), `"${this.run.message}" mentions "${text}"`)
})

Then('config.toml is unchanged', async function (this: WorkflowWorld) {
  assert.equal(await readFile(this.h.configPath, 'utf8'), this.loaded)
  // Not a stray temp file or backup either.
  assert.deepEqual(await listDir(this.h.configDir), this.dirAtLoad)
})

Then('config.toml still holds the old settings', async function (this: WorkflowWorld) {
  assert.equal(await readFile(this.h.configPath, 'utf8'), this.loaded)
})

// A rename that fails in a read-only directory cannot remove what was staged there either: the
// temp file goes at the next start-up (or save); the backup of the unchanged file is a valid one.
Then('once the directory is writable again, the start-up clean-up leaves only a backup of the old settings', async function (this: WorkflowWorld) {
  for (const fn of this.cleanups.splice(0).reverse()) await fn()
  await cleanUpLeftovers(this.h.configPath)
  const extra = (await listDir(this.h.configDir)).filter((n) => !this.dirAtLoad.includes(n))
  assert.equal(extra.length, 1, `one backup left, not ${extra.join(', ')}`)
  assert.match(extra[0] as string, /^config\.toml\.bak\./)
  assert.equal(await readFile(join(this.h.configDir, extra[0] as string), 'utf8'), this.loaded)
})

Then("config.toml keeps the other editor's change", async function (this: WorkflowWorld) {
  assert.equal(await readFile(this.h.configPath, 'utf8'), this.external)
})

Then('every container is running', async function (this: WorkflowWorld) {
  const states = await this.states()
  assert.deepEqual(sorted(new Set(states.values())), ['running'])
})

Then('a persistent critical alert names every container left paused', function (this: WorkflowWorld) {
  assert.deepEqual(sorted(this.run.leftPaused.map((c) => c.id)), sorted(this.h.ids))
  const alert = this.h.alerts.find((a) => a.id === `still-paused-${this.run.runId}`)
  assert.ok(alert, 'an alert was raised')
  assert.equal(alert.level, 'critical')
  assert.equal(alert.sticky, true)
  for (const c of this.h.containers) assert.ok(alert.message.includes(c.name), `the alert names ${c.name}`)
})

Then('the recovery prompt lists the same containers', async function (this: WorkflowWorld) {
  const status = await this.h.handlers['workflow.status']({}, TRADER)
  assert.deepEqual(sorted(status.recovery?.stillPaused.map((c) => c.id) ?? []), sorted(this.h.ids))
  assert.equal(status.recovery?.config, 'new')
})

Then('the report names {string} as the service without reload evidence', async function (this: WorkflowWorld, name: string) {
  assert.deepEqual(this.run.reload.notProved, [name])
  assert.ok(this.run.message.includes(`Reload not confirmed for ${name}`), this.run.message)
  // It did reload the new file, only in words the settings do not look for.
  for (const c of this.h.containers.filter((x) => x.service === name)) {
    assert.ok((await logsOf(this.h.docker, c.id)).includes(`Settings applied quietly sha=${md5(this.next)}`))
  }
})

Then('the report names the removed container', function (this: WorkflowWorld) {
  const victim = this.removed
  assert.ok(victim)
  assert.ok(this.run.message.includes(`Pause failed for ${victim.name}`), this.run.message)
  const pause = this.run.steps.find((s) => s.step === 'pause')
  assert.equal(pause?.containers?.find((c) => c.id === victim.id)?.outcome, 'gone')
})

Then('the second click is refused as busy', function (this: WorkflowWorld) {
  assert.equal(this.rejected.length, 1)
  assert.equal((this.rejected[0] as { code?: string }).code, 'busy')
})

Then('only one run touched the stack', function (this: WorkflowWorld) {
  assert.deepEqual([...new Set(this.h.progress.map((p) => p.runId))], [this.run.runId])
  assert.equal(this.engineEvents.filter((e) => e.action === 'pause').length, this.h.ids.length)
  assert.equal(this.engineEvents.filter((e) => e.action === 'unpause').length, this.h.ids.length)
})
