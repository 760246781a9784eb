import { describe, expect, it } from 'vitest'
import type { EventsPageT, EventsQueryT } from '../api/contract/bus'
import { busEventsPage, type BusEventsSources } from './bus-events-page'

/** A ring holding ids [first, last] (contiguous, as the real one), and a store holding `stored`. */
function sources(
  first: number,
  last: number,
  stored: number[],
  opts: { fail?: string } = {},
): BusEventsSources {
  const ev = (id: number) => ({
    id,
    channel: 'c',
    type: 'c',
    source: null,
    ts: new Date(id).toISOString(),
    payload: { id },
  })
  const ring = (q: EventsQueryT): EventsPageT => {
    const limit = q.limit ?? 50
    if (q.since === undefined) return { events: [], nextCursor: last, dropped: 0 }
    const from = Math.max(q.since + 1, first)
    const events = []
    for (let id = from; id <= last && events.length < limit; id++) events.push(ev(id))
    return {
      events,
      nextCursor: events.length ? events[events.length - 1]!.id : Math.max(q.since, first - 1),
      dropped: Math.max(0, first - (q.since + 1)),
    }
  }
  return {
    ring,
    ringFirstId: () => first,
    store: () => {
      if (opts.fail) throw new Error(opts.fail)
      return {
        busPage: async (q) => {
          const after = stored.filter((id) => id > q.since)
          return {
            events: after.slice(0, q.limit).map(ev),
            top: after.length ? after[after.length - 1]! : null,
          }
        },
      }
    },
  }
}

describe('busEventsPage', () => {
  it('serves a cursor the ring still covers from the ring alone', async () => {
    const p = await busEventsPage({ since: 100, limit: 3 }, sources(100, 200, [1, 2, 3]))
    expect(p.events.map((e) => e.id)).toEqual([101, 102, 103])
    expect(p.fromStore).toBeUndefined()
  })

  it('serves an older cursor from the store, then carries on in the ring above what the store holds', async () => {
    const stored = [90, 91, 92, 93, 94, 95]
    expect(
      (await busEventsPage({ since: 89, limit: 4 }, sources(100, 110, stored))).events.map((e) => e.id),
    ).toEqual([90, 91, 92, 93])
    // Store has 90..95, ring 100..110: 96..99 are in neither and are the only ones counted dropped.
    const p = await busEventsPage({ since: 92, limit: 6 }, sources(100, 110, stored))
    expect(p.events.map((e) => e.id)).toEqual([93, 94, 95, 100, 101, 102])
    expect(p).toMatchObject({ fromStore: 3, dropped: 4, nextCursor: 102 })
  })

  it('falls back to the ring, saying why, when the store cannot answer; history off changes nothing', async () => {
    const down = await busEventsPage(
      { since: 10, limit: 2 },
      sources(100, 110, [], { fail: 'history is still opening' }),
    )
    expect(down).toMatchObject({ dropped: 89, history: 'history is still opening' })
    expect(down.events.map((e) => e.id)).toEqual([100, 101])
    const off = await busEventsPage({ since: 10, limit: 2 }, { ...sources(100, 110, []), store: () => null })
    expect(off).toEqual({ events: off.events, nextCursor: 101, dropped: 89 })
  })
})
