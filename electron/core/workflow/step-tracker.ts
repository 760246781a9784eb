import type { StepReportT } from '../api/contract/workflow'

type StepName = StepReportT['step']

/** Records each step's timing and announces every start and end as a progress event. */
export class StepTracker {
  readonly steps: StepReportT[] = []
  private readonly started = new Map<StepName, number>()

  constructor(
    private readonly runId: string,
    private readonly emit: (runId: string, step: StepReportT) => void,
    private readonly now: () => Date,
  ) {}

  start(step: StepName, detail?: string): void {
    const at = this.now()
    this.started.set(step, at.getTime())
    const rep: StepReportT = { step, status: 'running', startedAt: at.toISOString() }
    if (detail) rep.detail = detail
    this.steps.push(rep)
    this.emit(this.runId, { ...rep })
  }

  end(step: StepName, status: Exclude<StepReportT['status'], 'running'>, extra: Partial<StepReportT> = {}): void {
    const at = this.now()
    let rep = this.steps.find((s) => s.step === step)
    if (!rep) {
      rep = { step, status }
      this.steps.push(rep)
    }
    const t0 = this.started.get(step)
    Object.assign(rep, extra, { status, endedAt: at.toISOString() })
    if (t0 !== undefined) rep.ms = at.getTime() - t0
    this.emit(this.runId, { ...rep })
  }

  /** Adds to an ended step's detail (what a later check found about it) and announces it again. */
  amend(step: StepName, more: string): void {
    const rep = this.steps.find((s) => s.step === step)
    if (!rep) return
    rep.detail = rep.detail ? `${rep.detail}; ${more}` : more
    if (rep.status === 'ok') rep.status = 'warning'
    this.emit(this.runId, { ...rep })
  }

  skip(step: StepName, detail: string): void {
    this.end(step, 'skipped', { detail })
  }
}
