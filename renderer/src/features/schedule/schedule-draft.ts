import type { OpInput } from '@contract'

/**
 * The editor's model of config.toml [schedule], and the pure conversions around it: from the loaded
 * table, to the preview's candidate rules, back into the config value, and a one-line summary of
 * what changed. Kept free of React so it can be tested on its own.
 */

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type DayName = (typeof DAYS)[number]
export const DEFAULT_DAYS: DayName[] = ['mon', 'tue', 'wed', 'thu', 'fri']

export interface EarlyClose {
  date: string
  stop: string
}

export interface ScheduleDraft {
  start: string
  startCron: boolean
  stop: string
  stopCron: boolean
  timezone: string
  days: DayName[]
  holidays: string[]
  earlyCloses: EarlyClose[]
}

export type CandidateRules = OpInput<'schedule.preview'>['rules']

const CLOCK_RE = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,9})?)?$/

export const isClock = (s: string): boolean => CLOCK_RE.test(s.trim())

/** "16:00:00" and "16:00" are the same time; a picker shows the short form. */
export function normalizeClock(s: string): string {
  const m = CLOCK_RE.exec(s.trim())
  if (!m) return s.trim()
  return m[3] && m[3] !== '00' ? `${m[1]}:${m[2]}:${m[3]}` : `${m[1]}:${m[2]}`
}

const sameTime = (a: string, b: string) => (isClock(a) && isClock(b) ? normalizeClock(a) === normalizeClock(b) : a.trim() === b.trim())

const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null)

const isDay = (s: string): s is DayName => (DAYS as readonly string[]).includes(s)

/** The editor's starting point: the [schedule] table as config.load parsed it (dates and times as strings). */
export function draftFromTable(raw: unknown, machineZone: string): ScheduleDraft {
  const t = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {}
  const start = str(t['start']) ?? '09:30'
  const stop = str(t['stop']) ?? '16:00'
  const days = Array.isArray(t['days'])
    ? t['days'].map((d) => String(d).toLowerCase()).filter(isDay)
    : [...DEFAULT_DAYS]
  const holidays = Array.isArray(t['holidays']) ? t['holidays'].map((d) => String(d)) : []
  const early = Array.isArray(t['early_closes'])
    ? t['early_closes'].flatMap((e) => {
        if (!e || typeof e !== 'object') return []
        const o = e as Record<string, unknown>
        return [{ date: str(o['date']) ?? '', stop: normalizeClock(str(o['stop']) ?? '') }]
      })
    : []
  return {
    start: isClock(start) ? normalizeClock(start) : start,
    startCron: !isClock(start),
    stop: isClock(stop) ? normalizeClock(stop) : stop,
    stopCron: !isClock(stop),
    timezone: str(t['timezone']) ?? machineZone,
    days: DAYS.filter((d) => days.includes(d)),
    holidays,
    earlyCloses: early,
  }
}

/** What schedule.preview validates. A cron start carries its own days, so `days` is left out then. */
export function draftToCandidate(d: ScheduleDraft): CandidateRules {
  return {
    start: d.start.trim(),
    stop: d.stop.trim(),
    timezone: d.timezone.trim(),
    ...(d.startCron ? {} : { days: [...d.days] }),
    holidays: [...d.holidays],
    early_closes: d.earlyCloses.map((e) => ({ date: e.date, stop: e.stop })),
  }
}

/**
 * The new [schedule] table for config.save / Save & Restart. Values that did not change keep their
 * original form (a TOML local time 16:00:00 stays one), and optional keys that were absent stay
 * absent while empty, so an unchanged field never shows up in the diff.
 */
export function draftToTable(d: ScheduleDraft, original: unknown): Record<string, unknown> {
  const orig = original && typeof original === 'object' && !Array.isArray(original) ? (original as Record<string, unknown>) : {}
  const out: Record<string, unknown> = { ...orig }
  const keep = (key: string, next: string) => {
    const before = str(orig[key])
    out[key] = before !== null && sameTime(before, next) ? orig[key] : next.trim()
  }
  keep('start', d.start)
  keep('stop', d.stop)
  out['timezone'] = str(orig['timezone']) === d.timezone.trim() ? orig['timezone'] : d.timezone.trim()

  if (d.startCron) delete out['days']
  else {
    const before = Array.isArray(orig['days']) ? orig['days'].map(String) : null
    out['days'] = before && before.join(',') === d.days.join(',') ? orig['days'] : [...d.days]
  }

  const origHolidays = Array.isArray(orig['holidays']) ? (orig['holidays'] as unknown[]) : null
  if (d.holidays.length === 0 && !origHolidays) delete out['holidays']
  else out['holidays'] = d.holidays.map((h) => origHolidays?.find((o) => String(o) === h) ?? h)

  const origEarly = Array.isArray(orig['early_closes']) ? (orig['early_closes'] as unknown[]) : null
  if (d.earlyCloses.length === 0 && !origEarly) delete out['early_closes']
  else
    out['early_closes'] = d.earlyCloses.map((e) => {
      const same = origEarly?.find((o) => {
        const r = o as Record<string, unknown> | null
        return !!r && String(r['date']) === e.date && sameTime(str(r['stop']) ?? '', e.stop)
      })
      return same ?? { date: e.date, stop: e.stop }
    })
  return out
}

function sameDraft(a: ScheduleDraft, b: ScheduleDraft): boolean {
  return JSON.stringify(draftToCandidate(a)) === JSON.stringify(draftToCandidate(b)) && a.startCron === b.startCron && a.stopCron === b.stopCron
}

export const isDirty = (applied: ScheduleDraft | null, draft: ScheduleDraft | null): boolean =>
  !!applied && !!draft && !sameDraft(applied, draft)

/** "mon–fri", "mon, wed, fri", "every day". */
export function formatDays(days: readonly string[]): string {
  if (days.length === 7) return 'every day'
  if (days.length === 0) return 'no days'
  const idx = days.map((d) => DAYS.indexOf(d as DayName)).sort((a, b) => a - b)
  const contiguous = idx.every((v, i) => i === 0 || v === (idx[i - 1] ?? -2) + 1)
  if (contiguous && idx.length > 2) return `${DAYS[idx[0] ?? 0]}–${DAYS[idx[idx.length - 1] ?? 0]}`
  return idx.map((i) => DAYS[i]).join(', ')
}

/** One line for the Save & Restart confirmation: what the schedule change does. */
export function describeChange(before: ScheduleDraft, after: ScheduleDraft): string {
  const parts: string[] = []
  const arrow = (label: string, a: string, b: string) => {
    if (a !== b) parts.push(`${label} ${a || '—'} → ${b || '—'}`)
  }
  arrow('start', before.start.trim(), after.start.trim())
  arrow('stop', before.stop.trim(), after.stop.trim())
  arrow('time zone', before.timezone.trim(), after.timezone.trim())
  if (!after.startCron) arrow('days', formatDays(before.days), formatDays(after.days))
  const added = after.holidays.filter((h) => !before.holidays.includes(h))
  const removed = before.holidays.filter((h) => !after.holidays.includes(h))
  if (added.length) parts.push(`holidays added: ${added.join(', ')}`)
  if (removed.length) parts.push(`holidays removed: ${removed.join(', ')}`)
  const key = (e: EarlyClose) => `${e.date} ${e.stop}`
  const eAdded = after.earlyCloses.filter((e) => !before.earlyCloses.some((b) => key(b) === key(e)))
  const eRemoved = before.earlyCloses.filter((e) => !after.earlyCloses.some((a) => key(a) === key(e)))
  if (eAdded.length) parts.push(`early closes added: ${eAdded.map(key).join(', ')}`)
  if (eRemoved.length) parts.push(`early closes removed: ${eRemoved.map(key).join(', ')}`)
  return parts.length ? `Schedule: ${parts.join('; ')}.` : 'The schedule is unchanged.'
}

/** A clock start as a cron expression, seeded with the selected days (cron day-of-week: sun = 0). */
export function clockToCron(clock: string, days: readonly DayName[]): string {
  const m = CLOCK_RE.exec(clock.trim())
  const [h, min] = m ? [Number(m[1]), Number(m[2])] : [9, 30]
  const dow = days.length === 0 || days.length === 7 ? '*' : days.map((d) => (DAYS.indexOf(d) + 1) % 7).sort((a, b) => a - b).join(',')
  return `${min} ${h} * * ${dow}`
}

/** The clock time of a simple "M H * * X" cron, or null when it is anything fancier. */
export function cronToClock(cron: string): string | null {
  const m = /^\s*(\d{1,2})\s+(\d{1,2})\s+\S+\s+\S+\s+\S+\s*$/.exec(cron)
  if (!m) return null
  const h = Number(m[2])
  const min = Number(m[1])
  if (h > 23 || min > 59) return null
  return `${String(h).padStart(2, '0')}:${String(min).padStart(2, '0')}`
}

export type FieldKey = 'start' | 'stop' | 'timezone' | 'days' | 'holidays' | 'early_closes' | 'general'

export interface FieldError {
  field: FieldKey
  /** Index into holidays / early_closes when the error names one entry. */
  index?: number
  message: string
}

const FIELDS: readonly FieldKey[] = ['start', 'stop', 'timezone', 'days', 'holidays', 'early_closes']

/** Places a validation error (JSON pointer /schedule/early_closes/1/stop) next to its field. */
export function placeError(e: { path?: string; message: string }): FieldError {
  const parts = (e.path ?? '').split('/').filter(Boolean)
  if (parts[0] === 'schedule' || parts[0] === 'rules') parts.shift()
  const field = FIELDS.find((f) => f === parts[0])
  if (!field) return { field: 'general', message: e.message }
  const idx = parts[1] !== undefined && /^\d+$/.test(parts[1]) ? Number(parts[1]) : undefined
  return idx === undefined ? { field, message: e.message } : { field, index: idx, message: e.message }
}
