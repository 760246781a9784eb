import { plural } from '../lib/format'
import type { HostFacts } from '../store/connection'
import type { Fact, SafetyState } from '../store/safety'

/**
 * Words for the header's truth line, pure so they are tested without a DOM. An unknown fact reads
 * "unknown: <reason> since <time>", never as a safe-looking default.
 */

const clock = (iso: string): string => {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '?' : d.toLocaleTimeString([], { hour12: false })
}

export const unknownText = (f: { since: string; reason: string }): string =>
  `unknown: ${f.reason} since ${clock(f.since)}`

export function countdown(ms: number): string {
  if (ms <= 0) return 'now'
  const m = Math.floor(ms / 60_000)
  if (m < 1) return `${Math.ceil(ms / 1000)}s`
  const h = Math.floor(m / 60)
  return h > 0 ? `${h}h ${m % 60}m` : `${m}m`
}

export interface ChipText {
  tone: 'ok' | 'warn' | 'bad' | 'unknown' | 'muted'
  label: string
  title: string
  /** For tests and tooltips: 'true' | 'false' | 'unknown' | ... */
  state: string
}

const BY: Record<string, string> = {
  schedule: 'by the schedule',
  override: 'by an override',
  killswitch: 'by killswitch',
  manual: 'by hand',
  other: 'by another writer',
}

/**
 * "trading disabled by killswitch" — and a countdown only when the schedule is what decides: with
 * trading held off by the killswitch or an override, "stop in 1h 22m" would be a lie.
 */
export function tradingText(s: SafetyState, now: number): ChipText {
  const t = s.trading
  if (!t.known)
    return {
      tone: 'unknown',
      label: `trading ${unknownText(t)}`,
      title: `trading_enabled is not known: ${t.reason}`,
      state: 'unknown',
    }
  const v = t.value
  const ks = s.killswitch.known ? s.killswitch.value : null
  const latched = ks !== null && !ks.engaged && ks.latched && !v.enabled
  const why = latched ? 'by killswitch latch (released, not resumed)' : (BY[v.source] ?? `by ${v.source}`)
  let label = `trading ${v.enabled ? 'enabled' : 'disabled'} ${why}`
  const sch = s.schedule.known ? s.schedule.value : null
  const scheduleDecides =
    v.source === 'schedule' && sch !== null && sch.source === 'schedule' && sch.desired === v.enabled
  if (scheduleDecides && sch.nextAt && sch.nextKind)
    label += ` · ${sch.nextKind} in ${countdown(Date.parse(sch.nextAt) - now)}`
  const title = [
    `trading_enabled = ${v.enabled} (v${t.version})`,
    `set by ${v.who}${v.why ? `: ${v.why}` : ''}`,
    v.since ? `since ${clock(v.since)}` : '',
    latched ? 'The killswitch was released; trading stays off until someone runs Resume trading.' : '',
    sch?.vetoed ? `Held back: ${sch.vetoed}` : '',
  ]
    .filter(Boolean)
    .join('\n')
  return { tone: v.enabled ? 'ok' : 'bad', label, title, state: String(v.enabled) }
}

export function killswitchText(s: SafetyState): ChipText {
  const k = s.killswitch
  if (!k.known)
    return {
      tone: 'unknown',
      label: `killswitch ${unknownText(k)}`,
      title: `The killswitch state is not known: ${k.reason}`,
      state: 'unknown',
    }
  const v = k.value
  const who = `${v.who ?? '?'}${v.changedAt ? ` at ${clock(v.changedAt)}` : ''}${v.reason ? `: ${v.reason}` : ''}`
  if (v.engaged)
    return {
      tone: 'bad',
      label: v.stored ? 'KILLSWITCH ENGAGED' : 'KILLSWITCH ENGAGED (not yet in Redis)',
      title: `Engaged by ${who}`,
      state: 'engaged',
    }
  if (v.latched)
    return {
      tone: 'warn',
      label: 'killswitch released · trading latched off',
      title: `Released by ${who}. Trading stays disabled until Resume trading.`,
      state: 'latched',
    }
  return { tone: 'muted', label: 'killswitch off', title: `Last change by ${who}`, state: 'released' }
}

export function busText(s: SafetyState): ChipText {
  const b = s.bus
  if (!b.known) return { tone: 'unknown', label: `bus ${unknownText(b)}`, title: b.reason, state: 'unknown' }
  const st = b.value.state
  if (st === 'ready') return { tone: 'ok', label: 'bus: connected', title: `Redis ${b.value.url}`, state: st }
  return {
    tone: 'bad',
    label: `bus: ${st === 'down' ? 'Redis unreachable' : st} since ${clock(b.at)}`,
    title: `Redis ${b.value.url}${b.value.error ? `: ${b.value.error}` : ''}`,
    state: st,
  }
}

export function enginesText(s: SafetyState): ChipText {
  const all = s.engines
  const down = all.filter((e) => !e.fact.known || !e.fact.value.reachable)
  if (all.length === 0) return { tone: 'muted', label: 'engines: none configured', title: '', state: 'none' }
  const title = all
    .map((e) =>
      e.fact.known
        ? `${e.id}: ${e.fact.value.reachable ? 'reachable' : `unreachable${e.fact.value.error ? ` (${e.fact.value.error})` : ''}`}`
        : `${e.id}: ${unknownText(e.fact)}`,
    )
    .join('\n')
  if (down.length === 0)
    return {
      tone: 'ok',
      label: `engine${all.length > 1 ? 's' : ''}: ${all.length} reachable`,
      title,
      state: 'ok',
    }
  const first = down[0]
  const f = first?.fact
  const since = f === undefined ? undefined : f.known ? f.at : f.since
  return {
    tone: 'bad',
    label: `engine${down.length > 1 ? 's' : ''} ${down.map((e) => e.id).join(', ')} unreachable since ${since ? clock(since) : '?'}`,
    title,
    state: 'down',
  }
}

export function stackText(s: SafetyState): ChipText {
  const c: Fact<SafetyState['containers'] extends Fact<infer V> ? V : never> = s.containers
  if (!c.known)
    return { tone: 'unknown', label: `stack ${unknownText(c)}`, title: c.reason, state: 'unknown' }
  const v = c.value
  const partial = v.unreachable.length > 0 ? ` (not counted: ${v.unreachable.join(', ')})` : ''
  const parts = [
    `${v.running} running`,
    v.paused ? `${v.paused} paused` : '',
    v.other ? `${v.other} other` : '',
  ]
    .filter(Boolean)
    .join(' / ')
  const state =
    v.total === 0 ? 'empty' : v.paused > 0 && v.running === 0 ? 'paused' : v.paused > 0 ? 'mixed' : 'running'
  const tone = partial ? 'warn' : state === 'running' ? 'ok' : state === 'empty' ? 'muted' : 'warn'
  return {
    tone,
    label: `stack: ${v.total === 0 ? 'no containers' : parts}${partial}`,
    title: plural(v.total, 'container'),
    state,
  }
}

/** Why an action that needs `what` is not possible now, or null. For disabled buttons' tooltips. */
export function blockedBy(
  s: SafetyState | null,
  stale: boolean,
  what: 'bus' | 'killswitch' | 'trading',
): string | null {
  if (stale || !s)
    return 'The view is stale (no fresh state from the host): actions are disabled until it is back.'
  if (what === 'bus' || what === 'killswitch') {
    if (!s.bus.known || s.bus.value.state !== 'ready')
      return `Redis is unreachable${s.bus.known ? ` since ${clock(s.bus.at)}` : ''}: the killswitch state is unknown, so this cannot be done from here.`
  }
  if (what === 'killswitch' && !s.killswitch.known)
    return `The killswitch state is unknown (${s.killswitch.reason}).`
  if (what === 'trading' && !s.trading.known) return `Trading state is unknown (${s.trading.reason}).`
  return null
}


const KIND: Record<HostFacts['kind'], string> = {
  desktop: 'desktop app',
  headless: 'headless host',
  embedded: 'embedded core',
}

/**
 * The host chip: which Stackdeck this window is driving, always, so a trader with a local and a
 * colocated host open never acts on the wrong one. Over IPC it is the window's own core; over the
 * WebSocket it is the host that served the page (`pageHost`, as in the address bar), with its kind
 * and machine once app.info has answered (until then only the address, never a guess).
 */
export function hostText(
  door: 'ipc' | 'ws' | null,
  conn: string,
  facts: HostFacts | null,
  pageHost: string,
): ChipText {
  const tone: ChipText['tone'] = conn === 'open' ? 'ok' : 'bad'
  const where = facts ? ` on ${facts.hostname} (pid ${facts.pid}), state directory ${facts.stateDir}` : ''
  if (door === 'ipc')
    return {
      tone,
      label: `app: ${conn}`,
      title: `This window drives its own core${where}${facts?.url ? `; its control API is at ${facts.url}` : ''}`,
      state: conn,
    }
  const kind = facts ? ` · ${KIND[facts.kind]} on ${facts.hostname}` : ''
  return {
    tone,
    label: `host ${pageHost}${kind}: ${conn}`,
    title: `This window drives the Stackdeck at ${pageHost}${facts ? `, the ${KIND[facts.kind]}${where}` : ' (which instance: not known yet)'}`,
    state: conn,
  }
}
