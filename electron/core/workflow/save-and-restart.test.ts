import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { RunReportT, StepReportT } from '../api/contract/workflow'
import { CoreError } from '../errors'
import { Journal } from './journal'
import type { ConfigPort, ContainerRef, ContainerResult, ContainerSight, StackPort } from './ports'
import { RunHistory } from './run-history'
import { SaveAndRestart } from './save-and-restart'

// Pure step-machine tests with stand-in ports; the real engine runs in save-and-restart.int.test.ts.
const ctx = { who: 'trader', door: 'ipc' } as const
const HASH = 'a'.repeat(64)
const refs = (n: number): ContainerRef[] =>
  Array.from({ length: n }, (_, i) => ({ id: `c${i}`, name: `svc-${i}`, service: i === 0 ? 'orchestrator' : 'scanner', endpoint: 'local' }))

class FakeStack implements StackPort {
  calls: string[] = []
  state = new Map<string, string>()
  pauseOutcome: (r: ContainerRef) => ContainerResult['outcome'] = () => 'ok'
  unpauseFailures = 0
  notProved: string[] = []
  /** Containers the fake reload signalled (the real one signals only running containers). */
  signalled: string[] = []
  constructor(public running: ContainerRef[], public pausedByTrader: ContainerRef[] = []) {
    for (const r of running) this.state.set(r.id, 'running')
    for (const r of pausedByTrader) this.state.set(r.id, 'paused')
  }
  async runningTargets() {
    return { running: this.running, paused: this.pausedByTrader }
  }
  async pause(t: ContainerRef[]) {
    this.calls.push('pause')
    return t.map((r) => {
      const outcome = this.pauseOutcome(r)
      if (outcome === 'ok') this.state.set(r.id, 'paused')
      return { ...r, outcome, ms: 1 }
    })
  }
  async unpause(t: ContainerRef[]) {
    this.calls.push(`unpause ${t.map((r) => r.id).join(',')}`)
    if (this.unpauseFailures-- > 0) return t.map((r) => ({ ...r, outcome: 'failed' as const, error: 'engine down', ms: 1 }))
    return t.map((r) => {
      this.state.set(r.id, 'running')
      return { ...r, outcome: 'ok' as const, ms: 1 }
    })
  }
  /** What the fake containers see: the config's hash now, unless a test says otherwise. */
  fileHash: () => string = () => HASH
  sights: (r: ContainerRef) => Partial<ContainerSight> = () => ({})
  async configViews(t: ContainerRef[], opts: { readFiles?: boolean } = {}): Promise<ContainerSight[]> {
    if (opts.readFiles) this.calls.push('read files')
    return t.map((r) => ({
      id: r.id, name: r.name, endpoint: r.endpoint, kind: 'directory' as const, containerPath: '/config/config.toml',
      refusal: null, reason: null, seen: opts.readFiles ? { via: 'archive' as const, sha256: this.fileHash() } : null, seenError: null,
      ...this.sights(r),
    }))
  }
  async engineFreeze() {
    return null
  }
  async states(t: ContainerRef[]) {
    return new Map(t.map((r) => [r.id, this.state.get(r.id) ?? 'missing']))
  }
  async reload(services: string[], _since: Date, opts: { awaitEvidence?: boolean } = {}) {
    this.calls.push(opts.awaitEvidence === false ? 'signal' : 'reload')
    const all = [...this.running, ...this.pausedByTrader].filter((r) => services.includes(r.service))
    const details = all.map((r) => {
      const paused = this.state.get(r.id) === 'paused'
      if (!paused) this.signalled.push(r.id)
      const proved = paused ? false : opts.awaitEvidence === false ? null : !this.notProved.includes(r.service)
      return { service: r.service, id: r.id, container: r.name, endpoint: r.endpoint, proved, ms: 1, ...(paused ? { deferred: 'paused' as const } : {}) }
    })
    const live = (svc: string) => details.filter((d) => d.service === svc && !d.deferred)
    const deferred = services.filter((s) => live(s).length === 0 && details.some((d) => d.service === s))
    const rest = services.filter((s) => !deferred.includes(s))
    if (opts.awaitEvidence === false) return { proved: [], notProved: [], unverifiable: rest, deferred, details }
    return { proved: rest.filter((s) => !this.notProved.includes(s)), notProved: rest.filter((s) => this.notProved.includes(s)), unverifiable: [], deferred, details }
  }
}

class FakeConfig implements ConfigPort {
  hash = HASH
  written: string | null = null
  failPrepare: Error | null = null
  failCommit: Error | null = null
  log: string[]
  constructor(log: string[]) {
    this.log = log
  }
  async prepare(input: { text?: string; baseHash: string }) {
    if (this.failPrepare) throw this.failPrepare
    return { newText: input.text ?? '', newHash: 'b'.repeat(64), baseHash: input.baseHash, diff: { summary: '1 change', changes: [{ pointer: '/risk/max_position', apply: 'hot' }] } }
  }
  stagedMode: string | null = null
  abandoned = 0
  /** The commit failed after it began changing the file (a torn in-place write). */
  tornOnFail = false
  async stage(p: { newText: string; newHash: string }, mode: 'atomic' | 'in-place') {
    this.log.push('stage')
    this.stagedMode = mode
    let touched = false
    const torn = this.tornOnFail
    return {
      get touched() {
        return touched
      },
      backup: 'config.toml.bak.20260101_000000',
      hash: p.newHash,
      commit: async () => {
        this.log.push('write')
        touched = torn
        if (this.failCommit) throw this.failCommit
        this.written = p.newText
        this.hash = p.newHash
      },
      finish: async () => ({ warnings: [] }),
      abandon: async () => {
        this.abandoned++
      },
    }
  }
  async currentHash() {
    return this.hash
  }
  async isValidOnDisk() {
    return true
  }
}

function setup(n = 3, pausedByTrader: ContainerRef[] = [], extra: { applyMode?: 'auto' | 'paused'; singleFileMounts?: 'refuse' | 'write-in-place' } = {}) {
  const stack = new FakeStack(refs(n), pausedByTrader)
  const config = new FakeConfig(stack.calls)
  stack.fileHash = () => config.hash
  const journal = new Journal(join(mkdtempSync(join(tmpdir(), 'sr-')), 'journal.json'))
  const progress: StepReportT[] = []
  const finished: RunReportT[] = []
  const alerts: string[] = []
  const wf = new SaveAndRestart({
    stack, config, journal, history: new RunHistory(null), configPath: '/cfg/config.toml', unpauseRetries: 2, retryDelayMs: 1,
    // The paused path unless a test asks: the fake diff's one change is hot.
    applyMode: extra.applyMode ?? 'paused',
    ...(extra.singleFileMounts ? { singleFileMounts: extra.singleFileMounts } : {}),
    emit: { progress: (_id, s) => progress.push(s), finished: (r) => finished.push(r), alert: (a) => alerts.push(a.message) },
  })
  return { stack, config, journal, wf, progress, finished, alerts }
}

const input = { text: 'x = 1\n', baseHash: HASH }

describe('Save & Restart step machine', () => {
  it('runs validate → pause → write → unpause → reload → verify in order and reports', async () => {
    const { stack, wf, progress, journal } = setup()
    const r = await wf.run(input, ctx)
    // Staged before the pause; each container's file read after the unpause, before the reload.
    expect(stack.calls).toEqual(['stage', 'pause', 'write', 'unpause c0,c1,c2', 'read files', 'reload'])
    expect(r.outcome).toBe('applied')
    expect(r.backup).toMatch(/^config\.toml\.bak\./)
    expect(r.freezeWindowMs).toBeGreaterThanOrEqual(0)
    expect(r.reload.proved.sort()).toEqual(['orchestrator', 'scanner'])
    expect(r.steps.map((s) => [s.step, s.status])).toEqual([
      ['validate', 'ok'], ['pause', 'ok'], ['write', 'ok'], ['unpause', 'ok'], ['reload', 'ok'], ['verify', 'ok'],
    ])
    expect(progress.filter((p) => p.status === 'running')).toHaveLength(6)
    expect(await journal.read()).toBeNull()
  })

  it('pauses nothing when validation fails', async () => {
    const { stack, config, wf } = setup()
    config.failPrepare = new CoreError('schema_error', '/risk/max_position must be >= 0')
    const r = await wf.run(input, ctx)
    expect(r.outcome).toBe('failed')
    expect(r.errorCode).toBe('schema_error')
    expect(stack.calls).toEqual([])
    expect(r.message).toContain('Nothing was paused')
  })

  it('resumes what it paused when some containers cannot be paused, and leaves config alone', async () => {
    const { stack, config, wf } = setup(4)
    stack.pauseOutcome = (r) => (r.id === 'c2' ? 'gone' : 'ok')
    const r = await wf.run(input, ctx)
    expect(r.outcome).toBe('failed')
    expect(config.written).toBeNull()
    expect(stack.calls).toEqual(['stage', 'pause', 'unpause c0,c1,c3'])
    expect([...stack.state.values()].every((s) => s === 'running')).toBe(true)
    expect(r.message).toContain('svc-2')
  })

  it('resumes everything and keeps the old config when the write fails', async () => {
    const { stack, config, wf, journal } = setup()
    config.failCommit = new CoreError('io_error', '/cfg/config.toml: EROFS read-only file system')
    const r = await wf.run(input, ctx)
    expect(r.outcome).toBe('failed')
    expect(r.message).toContain('previous file is unchanged')
    expect([...stack.state.values()].every((s) => s === 'running')).toBe(true)
    expect(await journal.read()).toBeNull()
  })

  it('retries a failed unpause within its bound', async () => {
    const { stack, wf } = setup()
    stack.unpauseFailures = 2
    const r = await wf.run(input, ctx)
    expect(r.outcome).toBe('applied')
    expect(stack.calls.filter((c) => c.startsWith('unpause'))).toHaveLength(3)
  })

  it('raises a persistent alert naming containers still paused when unpause keeps failing', async () => {
    const { stack, wf, alerts, journal } = setup()
    stack.unpauseFailures = 99
    const r = await wf.run(input, ctx)
    expect(r.outcome).toBe('unpause_failed')
    expect(r.leftPaused.map((c) => c.name)).toEqual(['svc-0', 'svc-1', 'svc-2'])
    expect(alerts.join()).toContain('svc-0, svc-1, svc-2')
    expect(wf.recovery.pending?.stillPaused).toHaveLength(3)
    expect((await journal.read())?.paused).toHaveLength(3)
    // A new run is refused until the trader settles the frozen containers.
    await expect(wf.run(input, ctx)).rejects.toMatchObject({ code: 'conflict' })
    stack.unpauseFailures = 0
    const res = await wf.recovery.resolve('resume', ctx)
    expect(res.resumed.every((x) => x.outcome === 'ok')).toBe(true)
    expect(wf.recovery.pending).toBeNull()
  })

  it('finishes as applied but unconfirmed when reload evidence does not arrive', async () => {
    const { stack, wf } = setup()
    stack.notProved = ['scanner']
    const r = await wf.run(input, ctx)
    expect(r.outcome).toBe('applied_unconfirmed')
    expect(r.message).toContain('scanner')
  })

  it('refuses a second run while one is in flight, from any door', async () => {
    const { wf } = setup()
    const first = wf.run(input, ctx)
    await expect(wf.run(input, { who: 'script', door: 'http' })).rejects.toMatchObject({ code: 'busy' })
    await expect(wf.run(input, { who: 'schedule', door: 'scheduler' })).rejects.toThrow(/already running/)
    expect((await first).outcome).toBe('applied')
    expect((await wf.run(input, ctx)).outcome).toBe('applied')
  })

  it('finds containers an interrupted run left paused and can resume them', async () => {
    const { stack, wf, journal, alerts } = setup()
    stack.state.set('c0', 'paused')
    stack.state.set('c1', 'paused')
    await journal.write({
      version: 1, runId: 'r1', who: 'trader', door: 'ipc', startedAt: 't', phase: 'written', configPath: '/cfg/config.toml',
      baseHash: HASH, newHash: 'b'.repeat(64), backup: 'config.toml.bak.x', targets: refs(3), paused: refs(2),
    })
    const info = await wf.recovery.check(false, ctx)
    expect(info?.stillPaused.map((s) => s.id)).toEqual(['c0', 'c1'])
    expect(info?.config).toBe('old')
    expect(alerts.join()).toContain('svc-0, svc-1')
    await wf.recovery.resolve('resume', ctx)
    expect(stack.state.get('c0')).toBe('running')
    expect(await journal.read()).toBeNull()
  })

  it('resumes at once on start-up when the setting says so', async () => {
    const { stack, wf, journal } = setup()
    stack.state.set('c0', 'paused')
    await journal.write({
      version: 1, runId: 'r2', who: 'trader', door: 'ipc', startedAt: 't', phase: 'paused', configPath: '/cfg/config.toml',
      baseHash: HASH, newHash: 'b'.repeat(64), backup: null, targets: refs(1), paused: refs(1),
    })
    await wf.recovery.check(true, ctx)
    expect(stack.state.get('c0')).toBe('running')
    expect(wf.recovery.pending).toBeNull()
  })
})

describe('what someone else froze stays frozen', () => {
  const traderPaused: ContainerRef = { id: 'p0', name: 'held-0', service: 'scanner', endpoint: 'local' }
  const aloneInService: ContainerRef = { id: 'p1', name: 'held-1', service: 'sentinel', endpoint: 'local' }

  it('never pauses, unpauses or signals a container the trader paused, and says so per container', async () => {
    const { stack, wf } = setup(3, [traderPaused, aloneInService])
    const r = await wf.run(input, ctx)
    // Staged before the pause; each container's file read after the unpause, before the reload.
    expect(stack.calls).toEqual(['stage', 'pause', 'write', 'unpause c0,c1,c2', 'read files', 'reload'])
    expect(stack.signalled.sort()).toEqual(['c0', 'c1', 'c2'])
    expect(stack.state.get('p0')).toBe('paused')
    expect(stack.state.get('p1')).toBe('paused')
    expect(r.pausedBefore.map((c) => c.id)).toEqual(['p0', 'p1'])
    // A service whose every container is paused is deferred, never proved.
    expect(r.reload.proved.sort()).toEqual(['orchestrator', 'scanner'])
    expect(r.reload.deferred?.sort()).toEqual(['scanner', 'sentinel'])
    const held = r.containers?.find((c) => c.id === 'p0')
    expect(held).toMatchObject({ before: 'paused', pausedByRun: false, expected: 'paused', after: 'paused', ok: true, reload: 'deferred' })
    expect(held?.note).toBe('paused by the trader, left paused, reload deferred; sees the new file at /config/config.toml (read through the archive API)')
    expect(r.containers?.find((c) => c.id === 'c1')).toMatchObject({ pausedByRun: true, after: 'running', ok: true, reload: 'proved' })
    // Not "applied": the held containers still run the old settings until they are reloaded.
    expect(r.outcome).toBe('applied_unconfirmed')
    expect(r.message).toContain('Left paused as the trader had them, not signalled: held-0, held-1')
    const verify = r.steps.find((s) => s.step === 'verify')
    expect(verify?.status).toBe('warning')
    expect(verify?.detail).toContain('reload deferred for held-0, held-1')
    expect(verify?.detail).not.toContain('stack running')
  })

  it('a container paused between listing and pausing ("already") is the trader\'s, not the run\'s', async () => {
    const { stack, wf } = setup(3)
    stack.pauseOutcome = (r) => {
      if (r.id !== 'c1') return 'ok'
      stack.state.set('c1', 'paused')
      return 'already'
    }
    const r = await wf.run(input, ctx)
    expect(stack.calls).toContain('unpause c0,c2')
    expect(stack.state.get('c1')).toBe('paused')
    expect(stack.signalled).not.toContain('c1')
    expect(r.pausedBefore.map((c) => c.id)).toEqual(['c1'])
    expect(r.containers?.find((c) => c.id === 'c1')?.note).toBe('paused by the trader, left paused, reload deferred; sees the new file at /config/config.toml (read through the archive API)')
  })

  it('verify flags a held container that someone resumed during the run', async () => {
    const { stack, wf } = setup(2, [traderPaused])
    const orig = stack.reload.bind(stack)
    stack.reload = async (...a) => {
      const res = await orig(...a)
      stack.state.set('p0', 'running') // resumed by someone else after the reload looked at it
      return res
    }
    const r = await wf.run(input, ctx)
    const held = r.containers?.find((c) => c.id === 'p0')
    expect(held).toMatchObject({ ok: false, after: 'running', expected: 'paused' })
    expect(r.outcome).toBe('applied_unconfirmed')
    expect(r.message).toContain('Not as expected: held-0')
  })

  it('checks container states even when reload evidence is not requested', async () => {
    const { stack, wf } = setup(2, [traderPaused])
    const r = await wf.run({ ...input, verifyReload: false }, ctx)
    expect(stack.calls).toContain('signal')
    expect(stack.signalled.sort()).toEqual(['c0', 'c1'])
    const verify = r.steps.find((s) => s.step === 'verify')
    expect(verify?.status).toBe('warning')
    expect(verify?.detail).toContain('reload evidence not requested')
    expect(r.containers?.find((c) => c.id === 'c0')?.reload).toBe('signalled')
    expect(r.containers?.find((c) => c.id === 'p0')?.note).toBe('paused by the trader, left paused, reload deferred; sees the new file at /config/config.toml (read through the archive API)')
  })

  it('recovery resumes only what the dead run paused, and only if still paused', async () => {
    const { stack, wf, journal, alerts } = setup(3, [traderPaused])
    stack.state.set('c0', 'paused')
    stack.state.set('c1', 'paused')
    await journal.write({
      version: 1, runId: 'r3', who: 'trader', door: 'ipc', startedAt: 't', phase: 'paused', configPath: '/cfg/config.toml',
      baseHash: HASH, newHash: 'b'.repeat(64), backup: null, targets: refs(3),
      // An older, confused journal that lists the held container as paused too must not fool recovery.
      paused: [...refs(2), traderPaused], pausedBefore: [traderPaused],
    })
    const info = await wf.recovery.check(false, ctx)
    expect(info?.stillPaused.map((c) => c.id)).toEqual(['c0', 'c1'])
    expect(info?.pausedBefore?.map((c) => c.id)).toEqual(['p0'])
    expect(alerts.join()).toContain('never resumed by recovery): held-0')
    stack.state.set('c1', 'running') // the trader resumed it by hand meanwhile
    const res = await wf.recovery.resolve('resume', ctx)
    expect(stack.calls).toEqual(['unpause c0'])
    expect(res.resumed.find((x) => x.id === 'c1')?.outcome).toBe('already')
    expect(stack.state.get('p0')).toBe('paused')
    expect(wf.recovery.pending).toBeNull()
  })
})

describe('how containers see the file decides the run', () => {
  const fileMount = (r: ContainerRef): Partial<ContainerSight> =>
    r.id === 'c1'
      ? {
          kind: 'file',
          refusal: {
            summary: 'svc-1 bind-mounts the single file',
            text: 'container svc-1 bind-mounts the single file /srv/cfg/config.toml at /config/config.toml',
            fix: { replace: '- /srv/cfg/config.toml:/config/config.toml', with: '- /srv/cfg:/config:ro' },
          },
        }
      : {}

  it('refuses before pausing or writing when a container bind-mounts the file itself, naming the compose fix', async () => {
    const { stack, config, wf } = setup()
    stack.sights = fileMount
    const r = await wf.run(input, ctx)
    expect(r.outcome).toBe('failed')
    expect(r.errorCode).toBe('conflict')
    expect(stack.calls).toEqual([])
    expect(config.log).not.toContain('stage')
    expect(r.message).toContain('svc-1')
    expect(r.message).toContain('replace "- /srv/cfg/config.toml:/config/config.toml" with "- /srv/cfg:/config:ro"')
    expect(r.message).toContain('write-in-place')
  })

  it('with config.singleFileMounts = write-in-place, stages an in-place write and says so', async () => {
    const { stack, config, wf } = setup(3, [], { singleFileMounts: 'write-in-place', applyMode: 'auto' })
    stack.sights = fileMount
    const r = await wf.run(input, ctx)
    expect(config.stagedMode).toBe('in-place')
    expect(r.writeMode).toBe('in-place')
    // Every change is hot, but an in-place write can be read half-done: the stack is paused.
    expect(r.mode).toBe('paused')
    expect(stack.calls).toContain('pause')
    expect(r.outcome).toBe('applied')
  })

  it('a container that does not see the new bytes fails verify, and its reload line does not count', async () => {
    const { stack, wf } = setup()
    stack.sights = (r) => (r.id === 'c2' ? { seen: { via: 'archive', sha256: 'c'.repeat(64) } } : {})
    const r = await wf.run(input, ctx)
    expect(r.outcome).toBe('applied_unconfirmed')
    expect(r.reload.notProved).toEqual(['scanner'])
    expect(r.reload.proved).toEqual(['orchestrator'])
    const c2 = r.containers?.find((c) => c.id === 'c2')
    expect(c2?.ok).toBe(false)
    expect(c2?.file?.matches).toBe(false)
    expect(c2?.note).toContain('NOT the file that was written')
  })

  it('an in-place write that fails part-way never reports the file unchanged, and keeps the backup to restore', async () => {
    const { stack, config, wf } = setup(3, [], { singleFileMounts: 'write-in-place' })
    stack.sights = fileMount
    config.failCommit = new CoreError('io_error', 'Writing /cfg/config.toml in place failed part-way (ENOSPC)')
    config.tornOnFail = true
    const r = await wf.run(input, ctx)
    expect(r.outcome).toBe('failed')
    expect(r.message).toContain('may be INCOMPLETE')
    expect(r.message).toContain('restore backup config.toml.bak.20260101_000000')
    expect(r.message).not.toContain('unchanged')
    expect(r.backup).toBe('config.toml.bak.20260101_000000')
    expect([...stack.state.values()].every((s) => s === 'running')).toBe(true)
  })

  it('a rename that fails says the previous file is unchanged and reports no backup', async () => {
    const { config, wf } = setup()
    config.failCommit = new CoreError('io_error', 'Cannot replace /cfg/config.toml: EROFS')
    const r = await wf.run(input, ctx)
    expect(r.message).toContain('the previous file is unchanged')
    expect(r.backup).toBeNull()
  })

  it('a hot-only change is applied without pausing: no pause, no unpause, freeze 0', async () => {
    const { stack, wf } = setup(3, [], { applyMode: 'auto' })
    const r = await wf.run(input, ctx)
    expect(stack.calls).toEqual(['stage', 'write', 'read files', 'reload'])
    expect(r.mode).toBe('hot')
    expect(r.freezeWindowMs).toBe(0)
    expect(r.freezeClock).toBe('none')
    expect(r.steps.find((s) => s.step === 'pause')?.status).toBe('skipped')
    expect(r.outcome).toBe('applied')
    expect(r.message).toContain('applied without pausing')
  })

  it('the trader can force the paused path for a hot change', async () => {
    const { stack, wf } = setup(3, [], { applyMode: 'auto' })
    const r = await wf.run({ ...input, mode: 'paused' }, ctx)
    expect(r.mode).toBe('paused')
    expect(stack.calls).toContain('pause')
  })

  it('mode hot is refused, before anything is touched, when a change needs a restart', async () => {
    const { stack, config, wf } = setup(3, [], { applyMode: 'auto' })
    const prepare = config.prepare.bind(config)
    config.prepare = async (i) => ({ ...(await prepare(i)), diff: { summary: '1 change', changes: [{ pointer: '/scanner/workers', apply: 'restart' }] } })
    const r = await wf.run({ ...input, mode: 'hot' }, ctx)
    expect(r.outcome).toBe('failed')
    expect(r.message).toContain('/scanner/workers (restart)')
    expect(stack.calls).toEqual([])
  })

  it('recovery after a crash with the new file in place resumes, then reloads and verifies', async () => {
    const { stack, config, wf, journal } = setup()
    stack.state.set('c0', 'paused')
    stack.state.set('c1', 'paused')
    config.hash = 'b'.repeat(64)
    await journal.write({
      version: 1, runId: 'r3', who: 'trader', door: 'ipc', startedAt: 't', phase: 'paused', configPath: '/cfg/config.toml',
      baseHash: HASH, newHash: 'b'.repeat(64), backup: 'config.toml.bak.20260101_000000', targets: refs(3), paused: refs(2),
    })
    const info = await wf.recovery.check(false, ctx)
    expect(info?.config).toBe('new')
    expect(info?.backup).toBe('config.toml.bak.20260101_000000')
    stack.calls.length = 0
    const res = await wf.recovery.resolve('resume', ctx)
    expect(stack.calls).toEqual(['unpause c0,c1', 'read files', 'reload'])
    expect(res.afterResume?.ok).toBe(true)
    expect(res.afterResume?.reload.proved.sort()).toEqual(['orchestrator', 'scanner'])
    expect(res.afterResume?.detail).toContain('3/3 container(s) seen holding the new file')
  })

  it('recovery with nothing left paused but the new file in place still reloads and verifies', async () => {
    const { stack, config, wf, journal, alerts } = setup()
    config.hash = 'b'.repeat(64)
    await journal.write({
      version: 1, runId: 'r4', who: 'trader', door: 'ipc', startedAt: 't', phase: 'verifying', configPath: '/cfg/config.toml',
      baseHash: HASH, newHash: 'b'.repeat(64), backup: 'config.toml.bak.20260101_000000', targets: refs(3), paused: [],
    })
    await wf.recovery.check(false, ctx)
    expect(stack.calls).toEqual(['read files', 'reload'])
    expect(alerts.join()).toContain('Recovery ran the reload and verify: reload proved for')
    expect(await journal.read()).toBeNull()
  })
})
