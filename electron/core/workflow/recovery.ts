import type { CallContext } from '../api/call-context'
import type { Static } from 'typebox'
import type { RecoveryFollowUp, RecoveryInfo } from '../api/contract/workflow'
import type { JournalRecord } from './journal'
import type { ContainerRef, ContainerResult } from './ports'
import type { SaveAndRestartDeps } from './ports'
import { checkContainers, deferredServices, discountUnseen, proveFiles, reloadStates } from './reload-verify'
import { unpauseWithRetry } from './unpause-with-retry'

export type RecoveryInfoT = Static<typeof RecoveryInfo>
export type RecoveryFollowUpT = Static<typeof RecoveryFollowUp>

/**
 * Finds and settles runs that did not finish: after a crash (an open journal at start-up) or a run
 * whose unpause failed. Until settled, new runs are refused, so nothing piles onto a frozen stack.
 */
export class RecoveryManager {
  pending: RecoveryInfoT | null = null
  onChange: (info: RecoveryInfoT | null) => void = () => undefined

  constructor(private readonly deps: SaveAndRestartDeps) {}

  /** Called at start-up. Resumes at once when `autoResume`, otherwise raises a persistent alert. */
  async check(autoResume: boolean, ctx: CallContext): Promise<RecoveryInfoT | null> {
    const rec = await this.deps.journal.read()
    if (!rec) return null
    // Only what the dead run paused itself: its `paused` list, or, when it died while pausing, the
    // containers it was pausing (all running when it listed them). What someone else had paused
    // before the run is never a candidate, even if it is listed twice by an older journal.
    const before = rec.pausedBefore ?? []
    const notOurs = new Set(before.map((r) => `${r.endpoint}/${r.id}`))
    const candidates = (rec.paused.length > 0 || rec.phase !== 'pausing' ? rec.paused : rec.targets).filter(
      (c) => !notOurs.has(`${c.endpoint}/${c.id}`),
    )
    const states = await this.deps.stack.states(candidates)
    // 'unknown' (the engine did not answer) counts as paused: forgetting a container the dead run
    // may have left frozen is the one mistake recovery must not make.
    const stillPaused = candidates.filter((c) => states.get(c.id) === 'paused' || states.get(c.id) === 'unknown')
    const info: RecoveryInfoT = {
      runId: rec.runId,
      who: rec.who,
      startedAt: rec.startedAt,
      phase: rec.phase,
      stillPaused,
      pausedBefore: before,
      config: await this.configState(rec),
      backup: rec.backup,
    }
    this.set(info)
    const configNote = {
      old: 'config.toml still holds the previous settings',
      new: 'config.toml holds the new settings',
      other: 'config.toml was changed by someone else since',
      invalid: 'config.toml does NOT validate: restore a backup',
      missing: 'config.toml is missing: restore a backup',
    }[info.config]
    if (stillPaused.length === 0) {
      // The new file may be in place with no service told to read it: finish the run's last steps.
      const follow = info.config === 'new' ? await this.followUp(rec.newHash) : null
      await this.deps.journal.clear()
      this.deps.emit.alert({
        id: `recovery-${rec.runId}`,
        level: info.config === 'invalid' || info.config === 'missing' || (follow && !follow.ok) ? 'critical' : 'warning',
        title: 'Stackdeck stopped during a Save & Restart',
        message: `Nothing is left paused; ${configNote}.${follow ? ` Recovery ran the reload and verify: ${follow.detail}.` : ''}${leftAloneNote(before)}`,
        sticky: true,
      })
      this.set(null)
      return { ...info, ...(follow ? { afterResume: follow } : {}) }
    }
    if (autoResume) {
      await this.resolve('resume', ctx)
      return info
    }
    this.deps.emit.alert({
      id: `recovery-${rec.runId}`,
      level: 'critical',
      title: `Interrupted Save & Restart left ${stillPaused.length} container(s) paused`,
      message: `Started by ${rec.who} at ${rec.startedAt}, stopped at "${rec.phase}": ${stillPaused.map((s) => s.name).join(', ')} are paused; ${configNote}. Resume them from the recovery prompt.${leftAloneNote(before)}`,
      sticky: true,
    })
    return info
  }

  async adoptStillPaused(runId: string, ctx: CallContext, refs: ContainerRef[], backup: string | null, pausedBefore: ContainerRef[] = []): Promise<void> {
    const rec: JournalRecord = {
      version: 1, runId, who: ctx.who, door: ctx.door, startedAt: new Date().toISOString(), phase: 'unpausing',
      configPath: this.deps.configPath, baseHash: '', newHash: (await this.deps.config.currentHash()) ?? '',
      backup, targets: refs, paused: refs, pausedBefore,
    }
    await this.deps.journal.write(rec).catch(() => undefined)
    this.set({ runId, who: ctx.who, startedAt: rec.startedAt, phase: 'unpausing', stillPaused: refs, pausedBefore, config: 'new', backup })
  }

  /**
   * The interrupted run's last two steps, once nothing it paused is frozen: prove each container
   * sees the new file, signal every service and wait for its evidence, judge every container. What
   * is paused now (by the trader) stays paused and its reload is reported deferred.
   */
  async followUp(newHash: string | null): Promise<RecoveryFollowUpT> {
    const { stack } = this.deps
    try {
      const now = await stack.runningTargets()
      const all = [...now.running, ...now.paused]
      const proofs = await proveFiles(stack, all, newHash)
      const services = [...new Set(all.map((r) => r.service))]
      const evidence = discountUnseen(await stack.reload(services, new Date(), { awaitEvidence: true }), proofs)
      const containers = await checkContainers(stack, now.running, now.paused, reloadStates(evidence, true), proofs, 'recovery')
      const reload = { proved: evidence.proved, notProved: evidence.notProved, unverifiable: evidence.unverifiable, deferred: deferredServices(evidence) }
      const seen = containers.filter((c) => c.file?.matches === true).length
      const stale = containers.filter((c) => c.file?.matches === false).map((c) => c.name)
      const parts = [
        `reload proved for ${reload.proved.join(', ') || 'none'}`,
        ...(reload.notProved.length ? [`NOT proved for ${reload.notProved.join(', ')}`] : []),
        ...(reload.unverifiable.length ? [`unverifiable: ${reload.unverifiable.join(', ')}`] : []),
        ...(reload.deferred.length ? [`deferred (paused): ${reload.deferred.join(', ')}`] : []),
        `${seen}/${containers.length} container(s) seen holding the new file`,
        ...(stale.length ? [`still reading other bytes: ${stale.join(', ')}`] : []),
      ]
      return { reload, containers, ok: reload.notProved.length === 0 && stale.length === 0 && containers.every((c) => c.ok), detail: parts.join('; ') }
    } catch (err) {
      return {
        reload: { proved: [], notProved: [], unverifiable: [], deferred: [] },
        containers: [],
        ok: false,
        detail: `the reload and verify could not run: ${err instanceof Error ? err.message : String(err)}`,
      }
    }
  }

  async resolve(action: 'resume' | 'dismiss', ctx: CallContext): Promise<{ resumed: ContainerResult[]; dismissed: boolean; afterResume?: RecoveryFollowUpT }> {
    const info = this.pending
    if (!info) return { resumed: [], dismissed: false }
    if (action === 'dismiss') {
      await this.deps.journal.clear()
      this.set(null)
      return { resumed: [], dismissed: true }
    }
    // Look again: time may have passed since the check (the prompt waits for the trader). Only a
    // container that is still paused is resumed; one already running needs nothing.
    const now = await this.deps.stack.states(info.stillPaused).catch(() => null)
    const toResume = now
      ? info.stillPaused.filter((c) => now.get(c.id) === 'paused' || now.get(c.id) === 'unknown')
      : info.stillPaused
    const untouched: ContainerResult[] = info.stillPaused
      .filter((c) => !toResume.includes(c))
      .map((c) => {
        const st = now?.get(c.id)
        if (st === 'missing') return { ...c, outcome: 'gone' as const, ms: 0 }
        if (st === 'running') return { ...c, outcome: 'already' as const, ms: 0 }
        // Stopped meanwhile (an engine restart stops paused containers): not paused, so nothing to
        // resume, but not running either; say so instead of calling it resumed.
        return { ...c, outcome: 'failed' as const, error: `${st ?? 'unknown'}, not paused: nothing to resume; start it from the Stack tab`, ms: 0 }
      })
    const un = await unpauseWithRetry(this.deps.stack, toResume, ctx, 'recovery after interrupted Save & Restart', this.deps.unpauseRetries, this.deps.retryDelayMs)
    un.results.push(...untouched)
    if (un.stillPaused.length === 0) {
      // Resuming alone leaves every service on the old config: 0 of 12 re-read it before this.
      const hash = info.config === 'new' ? await this.deps.config.currentHash().catch(() => null) : null
      const afterResume = info.config === 'new' ? await this.followUp(hash) : undefined
      await this.deps.journal.clear()
      this.set(null)
      if (afterResume && !afterResume.ok) {
        this.deps.emit.alert({
          id: `recovery-reload-${info.runId}`,
          level: 'critical',
          title: 'Recovery resumed the stack, but the new config is not proved',
          message: afterResume.detail,
          sticky: true,
        })
      }
      return { resumed: un.results, dismissed: false, ...(afterResume ? { afterResume } : {}) }
    }
    this.set({ ...info, stillPaused: un.stillPaused })
    return { resumed: un.results, dismissed: false }
  }

  private set(info: RecoveryInfoT | null) {
    this.pending = info
    this.onChange(info)
  }

  private async configState(rec: JournalRecord): Promise<RecoveryInfoT['config']> {
    const hash = await this.deps.config.currentHash().catch(() => null)
    if (hash === null) return 'missing'
    if (!(await this.deps.config.isValidOnDisk().catch(() => false))) return 'invalid'
    if (hash === rec.newHash) return 'new'
    if (hash === rec.baseHash) return 'old'
    return 'other'
  }
}

function leftAloneNote(before: ContainerRef[]): string {
  if (before.length === 0) return ''
  return ` Left paused as they were before the run (paused by the trader, never resumed by recovery): ${before.map((c) => c.name).join(', ')}.`
}
