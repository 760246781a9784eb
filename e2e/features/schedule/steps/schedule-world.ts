import { World, setWorldConstructor, type IWorldOptions } from '@cucumber/cucumber'
import { FakeClock } from '../../../../electron/core/shared/clock'
import { Scheduler, type ScheduleTransitionEvent } from '../../../../electron/core/schedule/scheduler'
import { parseScheduleRules, type ScheduleRules } from '../../../../electron/core/schedule/schedule-rules'
import { MemoryTradingFlag } from '../../../../electron/core/schedule/trading-flag'
import { resolveWall } from '../../../../electron/core/schedule/zoned-time'

const DAY = 86_400_000

/**
 * One scenario: a [schedule] section being assembled by Given steps, then the real Scheduler on a
 * FakeClock writing an in-memory trading_enabled flag.
 */
export class ScheduleWorld extends World {
  raw: Record<string, unknown> = { start: '09:30', stop: '16:00', timezone: 'America/New_York' }
  today = '2026-03-10'
  initialFlag: boolean | null = null
  clock: FakeClock | null = null
  flag: MemoryTradingFlag | null = null
  scheduler: Scheduler | null = null
  rules: ScheduleRules | null = null
  events: ScheduleTransitionEvent[] = []
  /** Index into flag.writes / events when the last When step began. */
  writesMark = 0
  eventsMark = 0
  /** The instant the last "system time reaches" step stopped at. */
  reachedAt: number | null = null

  constructor(options: IWorldOptions) {
    super(options)
  }

  get zone(): string {
    return String(this.raw.timezone)
  }

  /** The instant of local `hhmm` on `date` in the exchange zone. */
  localInstant(date: string, hhmm: string): number {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number]
    const [h, mi] = hhmm.split(':').map(Number) as [number, number]
    return resolveWall(this.zone, Date.UTC(y, m - 1, d, h, mi)).at
  }

  /** The first instant after now (or after the start of today) whose local time is `hhmm`. */
  nextLocal(hhmm: string, after: number): number {
    for (let day = Date.parse(`${this.today}T00:00:00Z`) - DAY; ; day += DAY) {
      const t = this.localInstant(new Date(day).toISOString().slice(0, 10), hhmm)
      if (t > after) return t
    }
  }

  async startAt(instant: number): Promise<void> {
    if (this.scheduler) throw new Error('Stackdeck is already running in this scenario')
    this.rules = parseScheduleRules(this.raw)
    const clock = new FakeClock(instant)
    this.clock = clock
    this.flag = new MemoryTradingFlag(this.initialFlag, () => clock.now())
    const rules = this.rules
    this.scheduler = new Scheduler({
      clock,
      getRules: () => rules,
      flag: this.flag,
      onTransition: (e) => this.events.push(e),
    })
    await this.scheduler.start()
  }

  mark(): void {
    this.writesMark = this.flag?.writes.length ?? 0
    this.eventsMark = this.events.length
    this.reachedAt = null
  }

  stop(): void {
    this.scheduler?.stop()
  }
}

setWorldConstructor(ScheduleWorld)
