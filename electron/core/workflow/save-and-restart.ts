import { randomUUID } from 'node:crypto'
import type { CallContext } from '../api/call-context'
import type { RunReportT } from '../api/contract/workflow'
import { CoreError, isCoreError } from '../errors'
import type { JournalRecord } from './journal'
import { planApply, type ApplyMode, type ApplyPlan } from './apply-plan'
import type {
  ContainerRef,
  ContainerResult,
  PreparedConfig,
  ReloadReport,
  SaveAndRestartDeps,
  StagedConfig,
} from './ports'

export type { SaveAndRestartDeps, WorkflowEmitter } from './ports'
import { checkContainers, deferredServices, discountUnseen, proveFiles, reloadStates } from './reload-verify'
import { RecoveryManager } from './recovery'
import { StepTracker } from './step-tracker'
import { unpauseWithRetry } from './unpause-with-retry'

export interface SaveAndRestartInput {
  text?: string
  value?: Record<string, unknown>
  baseHash: string
  reason?: string
  verifyReload?: boolean
  /** auto (default: deps.applyMode): hot when every changed field is hot; paused: always pause; hot: never. */
  mode?: ApplyMode
}

interface InFlight {
  runId: string
  who: string
  door: string
  startedAt: string
  step: string
}

const names = (refs: ContainerRef[]) => refs.map((r) => r.name).join(', ')
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e))

/**
 * Save & Restart as a step machine: validate → pause → write → unpause → reload → verify.
 * Every exit path leaves the stack running (or raises a persistent alert naming what is still
 * paused) and the config either fully old or fully new.
 */
export class SaveAndRestart {
  private inFlight: InFlight | null = null
  readonly recovery: RecoveryManager
  private readonly now: () => Date

  constructor(private readonly deps: SaveAndRestartDeps) {
    this.now = deps.now ?? (() => new Date())
    this.recovery = new RecoveryManager(deps)
  }

  get running(): InFlight | null {
    return this.inFlight ? { ...this.inFlight } : null
  }

  async run(input: SaveAndRestartInput, ctx: CallContext): Promise<RunReportT> {
    // The claim happens synchronously, before the first await, so two callers can never both pass.
    const cur = this.inFlight
    if (cur) {
      throw new CoreError(
        'busy',
        `Save & Restart is already running (started by ${cur.who} via ${cur.door} at ${cur.startedAt}, now at "${cur.step}"). Wait for it to finish.`,
      )
    }
    const pending = this.recovery.pending
    if (pending && pending.stillPaused.length > 0) {
      throw new CoreError(
        'conflict',
        `An interrupted run left ${pending.stillPaused.length} container(s) paused (${names(pending.stillPaused)}). Resume or dismiss them first.`,
      )
    }
    const runId = randomUUID()
    const startedAt = this.now().toISOString()
    this.inFlight = { runId, who: ctx.who, door: ctx.door, startedAt, step: 'validate' }
    try {
      // Another instance on the same config directory (another state directory, so its instance
      // lock did not stop it) may be mid-run: refused here, before anything is read or paused.
      const release = await this.deps.runLock?.acquire({ runId, who: ctx.who, door: ctx.door, startedAt })
      try {
        return await this.execute(runId, input, ctx)
      } finally {
        await release?.()
      }
    } finally {
      this.inFlight = null
    }
  }

  private async execute(runId: string, input: SaveAndRestartInput, ctx: CallContext): Promise<RunReportT> {
    const { stack, config, journal } = this.deps
    const t0 = this.now()
    const steps = new StepTracker(
      runId,
      (id, s) => {
        if (this.inFlight && s.status === 'running') this.inFlight.step = s.step
        this.deps.emit.progress(id, s)
      },
      this.now,
    )
    const report: RunReportT = {
      runId,
      who: ctx.who,
      door: ctx.door,
      startedAt: t0.toISOString(),
      endedAt: '',
      totalMs: 0,
      outcome: 'failed',
      message: '',
      steps: steps.steps,
      diff: { summary: '', changes: [] },
      backup: null,
      newHash: null,
      freezeWindowMs: null,
      reload: { proved: [], notProved: [], unverifiable: [], deferred: [] },
      containers: [],
      leftPaused: [],
      pausedBefore: [],
    }
    if (input.reason) report.reason = input.reason
    const why = input.reason ? `Save & Restart: ${input.reason}` : 'Save & Restart'
    const finish = (outcome: RunReportT['outcome'], message: string, err?: unknown) => {
      const end = this.now()
      report.outcome = outcome
      report.message = message
      if (err && isCoreError(err)) report.errorCode = err.code
      report.endedAt = end.toISOString()
      report.totalMs = end.getTime() - t0.getTime()
      this.deps.history.add(report)
      this.deps.emit.finished(report)
      return report
    }

    // 1. validate, plan and stage — nothing is paused until the new config is known good, every
    // container is known to see the saved file, and the slow part of the write is done.
    steps.start('validate')
    let prepared: PreparedConfig
    let targets: { running: ContainerRef[]; paused: ContainerRef[] }
    let plan: Extract<ApplyPlan, { ok: true }>
    let staged: StagedConfig
    try {
      prepared = await config.prepare(input)
      targets = await stack.runningTargets()
      const sights = await stack.configViews([...targets.running, ...targets.paused])
      report.diff = prepared.diff
      report.newHash = prepared.newHash
      const planned = planApply({
        changes: prepared.diff.changes,
        requested: input.mode,
        setting: this.deps.applyMode ?? 'auto',
        singleFileMounts: this.deps.singleFileMounts ?? 'refuse',
        sights,
      })
      if (!planned.ok) {
        throw new CoreError(
          'conflict',
          planned.refusals.length
            ? `${planned.message}\n\n${planned.refusals.join('\n\n')}`
            : planned.message,
        )
      }
      plan = planned
      staged = await config.stage(prepared, plan.writeMode)
    } catch (err) {
      steps.end('validate', 'failed', { detail: errText(err) })
      return finish('failed', `Nothing was paused or written: ${errText(err)}`, err)
    }
    report.mode = plan.mode
    report.writeMode = plan.writeMode
    report.backup = staged.backup
    report.pausedBefore = targets.paused
    steps.end('validate', 'ok', {
      detail: [prepared.diff.summary, `backup ${staged.backup} and the new file staged`, ...plan.notes].join(
        '; ',
      ),
    })

    const hot = plan.mode === 'hot'
    const journalBase: JournalRecord = {
      version: 1,
      runId,
      who: ctx.who,
      door: ctx.door,
      startedAt: report.startedAt,
      phase: hot ? 'writing' : 'pausing',
      configPath: this.deps.configPath,
      baseHash: prepared.baseHash,
      newHash: staged.hash,
      backup: staged.backup,
      targets: hot ? [] : targets.running,
      paused: [],
      pausedBefore: targets.paused,
    }
    try {
      await journal.write(journalBase)
    } catch (err) {
      await staged.abandon()
      report.backup = null
      steps.start('pause')
      steps.end('pause', 'failed', { detail: `cannot write the run journal: ${errText(err)}` })
      return finish(
        'failed',
        `Nothing was paused: the run journal could not be written (${errText(err)}).`,
        err,
      )
    }

    let ours: ContainerRef[]
    if (hot) {
      ours = targets.running
      steps.skip('pause', 'hot change: every changed field is x-apply hot, so the stack was not paused')
      const w = await this.commitStaged(staged, steps, report)
      if (!w.ok)
        return finish(
          'failed',
          `Could not write config.toml (${errText(w.err)}); the previous file is unchanged. Nothing was paused.`,
          w.err,
        )
      steps.skip('unpause', 'nothing was paused')
      report.freezeWindowMs = 0
      report.freezeClock = 'none'
      await this.finishStaged(staged, steps)
    } else {
      // 2. pause — in parallel; any container that cannot be frozen aborts the run. Only running
      // containers are targets: what someone else paused is left exactly as it is, before and after.
      const leftAlone = targets.paused.length
        ? `; left alone, paused by the trader: ${names(targets.paused)}`
        : ''
      steps.start('pause', `${targets.running.length} running container(s)${leftAlone}`)
      const freezeStart = this.now()
      const paused = await stack.pause(targets.running, ctx, why)
      ours = refsWith(paused, ['ok'])
      // 'already': paused by someone else between listing and pausing. Not ours, so never resumed.
      report.pausedBefore = [...targets.paused, ...refsWith(paused, ['already'])]
      const bad = paused.filter((r) => r.outcome !== 'ok' && r.outcome !== 'already')
      journalBase.pausedBefore = report.pausedBefore
      // What the run paused, and what it found paused, for recovery. Written while the rename and
      // the unpause happen, and awaited only after the unpause: its fsyncs (file and directory,
      // 2–4 ms here) were the largest part of the freeze beyond the engine's own pause and unpause
      // for a small stack. Until it is on disk the journal of phase 'pausing' stands in, which names
      // the same targets, so a crash in that window still leaves recovery every container to resume.
      // Every later journal write waits for it, so the records never overtake each other.
      const pausedRecord = journal
        .write({ ...journalBase, phase: 'paused', paused: ours })
        .catch(() => undefined)
      if (bad.length > 0) {
        await pausedRecord
        await staged.abandon()
        report.backup = null
        steps.end('pause', 'failed', {
          containers: paused,
          detail: `could not pause ${bad.map((b) => `${b.name} (${b.outcome})`).join(', ')}`,
        })
        return this.abortAfterPause(
          report,
          steps,
          ours,
          ctx,
          freezeStart,
          finish,
          `Pause failed for ${bad.map((b) => b.name).join(', ')}; config.toml was not changed`,
        )
      }
      steps.end('pause', 'ok', { containers: paused })

      // 3. write: inside the freeze only the last check, the rename and the directory fsync.
      const w = await this.commitStaged(staged, steps, report)
      if (!w.ok) {
        await pausedRecord
        // Never "unchanged" when the in-place write began: the file may be incomplete.
        const state = staged.touched
          ? `config.toml may be INCOMPLETE (the in-place write failed part-way): restore backup ${staged.backup} from the Config tab's History`
          : 'the previous file is unchanged'
        return this.abortAfterPause(
          report,
          steps,
          ours,
          ctx,
          freezeStart,
          finish,
          `Could not write config.toml (${errText(w.err)}); ${state}`,
          w.err,
        )
      }

      // 4. unpause — retried within a bound; anything still frozen becomes a loud, persistent alert.
      steps.start('unpause')
      const un = await unpauseWithRetry(
        stack,
        ours,
        ctx,
        why,
        this.deps.unpauseRetries,
        this.deps.retryDelayMs,
      )
      const freezeEnd = this.now()
      await pausedRecord
      await this.measureFreeze(report, ours, freezeStart, freezeEnd)
      await this.finishStaged(staged, steps)
      if (un.stillPaused.length > 0) {
        report.leftPaused = un.stillPaused
        steps.end('unpause', 'failed', {
          containers: un.results,
          detail: `still paused: ${names(un.stillPaused)}`,
        })
        this.raiseStillPaused(runId, un.stillPaused)
        await this.recovery.adoptStillPaused(runId, ctx, un.stillPaused, report.backup, report.pausedBefore)
        report.containers = await checkContainers(stack, ours, report.pausedBefore, new Map())
        return finish(
          'unpause_failed',
          `The new config was written (backup ${report.backup ?? '-'}), but ${un.stillPaused.length} container(s) are still paused: ${names(un.stillPaused)}. Resume them from the Stack tab or the alert.`,
        )
      }
      steps.end('unpause', 'ok', { containers: un.results })
    }
    // The new file is in place and nothing is frozen by the run: a crash from here leaves recovery
    // only the reload and verify to do.
    await journal.write({ ...journalBase, phase: 'verifying', paused: [] }).catch(() => undefined)

    // 5. reload: first, each container must be seen to hold the new file (evidence from one that
    // does not proves nothing); then each service's signal, and its own log line as the only proof.
    // The services of containers the trader paused are included so the report can say their reload
    // was deferred; the stack signals only containers that are running when it inspects them.
    const services = [...new Set([...targets.running, ...report.pausedBefore].map((r) => r.service))]
    const awaitEvidence = input.verifyReload !== false
    const writtenAt = this.now()
    const proofs = await proveFiles(stack, [...ours, ...report.pausedBefore], report.newHash)
    steps.start('reload', services.join(', '))
    let evidence: ReloadReport | null = null
    try {
      evidence = discountUnseen(
        await stack.reload(services, writtenAt, {
          awaitEvidence,
          ...(prepared.newValue !== undefined ? { config: prepared.newValue } : {}),
        }),
        proofs,
      )
      const deferred = deferredServices(evidence)
      report.reload = awaitEvidence
        ? {
            proved: evidence.proved,
            notProved: evidence.notProved,
            unverifiable: evidence.unverifiable,
            deferred,
          }
        : { proved: [], notProved: [], unverifiable: [], deferred }
      const deferredText = deferred.length
        ? `; reload deferred (paused by the trader, not signalled): ${evidence.details
            .filter((d) => d.deferred)
            .map((d) => d.container)
            .join(', ')}`
        : ''
      const failedSignals = evidence.details.filter(
        (d) => !d.deferred && d.proved === false && d.error?.startsWith('signal'),
      )
      if (awaitEvidence) {
        steps.end('reload', evidence.notProved.length || deferred.length ? 'warning' : 'ok', {
          detail: `proved: ${evidence.proved.join(', ') || 'none'}${evidence.notProved.length ? `; no evidence: ${evidence.notProved.join(', ')}` : ''}${evidence.unverifiable.length ? `; unverifiable: ${evidence.unverifiable.join(', ')}` : ''}${deferredText}`,
        })
      } else {
        steps.end('reload', failedSignals.length || deferred.length ? 'warning' : 'ok', {
          detail: `signals sent; evidence not awaited${deferredText}`,
        })
      }
    } catch (err) {
      if (awaitEvidence) report.reload.notProved = services
      steps.end('reload', 'warning', { detail: errText(err) })
    }

    // 6. verify: the file on disk is still the one we wrote, each container sees it, everything the
    // run paused is running again, and everything the trader had paused is still paused. Checked
    // even when reload evidence was not requested: leaving the stack in a state nobody was told of
    // is never fine.
    steps.start('verify')
    const problems: string[] = []
    const onDisk = await config.currentHash().catch(() => null)
    if (onDisk !== report.newHash) problems.push('config.toml on disk no longer matches what was written')
    report.containers = await checkContainers(
      stack,
      ours,
      report.pausedBefore,
      reloadStates(evidence, awaitEvidence),
      proofs,
      hot ? 'hot' : 'paused',
    )
    const wrong = report.containers.filter((c) => !c.ok)
    for (const c of wrong) problems.push(`${c.name}: ${c.note}`)
    const deferredNames = report.containers.filter((c) => c.reload === 'deferred').map((c) => c.name)
    if (deferredNames.length)
      problems.push(`reload deferred for ${deferredNames.join(', ')} (paused by the trader): not re-read yet`)
    if (report.reload.notProved.length)
      problems.push(`reload not proved by ${report.reload.notProved.join(', ')}`)
    const seen = report.containers.filter((c) => c.file?.matches === true).length
    const unseen = report.containers
      .filter((c) => c.file && c.file.matches === null)
      .map((c) => `${c.name} (${c.file?.note})`)
    const fileNote = `${seen}/${report.containers.length} container(s) seen holding the new file${unseen.length ? `; file not checked: ${unseen.join(', ')}` : ''}`
    const stillPausedNote =
      report.pausedBefore.length && !wrong.some((c) => !c.pausedByRun)
        ? `, ${report.pausedBefore.length} paused by the trader still paused`
        : ''
    const okDetail =
      report.pausedBefore.length === 0
        ? `config in place, stack running, ${awaitEvidence ? 'reload proved' : 'reload evidence not requested'}; ${fileNote}`
        : `config in place, ${ours.length} ${hot ? 'running' : 'resumed'} container(s) running${stillPausedNote}; ${fileNote}`
    steps.end('verify', problems.length ? 'warning' : 'ok', {
      detail: problems.length
        ? `${problems.join('; ')}${awaitEvidence ? '' : '; reload evidence not requested'}`
        : okDetail,
    })
    await journal.clear()

    const frozen = hot
      ? 'hot change: applied without pausing.'
      : `stack frozen ${report.freezeWindowMs} ms${report.freezeClock === 'engine' ? ' (engine events)' : ''}.`
    const base = `Applied ${prepared.diff.summary}; backup ${report.backup ?? '-'}; ${frozen}`
    const notes: string[] = []
    if (report.reload.notProved.length > 0)
      notes.push(
        `Reload not confirmed for ${report.reload.notProved.join(', ')}: check those services' logs, or restart them.`,
      )
    if (deferredNames.length > 0)
      notes.push(
        `Left paused as the trader had them, not signalled: ${deferredNames.join(', ')}. They have not re-read config.toml: after you resume them, send their reload signal (Stack tab → Signal) or restart them.`,
      )
    if (wrong.length > 0)
      notes.push(`Not as expected: ${wrong.map((c) => `${c.name} (${c.note})`).join('; ')}.`)
    if (notes.length > 0) return finish('applied_unconfirmed', `${base} ${notes.join(' ')}`)
    return finish('applied', base)
  }

  /** The rename (or in-place write); on failure the staged files are gone and the old file is live. */
  private async commitStaged(
    staged: StagedConfig,
    steps: StepTracker,
    report: RunReportT,
  ): Promise<{ ok: true } | { ok: false; err: unknown }> {
    steps.start('write')
    try {
      await staged.commit()
    } catch (err) {
      // A torn in-place write keeps its backup in the report: it is the way back.
      if (!staged.touched) report.backup = null
      steps.end('write', 'failed', { detail: errText(err) })
      return { ok: false, err }
    }
    report.newHash = staged.hash
    steps.end('write', 'ok', {
      detail: `backup ${staged.backup}${report.writeMode === 'in-place' ? '; written in place (not crash-atomic)' : ''}`,
    })
    return { ok: true }
  }

  /** After the freeze: the write's after-checks. An outside edit that raced the rename must be heard. */
  private async finishStaged(staged: StagedConfig, steps: StepTracker): Promise<void> {
    try {
      const { warnings } = await staged.finish()
      if (warnings.length) steps.amend('write', warnings.join('; '))
    } catch (err) {
      steps.amend('write', `after-write checks failed: ${errText(err)}`)
    }
  }

  /**
   * The freeze the containers saw, from the engines' own pause/unpause events; Stackdeck's clock
   * (first pause request to last unpause confirmed) when the events cannot tell.
   */
  private async measureFreeze(
    report: RunReportT,
    ours: ContainerRef[],
    start: Date,
    end: Date,
  ): Promise<void> {
    const client = end.getTime() - start.getTime()
    report.freezeWindowClientMs = client
    const engine = ours.length
      ? await this.deps.stack.engineFreeze(ours, start.getTime(), end.getTime()).catch(() => null)
      : null
    report.freezeWindowMs = engine ?? client
    report.freezeClock = engine === null ? 'stackdeck' : 'engine'
  }

  /** Failure after pausing: resume what we froze, report exactly what happened. */
  private async abortAfterPause(
    report: RunReportT,
    steps: StepTracker,
    ours: ContainerRef[],
    ctx: CallContext,
    freezeStart: Date,
    finish: (o: RunReportT['outcome'], m: string, e?: unknown) => RunReportT,
    what: string,
    err?: unknown,
  ): Promise<RunReportT> {
    steps.start('unpause', 'rolling back')
    const un = await unpauseWithRetry(
      this.deps.stack,
      ours,
      ctx,
      'Save & Restart rollback',
      this.deps.unpauseRetries,
      this.deps.retryDelayMs,
    )
    await this.measureFreeze(report, ours, freezeStart, this.now())
    if (un.stillPaused.length > 0) {
      report.leftPaused = un.stillPaused
      steps.end('unpause', 'failed', {
        containers: un.results,
        detail: `still paused: ${names(un.stillPaused)}`,
      })
      this.raiseStillPaused(report.runId, un.stillPaused)
      await this.recovery.adoptStillPaused(report.runId, ctx, un.stillPaused, null, report.pausedBefore)
      report.containers = await checkContainers(this.deps.stack, ours, report.pausedBefore, new Map())
      return finish(
        'unpause_failed',
        `${what}. Resuming failed: ${names(un.stillPaused)} are still paused.`,
        err,
      )
    }
    steps.end('unpause', 'ok', { containers: un.results, detail: 'rolled back' })
    report.containers = await checkContainers(this.deps.stack, ours, report.pausedBefore, new Map())
    await this.deps.journal.clear()
    return finish('failed', `${what}. The ${ours.length} paused container(s) were resumed.`, err)
  }

  private raiseStillPaused(runId: string, refs: ContainerRef[]) {
    this.deps.emit.alert({
      id: `still-paused-${runId}`,
      level: 'critical',
      title: `${refs.length} container(s) still paused`,
      message: `Save & Restart could not resume: ${names(refs)}. The stack is NOT trading normally. Resume them from the Stack tab, or the recovery prompt.`,
      sticky: true,
    })
  }
}

function refsWith(results: ContainerResult[], outcomes: ContainerResult['outcome'][]): ContainerRef[] {
  return results
    .filter((r) => outcomes.includes(r.outcome))
    .map(({ id, name, service, endpoint }) => ({ id, name, service, endpoint }))
}
