import type { BusEventT, BusUpdateT, EventsPageT, RegimeViewT } from '../api/contract/bus'

/**
 * Defence in depth behind the ingest bounds: what the bus serves must serialise, and one value
 * that does not must cost only itself, never the page or the batch around it (a batch dropped in
 * the event hub was lost for every client, heartbeats included).
 *
 * The cheap path is one JSON.stringify of the whole value, at batch rate (≤ 30/s) or human rate
 * (REST); only when that throws are the parts tried one by one and the bad ones replaced.
 */
export const UNSERIALISABLE = 'stackdeck:unserialisable'

export interface Repairs {
  /** Values replaced because they could not be serialised. */
  count: number
  last: string | null
}

function serialises(v: unknown): string | null {
  try {
    JSON.stringify(v)
    return null
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  }
}

/** A stand-in that says what happened, in place of a payload that cannot be written out. */
function placeholder(why: string): Record<string, string> {
  return { [UNSERIALISABLE]: why.slice(0, 200) }
}

function repairEvent(e: BusEventT, repairs: Repairs): BusEventT {
  const why = serialises(e)
  if (why === null) return e
  repairs.count++
  repairs.last = `event ${e.id} on ${e.channel}: ${why}`
  return {
    id: e.id,
    channel: String(e.channel),
    type: String(e.type),
    source: null,
    ts: String(e.ts),
    payload: placeholder(why),
  }
}

export function wireSafePage(page: EventsPageT, repairs: Repairs): EventsPageT {
  if (serialises(page) === null) return page
  return { ...page, events: page.events.map((e) => repairEvent(e, repairs)) }
}

export function wireSafeRegime(v: RegimeViewT, repairs: Repairs): RegimeViewT {
  const why = serialises(v)
  if (why === null) return v
  repairs.count++
  repairs.last = `regime: ${why}`
  return { ...v, payload: placeholder(why) }
}

export function wireSafeUpdate(u: BusUpdateT, repairs: Repairs): BusUpdateT {
  if (serialises(u) === null) return u
  const out: BusUpdateT = { ...u, events: u.events.map((e) => repairEvent(e, repairs)) }
  // Agents are built from validated heartbeat fields; a failure there is a bug, so drop the row
  // rather than guess, and say so in `repairs`.
  out.agents = u.agents.filter((a) => {
    const why = serialises(a)
    if (why !== null) {
      repairs.count++
      repairs.last = `agent ${String(a.id)}: ${why}`
    }
    return why === null
  })
  if (u.regime !== undefined) out.regime = wireSafeRegime(u.regime, repairs)
  for (const k of ['rates', 'connection', 'killswitch', 'trading', 'commands', 'removedAgents'] as const) {
    const why = serialises(out[k])
    if (why !== null) {
      repairs.count++
      repairs.last = `${k}: ${why}`
      delete out[k]
    }
  }
  return out
}
