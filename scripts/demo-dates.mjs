#!/usr/bin/env node
// The demo's config.toml is config.example.toml with its holidays and early closes moved next to
// today: the example's fixed dates fall in the past within weeks, and a demo whose calendar shows
// nothing coming up hides what the scheduler does. Days are the schedule's own (its `timezone`).
//
//   node scripts/demo-dates.mjs < config.example.toml > config.toml     (today)
//   STACKDECK_DEMO_TODAY=2026-03-02 node scripts/demo-dates.mjs < ...    (a fixed day, for a test)

const WEEKDAYS = new Set([1, 2, 3, 4, 5])

/** `YYYY-MM-DD` of `now` in `timeZone`. */
export function dayIn(now, timeZone) {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

const addDays = (day, n) => {
  const d = new Date(`${day}T12:00:00Z`)
  d.setUTCDate(d.getUTCDate() + n)
  return d.toISOString().slice(0, 10)
}
const weekday = (day) => new Date(`${day}T12:00:00Z`).getUTCDay()
/** The first weekday (Mon–Fri) on or after `day + n`. */
const weekdayFrom = (day, n) => {
  let d = addDays(day, n)
  while (!WEEKDAYS.has(weekday(d))) d = addDays(d, 1)
  return d
}

/**
 * Dates relative to `today`: an early close on the next weekday (tomorrow or after a weekend), a
 * holiday on the weekday after it, and one about two weeks out; all on trading days, so each one
 * changes something the Scheduler tab shows.
 */
export function demoDates(today) {
  const earlyClose = weekdayFrom(today, 1)
  const holiday = weekdayFrom(earlyClose, 1)
  const later = weekdayFrom(today, 14)
  return { holidays: [holiday, later], earlyCloses: [{ date: earlyClose, stop: '13:00' }] }
}

/** The schedule's timezone in the TOML text (the first `timezone = "…"` after `[schedule]`). */
export function scheduleTimezone(text) {
  const section = /^\[schedule\][^\n]*\n([\s\S]*?)(?=^\[)/m.exec(`${text}\n[`)?.[1] ?? ''
  return /^timezone\s*=\s*"([^"]+)"/m.exec(section)?.[1] ?? 'UTC'
}

/** `text` with its `holidays = [...]` line and `early_closes = [ ... ]` block replaced. */
export function withDemoDates(text, now = new Date()) {
  const today = dayIn(now, scheduleTimezone(text))
  const { holidays, earlyCloses } = demoDates(today)
  const closes = earlyCloses.map((c) => `  { date = ${c.date}, stop = "${c.stop}" },`).join('\n')
  let out = text.replace(/^holidays\s*=\s*\[[^\]\n]*\]/m, `holidays = [${holidays.join(', ')}]`)
  out = out.replace(/^early_closes\s*=\s*\[[\s\S]*?^\]/m, `early_closes = [\n${closes}\n]`)
  return out
}

const here = new URL(import.meta.url).pathname
if (process.argv[1] && (await import('node:path')).resolve(process.argv[1]) === here) {
  const chunks = []
  for await (const c of process.stdin) chunks.push(c)
  const fixed = process.env.STACKDECK_DEMO_TODAY
  const now = fixed ? new Date(`${fixed}T12:00:00Z`) : new Date()
  process.stdout.write(withDemoDates(Buffer.concat(chunks).toString('utf8'), now))
}
