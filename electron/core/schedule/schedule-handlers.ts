import type { HandlersFor } from '../api/define'
import type { ScheduleRulesViewT, ScheduleViewT, scheduleOperations } from '../api/contract/schedule'
import { CoreError, type ErrorDetail } from '../errors'
import type { Scheduler, SchedulerStatus } from './scheduler'
import { toView } from './scheduler'
import { validateScheduleRules, type ScheduleRules } from './schedule-rules'
import type { TradingFlag } from './trading-flag'
import { isTradingWindow, nextTransitions } from './trading-window'
import { machineTimeZone } from './zoned-time'

type Ops = typeof scheduleOperations
export type ScheduleHandlers = HandlersFor<Ops>

export interface ScheduleHandlerDeps {
  /** null when the schedule is switched off in the settings: get still answers, override is refused. */
  scheduler: Pick<Scheduler, 'describe' | 'override' | 'clearOverride'> | null
  /** Where the flag is read for display; reads that take longer than `flagTimeoutMs` report an error. */
  flag?: Pick<TradingFlag, 'get'> | null
  /** The configured [schedule] failed validation: shown instead of rules. */
  rulesProblem?: () => { message: string; details: ErrorDetail[] } | null
  now?: () => Date
  machineTimezone?: () => string
  /** How many upcoming transitions schedule.get lists. */
  upcoming?: number
  flagTimeoutMs?: number
}

export function rulesView(r: ScheduleRules): ScheduleRulesViewT {
  return {
    start: r.start.text,
    startKind: r.start.kind,
    stop: r.stop.text,
    stopKind: r.stop.kind,
    timezone: r.timezone,
    timezoneDefaulted: r.timezoneDefaulted,
    days: r.days === null ? null : [...r.days],
    daysDefaulted: r.daysDefaulted,
    holidays: [...r.holidays],
    early_closes: r.earlyCloses.map((e) => ({ date: e.date, stop: e.stop })),
    overnight: r.overnight,
  }
}

const iso = (d: Date | undefined) => (d ? d.toISOString() : null)

async function readFlag(deps: ScheduleHandlerDeps): Promise<Pick<ScheduleViewT, 'flag' | 'flagError'>> {
  if (!deps.flag) return { flag: null, flagError: null }
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('Redis did not answer in time')), deps.flagTimeoutMs ?? 1500)
    timer.unref?.()
  })
  try {
    const st = await Promise.race([deps.flag.get(), timeout])
    return {
      flag: st ? { value: st.value, version: st.version, who: st.who, why: st.why, at: st.at, ...(st.source !== undefined && { source: st.source }) } : null,
      flagError: null,
    }
  } catch (err) {
    return { flag: null, flagError: err instanceof Error ? err.message : String(err) }
  } finally {
    clearTimeout(timer)
  }
}

export function createScheduleHandlers(deps: ScheduleHandlerDeps): ScheduleHandlers {
  const now = deps.now ?? (() => new Date())
  const zone = deps.machineTimezone ?? machineTimeZone
  const upcoming = deps.upcoming ?? 5

  async function view(st: SchedulerStatus | null): Promise<ScheduleViewT> {
    const at = st?.checkedAt ? new Date(st.checkedAt) : now()
    const rules = st?.rules ?? null
    const win = st?.window ?? null
    const problem = deps.rulesProblem?.() ?? null
    const list = rules ? nextTransitions(rules, at, upcoming).map(toView) : []
    const flagRead = await readFlag(deps)
    const desired = st?.desired ?? null
    const flag = flagRead.flag
    // The flag is what the services obey. When something else wrote it (the killswitch, a script),
    // say that, instead of answering "enabled" next to a flag that reads false.
    const held = flag !== null && desired !== null && flag.value !== desired
    const heldBy: 'killswitch' | 'other' = flag?.source === 'killswitch' || st?.vetoed ? 'killswitch' : 'other'
    const scheduleReason =
      st?.source === 'override' && st.override
        ? `Override by ${st.override.who}: trading ${st.override.value ? 'on' : 'off'} ${st.override.until === 'cleared' ? 'until cleared' : `until ${st.override.expiresAt ?? 'cleared'}`}`
        : (win?.reason ?? (problem ? `No valid schedule: ${problem.message}` : 'No schedule configured'))
    const reason = held
      ? `Trading ${flag.value ? 'enabled' : 'disabled'} by ${heldBy === 'killswitch' ? 'the killswitch' : flag.who}${st?.vetoed ? ` (${st.vetoed})` : flag.why ? ` (${flag.why})` : ''}; the schedule wants it ${desired ? 'on' : 'off'}: ${scheduleReason}`
      : scheduleReason
    return {
      configured: rules !== null,
      rules: rules ? rulesView(rules) : null,
      rulesError: problem
        ? {
            message: problem.message,
            details: problem.details.map((d) => ({
              ...(d.path !== undefined && { path: d.path }),
              message: d.message,
            })),
          }
        : null,
      state: {
        enabled: flag ? flag.value : desired,
        desired,
        reason,
        code: held ? `held-by-${heldBy}` : st?.source === 'override' ? 'override' : (win?.code ?? 'not-configured'),
        source: held ? heldBy : (st?.source ?? 'none'),
        override: st?.override ?? null,
        windowStart: iso(win?.windowStart),
        windowEnd: iso(win?.windowEnd),
        vetoed: st?.vetoed ?? null,
      },
      ...flagRead,
      next: st?.next ?? null,
      upcoming: list,
      machineTimezone: zone(),
      now: at.toISOString(),
      lastError: st?.lastError ?? null,
    }
  }

  return {
    'schedule.get': async () => view(deps.scheduler ? deps.scheduler.describe(now()) : null),

    'schedule.preview': async (input) => {
      const v = validateScheduleRules(input.rules, { machineTimezone: zone() })
      if (!v.ok)
        return {
          ok: false as const,
          errors: v.errors.map((e) => ({
            ...(e.path !== undefined && { path: e.path }),
            message: e.message,
          })),
        }
      const at = input.now === undefined ? now() : new Date(input.now)
      if (Number.isNaN(at.getTime()))
        throw new CoreError('invalid_input', 'now is not a valid date-time', { path: '/now' })
      const st = isTradingWindow(v.rules, at)
      return {
        ok: true as const,
        rules: rulesView(v.rules),
        enabled: st.enabled,
        reason: st.reason,
        code: st.code,
        windowStart: iso(st.windowStart),
        windowEnd: iso(st.windowEnd),
        transitions: nextTransitions(v.rules, at, Math.min(input.n ?? 10, 20)).map(toView),
        now: at.toISOString(),
        machineTimezone: zone(),
      }
    },

    'schedule.override': async (input, ctx) => {
      const s = deps.scheduler
      if (!s)
        throw new CoreError(
          'unavailable',
          'The trading schedule is switched off in the settings (schedule.enabled = false).',
        )
      if (input.value === null) await s.clearOverride(ctx.who)
      else {
        const req: Parameters<Scheduler['override']>[0] = {
          value: input.value,
          until: input.until ?? 'next-transition',
        }
        const why = input.reason?.trim()
        if (why) req.why = why
        await s.override(req, ctx.who)
      }
      return view(s.describe(now()))
    },
  }
}
