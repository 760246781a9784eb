import type { ErrorDetail } from '../errors'
import type { ScheduleRules } from './rule-types'
import { validateScheduleRules } from './schedule-rules'

export interface RulesProblem {
  message: string
  details: ErrorDetail[]
}

/**
 * The schedule's rules as `config.toml [schedule]` holds them now. The file is the one source: the
 * rules are re-read after every change to it (a save, a restore, a Save & Restart, an outside edit),
 * never cached across one. A file that cannot be read or a [schedule] that is invalid leaves no rules
 * (the scheduler then drives nothing) and a problem the Schedule tab shows, rather than the last good
 * rules silently staying in force.
 */
export class ScheduleRulesSource {
  private rules: ScheduleRules | null = null
  private problem: RulesProblem | null = null

  constructor(private readonly loadConfig: () => Promise<{ value: unknown }>) {}

  current(): ScheduleRules | null {
    return this.rules
  }

  currentProblem(): RulesProblem | null {
    return this.problem
  }

  async refresh(): Promise<void> {
    try {
      const loaded = await this.loadConfig()
      const raw = (loaded.value as Record<string, unknown> | null)?.['schedule']
      if (raw === undefined) return this.set(null, null)
      const v = validateScheduleRules(raw)
      if (v.ok) return this.set(v.rules, null)
      this.set(null, { message: `config.toml [schedule] is invalid: ${v.errors.map((e) => `${e.path ?? ''} ${e.message}`).join('; ')}`, details: v.errors })
    } catch (err) {
      this.set(null, { message: (err as Error).message, details: [] })
    }
  }

  private set(rules: ScheduleRules | null, problem: RulesProblem | null): void {
    this.rules = rules
    this.problem = problem
  }
}
