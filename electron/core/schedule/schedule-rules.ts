import { Cron } from 'croner'
import { CoreError, type ErrorDetail } from '../errors'
import { compileRules } from './compile-rules'
import type { EarlyClose, ScheduleRules, TimeSpec } from './rule-types'
import { DAY_NAMES, canonicalZone, dateToWall, machineTimeZone, type DayName } from './zoned-time'

export type { EarlyClose, ScheduleRules, TimeSpec } from './rule-types'

export const DEFAULT_DAYS: readonly DayName[] = ['mon', 'tue', 'wed', 'thu', 'fri']
const KNOWN_KEYS = ['start', 'stop', 'timezone', 'days', 'holidays', 'early_closes'] as const
const CLOCK_RE = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.(\d{1,9}))?)?$/
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/

export type RulesValidation =
  | { ok: true; rules: ScheduleRules }
  | { ok: false; code: 'invalid_input' | 'schema_error'; errors: ErrorDetail[] }

export interface ParseOptions {
  /** Zone used when `timezone` is absent; defaults to the machine's zone. */
  machineTimezone?: string
  /** JSON pointer prefix of the section, for error paths. */
  basePath?: string
}

/** Validate `raw` and throw a CoreError listing every problem (details[].path is a JSON pointer). */
export function parseScheduleRules(raw: unknown, opts: ParseOptions = {}): ScheduleRules {
  const v = validateScheduleRules(raw, opts)
  if (v.ok) return v.rules
  const first = v.errors[0]
  const summary = first ? `${first.path ?? ''}: ${first.message}` : 'invalid'
  const more = v.errors.length > 1 ? ` (and ${v.errors.length - 1} more)` : ''
  throw new CoreError(v.code, `Invalid [schedule]: ${summary}${more}`, { details: v.errors })
}

/** Same checks as parseScheduleRules, returning the problems as a value (for previews). */
export function validateScheduleRules(raw: unknown, opts: ParseOptions = {}): RulesValidation {
  const base = opts.basePath ?? '/schedule'
  const shape: ErrorDetail[] = []
  const value: ErrorDetail[] = []
  const at = (key: string) => `${base}/${key}`

  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      ok: false,
      code: 'schema_error',
      errors: [{ path: base, message: 'expected a [schedule] table' }],
    }
  }
  const r = raw as Record<string, unknown>
  for (const k of Object.keys(r)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(k)) {
      shape.push({ path: at(k), message: `unknown key "${k}" (allowed: ${KNOWN_KEYS.join(', ')})` })
    }
  }

  const start = parseTimeSpec(r.start, at('start'), 'start', shape, value)
  const stop = parseTimeSpec(r.stop, at('stop'), 'stop', shape, value)

  let timezone = ''
  let timezoneDefaulted = false
  if (r.timezone === undefined) {
    timezone = canonicalZone(opts.machineTimezone ?? machineTimeZone()) ?? 'UTC'
    timezoneDefaulted = true
  } else if (typeof r.timezone !== 'string') {
    shape.push({
      path: at('timezone'),
      message: 'expected an IANA time zone name such as "America/New_York"',
    })
  } else {
    const z = canonicalZone(r.timezone)
    if (z === null) value.push({ path: at('timezone'), message: `unknown time zone "${r.timezone}"` })
    else timezone = z
  }

  let days: DayName[] | null = [...DEFAULT_DAYS]
  let daysDefaulted = r.days === undefined
  if (r.days !== undefined) {
    if (start?.kind === 'cron') {
      value.push({
        path: at('days'),
        message: 'days cannot be combined with a cron start: put the days in the cron day-of-week field',
      })
    }
    days = parseDays(r.days, at('days'), shape, value)
  } else if (start?.kind === 'cron') {
    days = null
    daysDefaulted = false
  }

  const holidays = parseHolidays(r.holidays, at('holidays'), shape, value)
  const earlyRaw = parseEarlyCloses(r.early_closes, at('early_closes'), shape, value)

  if (start && stop && start.kind === stop.kind) {
    const same =
      start.kind === 'clock' && stop.kind === 'clock'
        ? start.ms === stop.ms
        : normCron(start.text) === normCron(stop.text)
    if (same) value.push({ path: at('stop'), message: 'stop must differ from start' })
  }

  if (shape.length > 0) return { ok: false, code: 'schema_error', errors: [...shape, ...value] }
  if (value.length > 0 || !start || !stop) return { ok: false, code: 'invalid_input', errors: value }

  const rules: ScheduleRules = {
    start,
    stop,
    timezone,
    timezoneDefaulted,
    days,
    daysDefaulted,
    holidays,
    earlyCloses: [],
    overnight: start.kind === 'clock' && stop.kind === 'clock' && stop.ms < start.ms,
  }
  // Early closes are checked against the compiled rules: they must fall on a day with a window and
  // end it early (strictly inside it), or they would silently do nothing.
  const probe = compileRules(rules)
  if (!probe.startsEver()) value.push({ path: at('start'), message: 'start never fires on any allowed day' })
  for (const e of earlyRaw) {
    const problem = probe.checkEarlyClose(e.date, e.ms)
    if (problem) value.push({ path: `${at('early_closes')}/${e.index}`, message: problem })
  }
  if (value.length > 0) return { ok: false, code: 'invalid_input', errors: value }
  rules.earlyCloses = earlyRaw
    .map(({ date, stop, ms }) => ({ date, stop, ms }))
    .sort((a, b) => a.date.localeCompare(b.date))
  return { ok: true, rules }
}

function normCron(text: string): string {
  return text.trim().split(/\s+/).join(' ').toLowerCase()
}

/** HH:MM[:SS[.fff]] -> ms after midnight, or null. */
export function parseClock(text: string): number | null {
  const m = CLOCK_RE.exec(text.trim())
  if (!m) return null
  const frac = m[4] ? Math.floor(Number(`0.${m[4]}`) * 1000) : 0
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3] ?? 0)) * 1000 + frac
}

function parseTimeSpec(
  v: unknown,
  path: string,
  name: string,
  shape: ErrorDetail[],
  value: ErrorDetail[],
): TimeSpec | null {
  if (v === undefined) {
    shape.push({ path, message: `${name} is required ("HH:MM" or a 5-field cron expression)` })
    return null
  }
  if (typeof v !== 'string') {
    shape.push({
      path,
      message: `${name} must be a string: "HH:MM", "HH:MM:SS" or a 5-field cron such as "30 9 * * 1-5"`,
    })
    return null
  }
  const text = v.trim()
  if (!/\s/.test(text)) {
    const ms = parseClock(text)
    if (ms === null) {
      value.push({
        path,
        message: `${name} "${v}" is not a time: expected HH:MM or HH:MM:SS (00:00 to 23:59:59)`,
      })
      return null
    }
    return { kind: 'clock', text, ms }
  }
  const fields = text.split(/\s+/)
  if (fields.length !== 5) {
    value.push({
      path,
      message: `${name} "${v}" has ${fields.length} fields: a cron expression needs exactly 5 (minute hour day-of-month month day-of-week)`,
    })
    return null
  }
  try {
    new Cron(text, { timezone: 'UTC', mode: '5-part' })
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).replace(/^CronPattern:\s*/, '')
    value.push({ path, message: `${name} "${v}" is not a valid cron expression: ${why}` })
    return null
  }
  return { kind: 'cron', text: fields.join(' ') }
}

function parseDays(v: unknown, path: string, shape: ErrorDetail[], value: ErrorDetail[]): DayName[] {
  if (!Array.isArray(v)) {
    shape.push({ path, message: 'days must be a list such as ["mon", "tue", "wed", "thu", "fri"]' })
    return []
  }
  if (v.length === 0) value.push({ path, message: 'days must name at least one day' })
  const out = new Set<DayName>()
  ;(v as unknown[]).forEach((d, i) => {
    const name = typeof d === 'string' ? d.trim().toLowerCase() : d
    if (typeof name === 'string' && (DAY_NAMES as readonly string[]).includes(name)) out.add(name as DayName)
    else
      value.push({
        path: `${path}/${i}`,
        message: `unknown day ${JSON.stringify(d)}: use mon, tue, wed, thu, fri, sat or sun`,
      })
  })
  // Keep the week's order for display.
  return ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].filter((d) => out.has(d as DayName)) as DayName[]
}

function checkDate(d: unknown, path: string, shape: ErrorDetail[], value: ErrorDetail[]): string | null {
  if (typeof d !== 'string') {
    shape.push({ path, message: 'expected a date "YYYY-MM-DD"' })
    return null
  }
  if (!DATE_RE.test(d) || dateToWall(d) === null) {
    value.push({ path, message: `"${d}" is not a date: expected YYYY-MM-DD` })
    return null
  }
  return d
}

function parseHolidays(v: unknown, path: string, shape: ErrorDetail[], value: ErrorDetail[]): string[] {
  if (v === undefined) return []
  if (!Array.isArray(v)) {
    shape.push({ path, message: 'holidays must be a list of dates ["YYYY-MM-DD", ...]' })
    return []
  }
  const out = new Set<string>()
  v.forEach((d, i) => {
    const ok = checkDate(d, `${path}/${i}`, shape, value)
    if (ok) out.add(ok)
  })
  return [...out].sort()
}

type IndexedEarlyClose = EarlyClose & { index: number }

function parseEarlyCloses(
  v: unknown,
  path: string,
  shape: ErrorDetail[],
  value: ErrorDetail[],
): IndexedEarlyClose[] {
  if (v === undefined) return []
  if (!Array.isArray(v)) {
    shape.push({ path, message: 'early_closes must be a list of { date = "YYYY-MM-DD", stop = "HH:MM" }' })
    return []
  }
  const out: IndexedEarlyClose[] = []
  const seen = new Set<string>()
  v.forEach((e, i) => {
    const p = `${path}/${i}`
    if (typeof e !== 'object' || e === null || Array.isArray(e)) {
      shape.push({ path: p, message: 'expected { date = "YYYY-MM-DD", stop = "HH:MM" }' })
      return
    }
    const o = e as Record<string, unknown>
    for (const k of Object.keys(o)) {
      if (k !== 'date' && k !== 'stop')
        shape.push({ path: `${p}/${k}`, message: `unknown key "${k}" (allowed: date, stop)` })
    }
    let date: string | null = null
    if (o.date === undefined) shape.push({ path: `${p}/date`, message: 'date is required' })
    else date = checkDate(o.date, `${p}/date`, shape, value)
    let ms: number | null = null
    if (typeof o.stop !== 'string') shape.push({ path: `${p}/stop`, message: 'stop is required: "HH:MM"' })
    else {
      ms = parseClock(o.stop)
      if (ms === null)
        value.push({ path: `${p}/stop`, message: `"${o.stop}" is not a time: expected HH:MM or HH:MM:SS` })
    }
    if (date && seen.has(date))
      value.push({ path: `${p}/date`, message: `${date} has more than one early close` })
    if (date && ms !== null && typeof o.stop === 'string') {
      seen.add(date)
      out.push({ date, stop: o.stop.trim(), ms, index: i })
    }
  })
  return out
}
