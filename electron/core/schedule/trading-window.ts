import { compiled, type CompiledRules } from './compile-rules'
import type { WallSeries } from './event-series'
import type { ScheduleRules } from './schedule-rules'
import { HOUR_MS, formatInstant, formatWall, resolveWall, wallDate, wallDay, wallOf } from './zoned-time'

/**
 * The single source of truth for "should trading be on at time t?", as pure functions of
 * (rules, now). Semantics, in wall time (local date-times of the rules' zone):
 * - events are starts (already filtered by days/holidays) and stops (regular + early closes);
 * - the state at t is the kind of the latest event whose instant is <= t ("latest event wins"): a start
 *   inside an open window and a stop outside one change nothing;
 * - wall times become instants through resolveWall (skipped hour -> first instant after the gap;
 *   repeated hour -> first occurrence only), and events landing on the same instant are one step
 *   whose outcome is the last of them in wall order (at the same wall time a stop sorts before a start).
 */

export type StateCode = 'in-window' | 'outside-window' | 'holiday' | 'non-trading-day' | 'early-close'

export interface WindowState {
  enabled: boolean
  /** Human explanation, e.g. "Holiday 2026-12-25: no trading window". */
  reason: string
  code: StateCode
  /** When enabled: the instant the current window opened, and the instant it closes. */
  windowStart?: Date
  windowEnd?: Date
  zone: string
  /** Local 'YYYY-MM-DD HH:MM' of `now`. */
  local: string
}

export type TransitionNote = 'skipped-hour-shifted' | 'repeated-hour-first' | 'early-close'

export interface Transition {
  at: Date
  kind: 'start' | 'stop'
  /** Local 'YYYY-MM-DD HH:MM' at which it fires. */
  local: string
  zone: string
  note?: TransitionNote
  /** The rule's wall time when it differs from `local` (a start in a skipped hour). */
  scheduled?: string
}

/** Max DST shift in any zone is 2 h: walls beyond wall(t) + this resolve after t. */
const DST_MARGIN = 3 * HOUR_MS
const MAX_TRANSITIONS = 1000
const MAX_EVENTS = 50_000

type Kind = 'start' | 'stop'
interface Ev {
  wall: number
  kind: Kind
}

const at = (c: CompiledRules, wall: number) => resolveWall(c.zone, wall).at

/** The last element with instant <= t and the first with instant > t. */
function split(
  c: CompiledRules,
  s: WallSeries,
  t: number,
  wt: number,
): { last: number | null; first: number | null } {
  // Every wall <= wall(t) resolves to an instant <= t (resolution is monotone and wall(t) resolves to <= t).
  let first = s.next(wt)
  while (first !== null && at(c, first) <= t) first = s.next(first)
  let last: number | null
  if (first !== null) last = s.prev(first)
  else {
    last = s.prev(wt + DST_MARGIN + 1)
    while (last !== null && at(c, last) > t) last = s.prev(last)
  }
  return { last, first }
}

interface Snapshot {
  c: CompiledRules
  wt: number
  enabled: boolean
  lastStart: number | null
  lastStop: number | null
  nextStart: number | null
  nextStop: number | null
}

function snapshot(rules: ScheduleRules, now: Date): Snapshot {
  const c = compiled(rules)
  const t = now.getTime()
  const wt = wallOf(c.zone, t)
  const s = split(c, c.starts, t, wt)
  const p = split(c, c.stops, t, wt)
  // At equal walls a stop sorts before a start, so the start is the later event.
  const enabled = s.last !== null && (p.last === null || s.last >= p.last)
  return { c, wt, enabled, lastStart: s.last, lastStop: p.last, nextStart: s.first, nextStop: p.first }
}

/** Walk forward from a snapshot, yielding instants where the state changes. */
function* walk(snap: Snapshot): Generator<Transition> {
  const { c } = snap
  let state = snap.enabled
  let pos: Ev | null = null
  const nextToggle = (s: boolean): Ev | null => {
    if (pos === null) {
      const w = s ? snap.nextStop : snap.nextStart
      return w === null ? null : { wall: w, kind: s ? 'stop' : 'start' }
    }
    if (s) {
      const w = c.stops.next(pos.wall)
      return w === null ? null : { wall: w, kind: 'stop' }
    }
    // After a stop, a start at the same wall time still counts (it sorts after the stop).
    const w = c.starts.next(pos.kind === 'stop' ? pos.wall - 1 : pos.wall)
    return w === null ? null : { wall: w, kind: 'start' }
  }
  for (let guard = 0; guard < MAX_EVENTS;) {
    const e = nextToggle(state)
    if (e === null) return
    const T = at(c, e.wall)
    let s = !state
    let last = e
    pos = e
    guard++
    for (;;) {
      const e2 = nextToggle(s)
      if (e2 === null || at(c, e2.wall) !== T || guard++ >= MAX_EVENTS) break
      s = !s
      last = e2
      pos = e2
    }
    if (s === state) continue
    state = s
    yield describe(c, T, last)
  }
}

function describe(c: CompiledRules, T: number, e: Ev): Transition {
  const r = resolveWall(c.zone, e.wall)
  const local = formatInstant(c.zone, T)
  const tr: Transition = { at: new Date(T), kind: e.kind, local, zone: c.zone }
  if (r.kind === 'gap') tr.note = 'skipped-hour-shifted'
  else if (r.kind === 'repeated') tr.note = 'repeated-hour-first'
  else if (e.kind === 'stop' && c.earlyAt(e.wall)) tr.note = 'early-close'
  const scheduled = formatWall(e.wall)
  if (scheduled !== local) tr.scheduled = scheduled
  return tr
}

/** The next `n` state changes strictly after `now`, alternating with isTradingWindow's state. */
export function nextTransitions(rules: ScheduleRules, now: Date, n: number): Transition[] {
  const out: Transition[] = []
  const limit = Math.min(Math.max(0, Math.floor(n)), MAX_TRANSITIONS)
  if (limit === 0) return out
  for (const tr of walk(snapshot(rules, now))) {
    out.push(tr)
    if (out.length >= limit) break
  }
  return out
}

/** Whether trading should be enabled at `now`, and why. */
export function isTradingWindow(rules: ScheduleRules, now: Date): WindowState {
  return tradingState(rules, now).state
}

/** isTradingWindow and the next transition from one evaluation (the scheduler needs both on every wake). */
export function tradingState(
  rules: ScheduleRules,
  now: Date,
): { state: WindowState; next: Transition | null } {
  const snap = snapshot(rules, now)
  const next = walk(snap).next()
  const nextTr = next.done ? null : next.value
  return { state: describeState(snap, nextTr ?? undefined), next: nextTr }
}

function describeState(snap: Snapshot, nextTr: Transition | undefined): WindowState {
  const { c, wt } = snap
  const local = formatWall(wt)
  if (snap.enabled) {
    // The window opened at the first start after the latest stop (later starts changed nothing).
    const opener = snap.lastStop === null ? snap.lastStart : c.starts.next(snap.lastStop - 1)
    const st: WindowState = { enabled: true, code: 'in-window', reason: '', zone: c.zone, local }
    if (opener !== null) st.windowStart = new Date(at(c, opener))
    if (nextTr) st.windowEnd = nextTr.at
    const since = st.windowStart ? `opened ${formatInstant(c.zone, st.windowStart.getTime())}` : 'open'
    const until = nextTr
      ? `, closes ${nextTr.local}${nextTr.note === 'early-close' ? ' (early close)' : ''}`
      : ''
    st.reason = `Inside the trading window (${since}${until}, ${c.zone})`
    return st
  }
  const date = wallDate(wt)
  const opens = nextTr ? `; next opens ${nextTr.local} ${c.zone}` : '; no upcoming window'
  const base = { enabled: false, zone: c.zone, local }
  if (c.isHoliday(date))
    return { ...base, code: 'holiday', reason: `Holiday ${date}: no trading window${opens}` }
  const early = snap.lastStop === null ? undefined : c.earlyAt(snap.lastStop)
  if (early && snap.lastStop !== null && wallDate(snap.lastStop) === date) {
    return {
      ...base,
      code: 'early-close',
      reason: `Closed early at ${early.stop} (early close ${early.date})${opens}`,
    }
  }
  if (!c.isTradingDay(wt)) {
    return { ...base, code: 'non-trading-day', reason: `Not a trading day (${wallDay(wt)})${opens}` }
  }
  return { ...base, code: 'outside-window', reason: `Outside the trading window${opens}` }
}
